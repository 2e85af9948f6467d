"""Signing a test client in through the real flow: Django test client + the Civitai emulator.

The site side runs in-process (Django's test Client); Civitai's side is the emulator over real
HTTP on 127.0.0.1. Reused by the sign-in, lifecycle and browser tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

if TYPE_CHECKING:
    from django_civitai_auth.emulator import CivitaiEmulator


def begin_sign_in(client: Client, *, next_url: str | None = None) -> str:
    """POST the site's login URL (as the login button does); return Civitai's authorize URL."""
    data = {"next": next_url} if next_url else {}
    response: Any = client.post(reverse("social:begin", args=["civitai"]), data)
    assert response.status_code == 302, response.status_code
    location = str(response["Location"])
    assert "/api/auth/oauth/authorize?" in location, location
    return location


def complete_sign_in(client: Client, redirect: str) -> HttpResponse:
    """Follow Civitai's redirect back to the site: GET the callback's path and query."""
    parts = urlsplit(redirect)
    response: HttpResponse = client.get(f"{parts.path}?{parts.query}")
    return response


def signed_in_user(client: Client) -> AbstractBaseUser | None:
    user_id = client.session.get("_auth_user_id")
    if user_id is None:
        return None
    return get_user_model()._default_manager.get(pk=user_id)


def sign_in(
    client: Client, emulator: CivitaiEmulator, username: str = "ada", **authorize: Any
) -> AbstractBaseUser:
    """Sign ``client`` in as the emulator's demo user ``username``; return the Django user.

    The emulator must be the one SOCIAL_AUTH_CIVITAI_BASE_URL points at (the ``civitai_site``
    fixture does that). Extra keyword arguments go to ``emulator.sign_in_and_authorize``.
    """
    authorize_url = begin_sign_in(client)
    redirect = emulator.sign_in_and_authorize(authorize_url, username=username, **authorize)
    response = complete_sign_in(client, redirect)
    assert response.status_code == 302, response.status_code
    user = signed_in_user(client)
    assert user is not None, f"sign-in did not log the client in (went to {response['Location']})"
    return user
