"""Helpers for the emulator's conformance suite: a client that speaks to it over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from django_civitai_auth.emulator import CivitaiEmulator, RegisteredApp

CLIENT_ID = "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"
REDIRECT_URI = "http://testserver/complete/civitai/"
PUBLIC_CLIENT_ID = "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e"
PUBLIC_REDIRECT_URI = "http://127.0.0.1/public/callback"


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@dataclass
class Client:
    """One OAuth client of the emulator, confidential unless ``secret`` is None."""

    emu: CivitaiEmulator
    client_id: str = CLIENT_ID
    secret: str | None = CLIENT_SECRET
    redirect_uri: str = REDIRECT_URI

    def authorize_params(self, verifier: str, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "114689",
            "state": "st4te-xyz",
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {name: value for name, value in params.items() if value is not None}

    def authorize_url(self, verifier: str = "", **overrides: str | None) -> str:
        verifier = verifier or secrets.token_urlsafe(48)
        return (
            self.emu.endpoint("authorize")
            + "?"
            + urlencode(self.authorize_params(verifier, **overrides))
        )

    def code(self, username: str = "ada", **overrides: str | None) -> tuple[str, str]:
        """Sign in and approve; return (code, verifier)."""
        verifier = secrets.token_urlsafe(48)
        location = self.emu.sign_in_and_authorize(
            self.authorize_url(verifier, **overrides), username=username
        )
        return query_of(location)["code"], verifier

    def credentials(self) -> dict[str, str]:
        creds = {"client_id": self.client_id}
        if self.secret:
            creds["client_secret"] = self.secret
        return creds

    def token(self, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.post(self.emu.endpoint("token"), data=data, timeout=10, **kwargs)

    def exchange(self, code: str, verifier: str, **overrides: str) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": self.redirect_uri,
            **self.credentials(),
            **overrides,
        }
        return self.token(data)

    def tokens(self, username: str = "ada", **overrides: str | None) -> dict[str, Any]:
        code, verifier = self.code(username, **overrides)
        response = self.exchange(code, verifier)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def refresh(self, refresh_token: str, **overrides: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self.token({**data, **self.credentials(), **overrides})

    def revoke(self, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.post(self.emu.endpoint("revoke"), data=data, timeout=10, **kwargs)

    def userinfo(self, access_token: str, prefix: str = "Bearer ") -> requests.Response:
        headers = {"Authorization": prefix + access_token}
        return requests.get(self.emu.endpoint("userinfo"), headers=headers, timeout=10)


@pytest.fixture
def emu(civitai_emulator_app: RegisteredApp) -> Iterator[CivitaiEmulator]:
    public = RegisteredApp(
        client_id=PUBLIC_CLIENT_ID, redirect_uris=[PUBLIC_REDIRECT_URI], name="Public app"
    )
    with CivitaiEmulator(apps=[civitai_emulator_app, public]) as emulator:
        yield emulator
        assert emulator.errors == []


@pytest.fixture
def client(emu: CivitaiEmulator) -> Client:
    return Client(emu)


@pytest.fixture
def public_client(emu: CivitaiEmulator) -> Client:
    return Client(emu, PUBLIC_CLIENT_ID, None, PUBLIC_REDIRECT_URI)


def error_of(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert isinstance(body["error_description"], str)
    assert body["error_description"]
    return response.status_code, body["error"]
