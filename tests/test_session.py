"""civitai_session(user): bearer token to Civitai only, refreshed ahead of expiry, 401 retried."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from django_civitai_auth import ReauthenticationRequired, civitai_session, get_access_token
from django_civitai_auth.session import origin
from tests.lifecycle import ADA, expire, stored_pair, token_for

pytestmark = pytest.mark.django_db


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Another host: records the Authorization header it receives."""

    seen: list[str | None]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_calls_civitai_as_the_user(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    with civitai_session(token.user) as session:
        response = session.get("/api/auth/oauth/userinfo")
    assert response.status_code == 200
    assert response.json()["id"] == ADA


def test_refreshes_ahead_of_expiry(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    with civitai_session(token.user) as session:
        assert session.get(civitai_site.endpoint("userinfo")).status_code == 200
    assert civitai_site.count("token", grant="refresh_token") == 1


def test_a_401_refreshes_once_and_retries(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    # The access token dies at Civitai while the site still thinks it is valid.
    access = stored_pair(token)[0]
    civitai_site.clock.advance(3601)
    assert not civitai_site.is_token_active(access)
    with civitai_session(token.user) as session:
        response = session.get("/api/auth/oauth/userinfo")
    assert response.status_code == 200
    assert civitai_site.count("userinfo") == 2
    assert civitai_site.count("token", grant="refresh_token") == 1


def test_a_removed_app_ends_in_reauthentication(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    civitai_site.remove_app(ADA)
    with civitai_session(token.user) as session, pytest.raises(ReauthenticationRequired):
        session.get("/api/auth/oauth/userinfo")
    assert civitai_site.count("userinfo") == 1


def test_never_sends_the_token_to_another_host(civitai_site: Any, other_host: Any) -> None:
    url, seen = other_host
    token = token_for(civitai_site)
    with civitai_session(token.user) as session:
        assert session.get(url + "/anything").status_code == 200
    assert seen == [None]


def test_same_host_other_port_is_another_origin(civitai_site: Any) -> None:
    assert origin("http://127.0.0.1:80/") == origin("http://127.0.0.1/x")
    assert origin("https://civitai.com/") != origin("http://civitai.com/")
    assert origin(civitai_site.base_url) != origin("http://127.0.0.1:1/")


def test_token_is_dropped_on_a_redirect_to_another_origin(
    civitai_site: Any, other_host: Any, settings: Any
) -> None:
    url, seen = other_host
    # A Civitai-origin server that redirects elsewhere: the redirect must not carry the token.
    redirect_handler = type(
        "Redirect",
        (http.server.BaseHTTPRequestHandler,),
        {
            "do_GET": lambda self: (
                self.send_response(302),
                self.send_header("Location", url + "/landing"),
                self.end_headers(),
            ),
            "log_message": lambda self, *a: None,
        },
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), redirect_handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.SOCIAL_AUTH_CIVITAI_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
        token = token_for(civitai_site)
        with civitai_session(token.user) as session:
            response = session.get("/start")
        assert response.status_code == 200
        assert seen == [None]
    finally:
        server.shutdown()
        server.server_close()


def test_relative_paths_go_to_the_api_base_url_with_the_token(
    civitai_site: Any, other_host: Any, settings: Any
) -> None:
    url, seen = other_host
    # The recorder plays civitai.com's API while the emulator serves OAuth.
    settings.CIVITAI_AUTH_API_BASE_URL = url
    token = token_for(civitai_site)
    with civitai_session(token.user) as session:
        assert session.get("/api/v1/me").status_code == 200
        userinfo = session.get(civitai_site.base_url + "/api/auth/oauth/userinfo")
    assert seen == [f"Bearer {stored_pair(token)[0]}"]
    assert userinfo.status_code == 200


def test_the_api_lives_on_civitai_com_when_oauth_is_on_auth_civitai_com(settings: Any) -> None:
    from django_civitai_auth.conf import civitai_settings

    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = "https://auth.civitai.com"
    assert civitai_settings.api_base_url == "https://civitai.com"
    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = "http://127.0.0.1:8765/"
    assert civitai_settings.api_base_url == "http://127.0.0.1:8765"
    settings.CIVITAI_AUTH_API_BASE_URL = "https://api.example.test/"
    assert civitai_settings.api_base_url == "https://api.example.test"


def test_a_401_after_another_caller_rotated_costs_no_second_rotation(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    civitai_site.clock.advance(3601)  # the stored access token dies at Civitai

    def another_process_rotates(response: Any, *args: Any, **kwargs: Any) -> None:
        # Runs as the 401 arrives: someone else refreshes before our retry is prepared.
        if response.status_code == 401:
            get_access_token(token.user, force_refresh=True)

    with civitai_session(token.user) as session:
        session.hooks["response"].append(another_process_rotates)
        response = session.get("/api/auth/oauth/userinfo")
    assert response.status_code == 200
    assert civitai_site.count("token", grant="refresh_token") == 1
