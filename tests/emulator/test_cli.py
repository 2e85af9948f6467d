"""``python -m django_civitai_auth.emulator``: the first line is the URL; SIGTERM stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
from urllib.parse import urlencode

import requests

from tests.emulator.conftest import challenge_of, query_of


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "django_civitai_auth.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _authorize_url(base_url: str, redirect_uri: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "cli-app",
        "redirect_uri": redirect_uri,
        "scope": "1",
        "state": "s",
        "code_challenge": challenge_of("v" * 43),
        "code_challenge_method": "S256",
    }
    return f"{base_url}/api/auth/oauth/authorize?{urlencode(params)}"


def test_cli_auto_approve_public_app_and_clean_sigterm() -> None:
    process, url = _start(
        "--client-id",
        "cli-app",
        "--redirect-uri",
        "http://localhost/a",
        "--redirect-uri",
        "http://localhost/b",
        "--auto-approve",
        "--no-rate-limit",
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(
            _authorize_url(url, "http://localhost:9/b"), allow_redirects=False, timeout=10
        )
        assert response.status_code == 303
        code = query_of(response.headers["Location"])["code"]
        token = requests.post(
            url + "/api/auth/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": "v" * 43,
                "redirect_uri": "http://localhost:9/b",
                "client_id": "cli-app",
            },
            timeout=10,
        )
        assert token.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout is not None
        process.stdout.close()


def test_the_app_name_defaults_to_demo_app() -> None:
    from django_civitai_auth.emulator.__main__ import _parser

    args = _parser().parse_args(["--client-id", "x", "--redirect-uri", "http://localhost/a"])
    assert args.app_name == "Demo app"


def test_cli_confidential_app_asks_for_sign_in() -> None:
    process, url = _start(
        "--client-id",
        "cli-app",
        "--client-secret",
        "f" * 48,
        "--redirect-uri",
        "http://localhost/a",
        "--app-name",
        "Ada's <gallery> & co",
    )
    try:
        session = requests.Session()
        response = session.get(
            _authorize_url(url, "http://localhost/a"), allow_redirects=False, timeout=10
        )
        assert response.headers["Location"].startswith("/login?")
        # Signed in, the consent page names the app as --app-name says, escaped.
        session.post(url + "/login", data={"user_id": "12345"}, allow_redirects=False, timeout=10)
        consent = session.get(_authorize_url(url, "http://localhost/a"), timeout=10)
        assert "<h1>Ada&#x27;s &lt;gallery&gt; &amp; co wants to access" in consent.text
        missing_secret = requests.post(
            url + "/api/auth/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "cli-app"},
            timeout=10,
        )
        assert missing_secret.json()["error"] == "invalid_client"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stdout is not None
        process.stdout.close()
