"""GET /authorize, rule by rule from civitai-oauth.md: sign-in, consent, 303s and 400 pages."""

from __future__ import annotations

import html
import re

import pytest
import requests

from django_civitai_auth.emulator import AuthorizeRequestRejected, CivitaiEmulator
from django_civitai_auth.scopes import Scope
from tests.emulator.conftest import CLIENT_ID, REDIRECT_URI, Client, error_of, query_of


def _get(url: str, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).get(url, allow_redirects=False, timeout=10)


def _signed_in(emu: CivitaiEmulator, user_id: int = 12345) -> requests.Session:
    session = requests.Session()
    response = session.post(
        emu.base_url + "/login",
        data={"user_id": str(user_id), "return_url": "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    return session


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": None}, "invalid_request"),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, "invalid_client"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"redirect_uri": "http://testserver/complete/civitai"}, "invalid_client"),
        ({"redirect_uri": REDIRECT_URI + "?next=/"}, "invalid_client"),
        ({"redirect_uri": "http://testserver:8000/complete/civitai/"}, "invalid_client"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"state": None}, "invalid_request"),
        ({"state": "tab\there"}, "invalid_request"),
        ({"state": "caf\u00e9"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "UserRead"}, "invalid_scope"),
        ({"scope": "1 2"}, "invalid_scope"),
        ({"scope": "-1"}, "invalid_scope"),
        ({"scope": "134217728"}, "invalid_scope"),
        ({"scope": "0x10"}, "invalid_scope"),
    ],
)
def test_errors_before_consent_are_400_json_pages_never_redirects(
    client: Client, overrides: dict[str, str | None], error: str
) -> None:
    response = _get(client.authorize_url(**overrides))
    assert response.headers["Content-Type"] == "application/json"
    assert "Location" not in response.headers
    assert error_of(response) == (400, error)


def test_scope_must_be_one_integer_not_repeated(client: Client) -> None:
    url = client.authorize_url(scope="1") + "&scope=4"
    assert error_of(_get(url)) == (400, "invalid_scope")


def test_scope_beyond_the_apps_allowed_scopes_is_rejected_not_trimmed(emu: CivitaiEmulator) -> None:
    from django_civitai_auth.emulator import RegisteredApp

    narrow = RegisteredApp("narrow-app", None, ["http://testserver/cb"], int(Scope.UserRead))
    emu.apps[narrow.client_id] = narrow
    client = Client(emu, "narrow-app", None, "http://testserver/cb")
    response = _get(client.authorize_url(scope=str(int(Scope.UserRead | Scope.ModelsRead))))
    assert error_of(response) == (400, "invalid_scope")
    assert _get(client.authorize_url(scope="1")).status_code == 303


def test_errors_come_before_sign_in(client: Client) -> None:
    # Even a signed-in user sees the 400 page, not consent.
    session = _signed_in(client.emu)
    assert _get(client.authorize_url(scope="nope"), session).status_code == 400


def test_no_signed_in_user_is_sent_to_the_login_page_with_303(client: Client) -> None:
    response = _get(client.authorize_url())
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?returnUrl=%2Fapi%2Fauth%2Foauth%2F")
    page = _get(client.emu.base_url + response.headers["Location"])
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    for name in ("ada", "grace", "linus"):
        assert f"Sign in as {name}</button>" in page.text


def test_consent_page_names_each_requested_scope_by_its_label(client: Client) -> None:
    session = _signed_in(client.emu)
    scope = Scope.AIServices | Scope.VaultRead
    page = _get(client.authorize_url(scope=str(int(scope))), session)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for single in Scope.single_scopes():
        escaped = single.label.replace("&", "&amp;")
        assert (f"<li>{escaped}</li>" in page.text) == bool(single & scope)
    assert ">Approve</button>" in page.text
    assert ">Deny</button>" in page.text
    assert "Remember this decision" in page.text
    assert "Signed in as <strong>ada</strong>" in page.text


