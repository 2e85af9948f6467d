"""The example site's pages: home, profile and the three profile actions, and sign-in errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from django_civitai_auth import (
    CivitaiUnavailable,
    ReauthenticationRequired,
    civitai_session,
    get_access_token,
)
from django_civitai_auth.conf import civitai_settings
from example_project.civitai_profile import civitai_profile
from example_project.signin_errors import describe

# Where the last "Call the Civitai API" answer waits for the profile page (never a token).
USERINFO_SESSION_KEY = "example_civitai_userinfo"
# userinfo fields worth showing; anything else Civitai adds is left out of the page.
SHOWN_USERINFO_FIELDS = (
    "id",
    "username",
    "name",
    "email",
    "email_verified",
    "image",
    "roles",
    "isModerator",
    "tier",
)

REAUTH_MESSAGE = "Civitai no longer accepts this site's access. Please sign in with Civitai again."
SIGNED_OUT = "You are signed out. This site asked Civitai to revoke its token and deleted its copy."
# A public app has no secret to authenticate a revocation with (Civitai's rule).
SIGNED_OUT_PUBLIC = (
    "You are signed out and this site deleted its Civitai token. To cut its access on Civitai "
    "too, remove the app in your Civitai account settings."
)
UNAVAILABLE_MESSAGE = "Civitai is unavailable right now. Please try again in a minute."


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example/home.html")


@require_GET
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, AbstractBaseUser):  # login_required let no anonymous user in
        return redirect("home")
    last_call: dict[str, Any] | None = request.session.get(USERINFO_SESSION_KEY)
    userinfo = last_call.get("data") if last_call and last_call.get("ok") else None
    context = {
        "profile": civitai_profile(user, userinfo),
        "last_call": last_call,
        "fetched_at": dt.datetime.fromisoformat(last_call["fetched_at"]) if last_call else None,
    }
    return render(request, "example/profile.html", context)


@require_POST
@login_required
def call_api(request: HttpRequest) -> HttpResponse:
    """Fetch the user's Civitai userinfo with their token, through civitai_session."""
    url = civitai_settings.endpoint("userinfo")
    try:
        with civitai_session(request.user) as session:
            response = session.get(url, timeout=civitai_settings.http_timeout)
    except ReauthenticationRequired:
        messages.error(request, REAUTH_MESSAGE)
        return redirect("profile")
    except (CivitaiUnavailable, requests.RequestException):
        messages.error(request, UNAVAILABLE_MESSAGE)
        return redirect("profile")
    result: dict[str, Any] = {
        "ok": response.ok,
        "status": response.status_code,
        "url": url,
        "fetched_at": timezone.now().isoformat(),
    }
    if response.ok:
        body = response.json()
        result["data"] = {key: body[key] for key in SHOWN_USERINFO_FIELDS if key in body}
        messages.success(request, "Civitai answered: here is what it says about you.")
    else:
        messages.error(request, f"Civitai answered {response.status_code}; see the details below.")
    request.session[USERINFO_SESSION_KEY] = result
    return redirect("profile")


@require_POST
@login_required
def refresh(request: HttpRequest) -> HttpResponse:
    """Swap the refresh token for a new pair now, instead of shortly before expiry."""
    try:
        # The value is discarded at once: the page shows the new expiry, never the token.
        get_access_token(request.user, force_refresh=True)
    except ReauthenticationRequired:
        messages.error(request, REAUTH_MESSAGE)
    except CivitaiUnavailable:
        messages.error(request, UNAVAILABLE_MESSAGE)
    else:
        messages.success(request, "Token refreshed: Civitai issued a new access token.")
    return redirect("profile")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Django's logout; django-civitai-auth revokes the Civitai token when it fires."""
    was_signed_in = request.user.is_authenticated
    logout(request)
    if was_signed_in:
        messages.success(
            request, SIGNED_OUT_PUBLIC if civitai_settings.is_public_client else SIGNED_OUT
        )
    return redirect("home")


@require_GET
def signin_error(request: HttpRequest) -> HttpResponse:
    problem = describe(request.GET)
    return render(request, "example/signin_error.html", {"problem": problem}, status=200)
