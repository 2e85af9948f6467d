"""A Content-Security-Policy for the example site: its pages load nothing from elsewhere.

Django 5.2 has no CSP support of its own; one header is all the demo needs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy())
        return response


def policy() -> str:
    images = ["'self'", "data:"]
    emulator = str(getattr(settings, "CIVITAI_EMULATOR_URL", ""))
    if emulator:
        images.append(emulator)
    if getattr(settings, "EXAMPLE_ALLOW_REMOTE_AVATARS", False):
        # Real Civitai serves avatars from its image CDN.
        images.append("https:")
    # No form-action: signing in posts to this site, which redirects on to Civitai, and
    # browsers apply form-action to that redirect too.
    return "; ".join(
        (
            "default-src 'self'",
            f"img-src {' '.join(images)}",
            "style-src 'self'",
            "script-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
