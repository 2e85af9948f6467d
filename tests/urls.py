from __future__ import annotations

from django.contrib import admin
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from django.urls import include, path
from django.utils.html import format_html_join


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"home: {'signed in' if request.user.is_authenticated else 'anonymous'}")


def login_page(request: HttpRequest) -> HttpResponse:
    """A page with the login button, rendered the way a site's template would."""
    template = Template("{% load civitai_auth %}{% civitai_login_button next='/profile/' %}")
    return HttpResponse(template.render(RequestContext(request)))


def login_error(request: HttpRequest) -> HttpResponse:
    """SOCIAL_AUTH_LOGIN_ERROR_URL: shows social-auth's message, as a site's page would."""
    text = format_html_join("", "<p class='error'>{}</p>", ((m,) for m in get_messages(request)))
    return HttpResponse(f"<h1>Sign-in failed</h1>{text}")


urlpatterns = [
    path("", home, name="home"),
    path("login-error/", login_error, name="login-error"),
    path("login-page/", login_page, name="login-page"),
    path("admin/", admin.site.urls),
    path("", include("social_django.urls", namespace="social")),
]
