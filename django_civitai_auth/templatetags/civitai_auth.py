"""``{% civitai_login_button %}``: the "Sign in with Civitai" form.

social-auth-app-django starts a sign-in only on POST (a GET link would let any page sign a
visitor in), so the button is a small form with Django's CSRF token.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString

register = template.Library()

DEFAULT_LABEL = "Sign in with Civitai"


@register.simple_tag(takes_context=True)
def civitai_login_button(
    context: template.Context,
    next: str = "",
    label: str = DEFAULT_LABEL,
) -> SafeString:
    """Render the sign-in form; ``next`` is kept only when it is a safe local URL."""
    request = context.get("request")
    allowed_hosts = {request.get_host()} if request is not None else set()
    secure = bool(request is not None and request.is_secure())
    safe_next = (
        next
        if next
        and url_has_allowed_host_and_scheme(next, allowed_hosts=allowed_hosts, require_https=secure)
        else ""
    )
    return render_to_string(
        "django_civitai_auth/login_button.html",
        {
            "action": reverse(f"{_social_namespace()}:begin", args=["civitai"]),
            "next_field": REDIRECT_FIELD_NAME,
            "next": safe_next,
            "label": label or DEFAULT_LABEL,
        },
        request=request,
    )


def _social_namespace() -> str:
    # The namespace social_django's own views use for their URLs.
    return str(getattr(settings, "SOCIAL_AUTH_URL_NAMESPACE", None) or "social")