def test_the_sign_in_page_says_what_sets_each_demo_account_apart(client: Client) -> None:
    page = _get(client.emu.base_url + _get(client.authorize_url()).headers["Location"])
    assert "ada@example.com (verified)" in page.text
    assert "grace@example.com (not verified)" in page.text
    assert "No email on the account" in page.text
    # Only ada has a picture, served by the emulator itself; the others show initials.
    assert page.text.count("<img ") == 1
    assert '<img class="avatar" src="/avatars/12345.svg" alt=""' in page.text


def test_the_consent_page_offers_another_account(client: Client) -> None:
    session = _signed_in(client.emu)
    consent = _get(client.authorize_url(), session)
    assert "Signed in as <strong>ada</strong>" in consent.text
    link = re.search(r'<a href="(/login\?returnUrl=[^"]+)">Use another account</a>', consent.text)
    assert link is not None
    sign_in = _get(client.emu.base_url + html.unescape(link[1]), session)
    return_url = re.search(r'name="return_url" value="([^"]+)"', sign_in.text)
    assert return_url is not None
    switched = session.post(
        client.emu.base_url + "/login",
        data={"user_id": "23456", "return_url": html.unescape(return_url[1])},
        timeout=10,
    )
    assert switched.status_code == 200
    assert "Signed in as <strong>grace</strong>" in switched.text


def test_consent_page_escapes_what_it_shows(emu: CivitaiEmulator) -> None:
    from django_civitai_auth.emulator import RegisteredApp

    emu.apps["x"] = RegisteredApp("x", None, ["http://testserver/cb"], name="<b>Evil</b>")
    page = _get(Client(emu, "x", None, "http://testserver/cb").authorize_url(), _signed_in(emu))
    assert "&lt;b&gt;Evil&lt;/b&gt; wants to access" in page.text
    assert "<b>Evil</b>" not in page.text


def test_approve_is_a_303_to_the_redirect_uri_with_code_and_state(client: Client) -> None:
    location = client.emu.sign_in_and_authorize(client.authorize_url(state="a b/c?&="))
    assert location.startswith(REDIRECT_URI + "?code=")
    params = query_of(location)
    assert params["state"] == "a b/c?&="
    assert len(params["code"]) == 64
    assert int(params["code"], 16) >= 0


def test_deny_redirects_access_denied_with_state(client: Client) -> None:
    location = client.emu.sign_in_and_authorize(client.authorize_url(), approve=False)
    params = query_of(location)
    assert location.startswith(REDIRECT_URI + "?")
    assert params["error"] == "access_denied"
    assert params["error_description"]
    assert params["state"] == "st4te-xyz"
    assert "code" not in params


def test_the_redirect_uris_own_query_is_kept(emu: CivitaiEmulator) -> None:
    from django_civitai_auth.emulator import RegisteredApp

    emu.apps["q"] = RegisteredApp("q", None, ["http://testserver/cb?tenant=7"])
    client = Client(emu, "q", None, "http://testserver/cb?tenant=7")
    location = emu.sign_in_and_authorize(client.authorize_url())
    assert location.startswith("http://testserver/cb?tenant=7&code=")
    assert emu.sign_in_and_authorize(client.authorize_url(), approve=False).startswith(
        "http://testserver/cb?tenant=7&error=access_denied"
    )


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:8000/complete/civitai/", "http://localhost:41234/complete/civitai/"],
)
def test_loopback_redirect_uris_match_on_any_port(client: Client, redirect_uri: str) -> None:
    client.redirect_uri = redirect_uri
    code, verifier = client.code()
    assert client.exchange(code, verifier).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://127.0.0.1:8000/complete/civitai/",  # scheme differs
        "http://127.0.0.1:8000/complete/civitai/x",  # path differs
        "http://127.0.0.2:8000/complete/civitai/",  # host differs
        "http://127.0.0.1:8000/complete/civitai/?x=1",  # a query was added
    ],
)
def test_loopback_rule_keeps_scheme_host_and_path_exact(client: Client, redirect_uri: str) -> None:
    assert error_of(_get(client.authorize_url(redirect_uri=redirect_uri))) == (
        400,
        "invalid_client",
    )


def test_user_read_is_always_added(client: Client) -> None:
    body = client.tokens(scope="4")
    assert body["scope"] == "5"
    assert client.tokens(scope="0")["scope"] == "1"


