"""Testing a site's "Sign in with Civitai" against the bundled emulator (shown in docs/testing.rst).

tests/test_docs.py runs these tests against this project's test settings, so they cannot rot.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from django_civitai_auth import ReauthenticationRequired, get_access_token
from django_civitai_auth.emulator import RegisteredApp
from django_civitai_auth.models import CivitaiToken


@pytest.fixture
def civitai_emulator_app(settings):
    # The app the emulator knows: the same client id and secret as the site's settings.
    return RegisteredApp(
        client_id=settings.SOCIAL_AUTH_CIVITAI_KEY,
        client_secret=settings.SOCIAL_AUTH_CIVITAI_SECRET,
        redirect_uris=["http://testserver/complete/civitai/"],
    )


@pytest.fixture
def civitai(civitai_emulator, settings):
    # Point the site at the emulator for this test.
    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = civitai_emulator.base_url
    return civitai_emulator


def sign_in(client, civitai, username="ada"):
    """Sign the test client in through the real flow; return the Django user."""
    response = client.post(reverse("social:begin", args=["civitai"]))
    redirect = civitai.sign_in_and_authorize(response["Location"], username=username)
    callback = urlsplit(redirect)
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302
    return response.wsgi_request.user


@pytest.mark.django_db
def test_sign_in_stores_tokens(client, civitai):
    user = sign_in(client, civitai)

    assert user.is_authenticated
    assert get_access_token(user).startswith("civitai_")
    assert civitai.count("token", grant="authorization_code") == 1


@pytest.mark.django_db
def test_expired_token_is_refreshed(client, civitai):
    user = sign_in(client, civitai)
    old = get_access_token(user)

    # An hour later, on both sides: the emulator's clock and the stored expiry.
    civitai.clock.advance(3600)
    CivitaiToken.objects.filter(user=user).update(expires_at=timezone.now())

    assert get_access_token(user) != old
    assert civitai.count("token", grant="refresh_token") == 1


@pytest.mark.django_db
def test_user_removed_the_app(client, civitai):
    user = sign_in(client, civitai)
    civitai.remove_app(user_id=12345)  # "ada" removes the app on civitai.com

    with pytest.raises(ReauthenticationRequired):
        get_access_token(user, force_refresh=True)
