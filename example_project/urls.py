from __future__ import annotations

from django.urls import include, path

from example_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/call-api/", views.call_api, name="call_api"),
    path("profile/refresh/", views.refresh, name="refresh"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("signin-error/", views.signin_error, name="signin_error"),
    # python-social-auth's begin (/login/civitai/) and callback (/complete/civitai/) views.
    path("", include("social_django.urls", namespace="social")),
]