def test_remembered_consent_to_a_superset_skips_the_consent_page(client: Client) -> None:
    emu = client.emu
    session = _signed_in(emu)
    full = str(int(Scope.AIServices))
    page = _get(client.authorize_url(scope=full), session)
    assert page.status_code == 200
    location = emu.sign_in_and_authorize(client.authorize_url(scope=full), remember=True)
    assert "code=" in location
    # A new browser session for ada, a subset of the remembered scopes: straight back, 303.
    session = _signed_in(emu)
    response = _get(client.authorize_url(scope=str(int(Scope.BuzzRead))), session)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(REDIRECT_URI + "?code=")
    # More than was remembered: consent again.
    assert _get(client.authorize_url(scope=str(int(Scope.VaultRead))), session).status_code == 200


def test_consent_without_remember_is_asked_again(client: Client) -> None:
    client.emu.sign_in_and_authorize(client.authorize_url())
    assert _get(client.authorize_url(), _signed_in(client.emu)).status_code == 200


def test_auto_approve_redirects_straight_to_the_client(client: Client) -> None:
    client.emu.auto_approve = True
    response = _get(client.authorize_url())
    assert response.status_code == 303
    code = query_of(response.headers["Location"])["code"]
    assert client.emu.issued_tokens() == []
    assert len(code) == 64


def test_authorize_rate_limit_is_10_a_minute_per_user(client: Client) -> None:
    emu = client.emu
    ada, grace = _signed_in(emu, 12345), _signed_in(emu, 23456)
    for _ in range(10):
        assert _get(client.authorize_url(), ada).status_code == 200
    limited = _get(client.authorize_url(), ada)
    assert error_of(limited) == (429, "rate_limited")
    assert "Retry-After" not in limited.headers
    assert _get(client.authorize_url(), grace).status_code == 200  # another user's bucket
    emu.clock.advance(61)
    assert _get(client.authorize_url(), ada).status_code == 200


def test_authorize_rate_limit_can_be_switched_off(client: Client) -> None:
    client.emu.rate_limit = False
    ada = _signed_in(client.emu)
    assert {_get(client.authorize_url(), ada).status_code for _ in range(12)} == {200}


def test_consent_post_requires_a_decision_and_a_signed_in_user(client: Client) -> None:
    verifier = "v" * 43
    data = client.authorize_params(verifier)
    url = client.emu.endpoint("authorize")
    anonymous = requests.post(url, data={**data, "decision": "approve"}, timeout=10)
    assert error_of(anonymous) == (400, "invalid_request")
    no_decision = _signed_in(client.emu).post(url, data=data, allow_redirects=False, timeout=10)
    assert error_of(no_decision) == (400, "invalid_request")


def test_sign_in_and_authorize_raises_with_the_json_body(client: Client) -> None:
    with pytest.raises(AuthorizeRequestRejected) as raised:
        client.emu.sign_in_and_authorize(client.authorize_url(client_id="nope"))
    assert raised.value.status == 400
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["error"] == "invalid_client"


def test_sign_in_rejects_an_unknown_demo_user(client: Client) -> None:
    bad = client.emu.base_url + "/login"
    assert error_of(requests.post(bad, data={"user_id": "999"}, timeout=10)) == (
        400,
        "invalid_request",
    )
    with pytest.raises(ValueError, match="Sign in as nobody"):
        client.emu.sign_in_and_authorize(client.authorize_url(), username="nobody")


@pytest.mark.parametrize(
    "return_url", ["//evil.example/", "/\\evil.example/", "https://evil.example/"]
)
def test_sign_in_return_url_stays_on_the_emulator(emu: CivitaiEmulator, return_url: str) -> None:
    response = requests.post(
        emu.base_url + "/login",
        data={"user_id": "12345", "return_url": return_url},
        allow_redirects=False,
        timeout=10,
    )
    assert response.headers["Location"] == "/"


def test_client_id_constant_matches_the_plugin_default() -> None:
    from django_civitai_auth.emulator.pytest_plugin import DEFAULT_CLIENT_ID

    assert DEFAULT_CLIENT_ID == CLIENT_ID
