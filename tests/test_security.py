"""No token or client secret in error reports, logs, reprs, URLs or off-site redirects.

Error reports: Django's 500 e-mails (AdminEmailHandler) and a logger's ``exc_info`` rendered by
ExceptionReporter show every frame's local variables. Each test below makes a real failure
happen inside a path that holds a token (the emulator drops a connection, answers garbage, a
receiver raises), then renders the report the way Django does and looks for the secrets.
SafeExceptionReporterFilter hides variables only while DEBUG is False (with DEBUG=True Django
shows everything; docs/security.rst says so), which is the setting of the test suite.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import AbstractBaseUser
from django.db.models.signals import post_save
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter
from social_django.models import UserSocialAuth

from django_civitai_auth import civitai_session, signals, token_endpoint
from django_civitai_auth.emulator import CivitaiEmulator
from django_civitai_auth.exceptions import (
    CivitaiUnavailable,
    ReauthenticationRequired,
    TokenDecryptionError,
)
from django_civitai_auth.fields import Ciphertext
from django_civitai_auth.models import CivitaiToken
from django_civitai_auth.refresh import RefreshResult, refresh_access_token
from django_civitai_auth.revocation import RevokeOutcome, _secret_of, revoke_user_tokens
from django_civitai_auth.session import _CivitaiBearer
from django_civitai_auth.token_response import MalformedTokenResponse, parse_token_response
from django_civitai_auth.tokens import aget_access_token, get_access_token
from tests.lifecycle import expire, stored_pair, token_for
from tests.signin import begin_sign_in, complete_sign_in, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"  # tests/settings.py
TOKEN_SHAPE = re.compile(r"civitai_[0-9A-Za-z_-]{20,}")
ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


class Boom(Exception):
    """A site's own code failing at an awkward moment."""


def secrets_of(emulator: CivitaiEmulator) -> list[str]:
    """Every token the emulator ever issued, and the app's client secret."""
    return [issued.value for issued in emulator.issued_tokens()] + [CLIENT_SECRET]


def rendered_report(exc_info: Any, request: HttpRequest | None = None) -> str:
    """The HTML and text report Django's 500 e-mail and technical page build from ``exc_info``."""
    reporter = ExceptionReporter(request, *exc_info)
    return reporter.get_traceback_html() + "\n" + reporter.get_traceback_text()


def assert_report_hides(report: str, secrets: list[str]) -> None:
    """Fail naming how many secrets leaked (never printing one)."""
    leaked = sum(secret in report for secret in secrets)
    assert leaked == 0, "secret(s) appear in the error report"
    assert not TOKEN_SHAPE.search(report), "something shaped like a Civitai token is in the report"


def caught(expected: type[BaseException], call: Callable[[], object]) -> ExcInfo:
    """The exc_info of ``call`` failing with ``expected``, as a 500 handler would get it."""
    with pytest.raises(expected) as info:
        call()
    return info.type, info.value, info.tb


@pytest.fixture
def raising_receiver() -> Iterator[Callable[..., None]]:
    """Connect a receiver that raises to a signal for the test, and disconnect it after."""
    connected: list[tuple[Any, Any, Any]] = []

    def boom(*args: Any, **kwargs: Any) -> None:
        raise Boom("a site's receiver failed")

    def connect(signal: Any, sender: Any = None) -> None:
        signal.connect(boom, sender=sender, weak=False)
        connected.append((signal, boom, sender))

    yield connect
    for signal, receiver, sender in connected:
        signal.disconnect(receiver, sender=sender)


# -- 1. error reports --------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["drop", "non_json", "server_error"])
def test_failed_refresh_report_hides_the_tokens(civitai_site: CivitaiEmulator, fault: str) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.add_fault("token", fault)

    exc_info = caught(CivitaiUnavailable, lambda: get_access_token(token.user))

    assert exc_info[0] is CivitaiUnavailable
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


def test_refreshed_receiver_failure_report_hides_the_new_tokens(
    civitai_site: CivitaiEmulator, raising_receiver: Callable[..., None]
) -> None:
    token = token_for(civitai_site)
    raising_receiver(signals.token_refreshed)

    exc_info = caught(Boom, lambda: refresh_access_token(token))

    assert exc_info[0] is Boom
    assert civitai_site.count("token", grant="refresh_token") == 1  # the new pair was issued
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


def test_async_refresh_failure_report_hides_the_tokens(civitai_site: CivitaiEmulator) -> None:
    token = token_for(civitai_site)
    civitai_site.add_fault("token", "drop")

    exc_info = caught(
        CivitaiUnavailable, lambda: asyncio.run(aget_access_token(token.user, force_refresh=True))
    )

    assert exc_info[0] is CivitaiUnavailable
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


@pytest.mark.parametrize("fault", ["drop", "server_error"])
def test_failed_revocation_report_hides_the_refresh_token(
    civitai_site: CivitaiEmulator, fault: str
) -> None:
    token = token_for(civitai_site)
    civitai_site.add_fault("revoke", fault)

    exc_info = caught(
        CivitaiUnavailable,
        lambda: token_endpoint.revoke_refresh_token(token.refresh_token, token.social_auth.uid),
    )

    assert issubclass(exc_info[0], CivitaiUnavailable)
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


def test_revocation_receiver_failure_report_hides_the_refresh_token(
    civitai_site: CivitaiEmulator, raising_receiver: Callable[..., None]
) -> None:
    token = token_for(civitai_site)
    raising_receiver(signals.token_revoked)

    exc_info = caught(Boom, lambda: revoke_user_tokens(token.user_id, reason="test"))

    assert exc_info[0] is Boom
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


def test_session_call_failure_report_hides_the_bearer_token(
    civitai_site: CivitaiEmulator,
) -> None:
    token = token_for(civitai_site)
    civitai_site.add_fault("userinfo", "drop")

    with civitai_session(token.user) as session:
        exc_info = caught(
            requests.ConnectionError, lambda: session.get(civitai_site.endpoint("userinfo"))
        )

    assert issubclass(exc_info[0], requests.ConnectionError)
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


def test_session_refresh_failure_report_hides_the_tokens(civitai_site: CivitaiEmulator) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.add_fault("token", "non_json")

    with civitai_session(token.user) as session:
        exc_info = caught(CivitaiUnavailable, lambda: session.get("/api/auth/oauth/userinfo"))

    assert exc_info[0] is CivitaiUnavailable
    assert_report_hides(rendered_report(exc_info), secrets_of(civitai_site))


def _failed_callback(emulator: CivitaiEmulator, before_callback: Callable[[], None]) -> str:
    """Sign in until Civitai redirects back, break something, return the callback's report."""
    client = Client(raise_request_exception=False)
    redirect = emulator.sign_in_and_authorize(begin_sign_in(client))
    before_callback()
    response: Any = complete_sign_in(client, redirect)
    assert response.status_code == 500
    assert response.exc_info is not None
    return rendered_report(response.exc_info, response.wsgi_request)


@pytest.mark.parametrize(("endpoint", "fault"), [("token", "drop"), ("userinfo", "drop")])
def test_sign_in_failure_report_hides_tokens_and_secret(
    civitai_site: CivitaiEmulator, settings: Any, endpoint: str, fault: str
) -> None:
    # What a site without SocialAuthExceptionMiddleware (or with RAISE_EXCEPTIONS) gets: a 500.
    settings.SOCIAL_AUTH_RAISE_EXCEPTIONS = True

    report = _failed_callback(civitai_site, lambda: civitai_site.add_fault(endpoint, fault))

    assert "Traceback" in report
    assert_report_hides(report, secrets_of(civitai_site))


def test_token_storage_failure_report_hides_tokens_and_secret(
    civitai_site: CivitaiEmulator, raising_receiver: Callable[..., None]
) -> None:
    report = _failed_callback(
        civitai_site, lambda: raising_receiver(post_save, sender=CivitaiToken)
    )

    assert "Boom" in report
    assert civitai_site.count("token", grant="authorization_code") == 1
    assert_report_hides(report, secrets_of(civitai_site))


def fail_after_the_tokens_were_stored(backend: Any, **kwargs: Any) -> None:
    """A site's own last pipeline step failing with its own (non-social-auth) exception."""
    raise Boom("a site's pipeline step failed")


def test_pipeline_step_failure_report_hides_tokens_and_secret(
    civitai_site: CivitaiEmulator, settings: Any
) -> None:
    from social_core.pipeline import DEFAULT_AUTH_PIPELINE

    settings.SOCIAL_AUTH_PIPELINE = (
        *DEFAULT_AUTH_PIPELINE,
        "tests.test_security.fail_after_the_tokens_were_stored",
    )

    report = _failed_callback(civitai_site, lambda: None)

    assert "Boom" in report
    assert_report_hides(report, secrets_of(civitai_site))


def test_settings_in_the_report_are_masked(civitai_site: CivitaiEmulator) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.add_fault("token", "drop")
    exc_info = caught(CivitaiUnavailable, lambda: get_access_token(token.user))
    request = Client().get("/").wsgi_request  # a request makes the report list the settings

    report = rendered_report(exc_info, request)

    assert "SOCIAL_AUTH_CIVITAI_SECRET" in report
    assert CLIENT_SECRET not in report
    assert "4Ay2U3N4zK1l0G7lZV0pC6xgC9xq2hB8QOK5b4cN0aE=" not in report  # an encryption key


# -- 2. logs -----------------------------------------------------------------------------------


@pytest.fixture
def every_log_record(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of every logger (urllib3, requests, social, django, ours) at DEBUG."""
    caplog.set_level(logging.DEBUG)  # the root logger and caplog's handler; restored after
    for name in ("urllib3", "requests", "social", "django", "django_civitai_auth"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _record_text(record: logging.LogRecord) -> str:
    # format() fills exc_text with the traceback; args are included as given and as rendered.
    formatted = logging.Formatter("%(name)s %(message)s").format(record)
    return "\n".join([formatted, repr(record.args), record.exc_text or ""])


def test_a_whole_lifecycle_logs_no_token_or_secret(
    civitai_site: CivitaiEmulator, every_log_record: pytest.LogCaptureFixture
) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    get_access_token(user, force_refresh=True)
    with civitai_session(user) as session:
        assert session.get("/api/auth/oauth/userinfo").status_code == 200
    civitai_site.add_fault("token", "drop")  # failure paths log too
    with pytest.raises(CivitaiUnavailable):
        get_access_token(user, force_refresh=True)
    civitai_site.add_fault("revoke", "server_error")
    revoke_user_tokens(user.pk, reason="test")  # logs a warning and deletes locally
    sign_in(client, civitai_site)
    client.logout()  # sign-out revokes: the real call this time
    sign_in(client, civitai_site)
    civitai_site.add_fault("token", "invalid_grant")
    with pytest.raises(ReauthenticationRequired):
        get_access_token(user, force_refresh=True)  # logs that a sign-in is needed

    assert civitai_site.count("revoke") == 2
    records = every_log_record.records
    assert any(record.name.startswith("urllib3") for record in records)
    assert any(record.name.startswith("django_civitai_auth") for record in records)
    secrets = secrets_of(civitai_site)
    for record in records:
        text = _record_text(record)
        assert not any(secret in text for secret in secrets), f"a secret is in {record.name}"
        assert not TOKEN_SHAPE.search(text), f"a token is in {record.name}"


# -- 3. reprs and URLs -------------------------------------------------------------------------


def test_reprs_and_strs_show_no_token(civitai_site: CivitaiEmulator) -> None:
    token = token_for(civitai_site)
    access, refresh, access_cipher, refresh_cipher = stored_pair(token)
    grant = parse_token_response(
        {"access_token": access, "refresh_token": refresh, "expires_in": 60, "scope": "1"}
    )
    session = civitai_session(token.user)
    backend = token_endpoint.load_backend()
    objects: list[object] = [
        token,
        CivitaiToken.objects.get(pk=token.pk),
        grant,
        RefreshResult(access, refreshed_here=True),
        Ciphertext(access_cipher or ""),
        _secret_of(token),
        RevokeOutcome(token.pk, token.user_id, "revoked"),
        session,
        _CivitaiBearer(session),
        backend,
        ReauthenticationRequired(user_id=token.user_id),
        CivitaiUnavailable(),
        MalformedTokenResponse("Civitai's token answer has no access_token."),
        TokenDecryptionError("x"),
        token_endpoint.InvalidGrant("invalid_grant"),
        token_endpoint.classify_error(requests.ConnectionError("refused")),
    ]
    session.close()
    secrets = [access, refresh, access_cipher or "", refresh_cipher or "", CLIENT_SECRET]
    assert all(secrets)
    for each in objects:
        # A Ciphertext is a str of the stored value, so only its repr can be checked.
        texts = [repr(each)] if isinstance(each, Ciphertext) else [repr(each), str(each)]
        for text in texts:
            for secret in secrets:
                assert secret not in text, type(each).__name__


@pytest.fixture
def sent_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every HTTP request anyone in this process sends through requests.

    A spy, not a mock: each request still goes to the emulator unchanged. The emulator keeps
    counters but no log of request URLs, and HTTPAdapter.send is where every request of the
    site, social-core and the emulator's scripted browser passes with its final URL.
    """
    urls: list[str] = []
    real_send = requests.adapters.HTTPAdapter.send

    def spy(self: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        urls.append(str(request.url))
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    return urls


def test_no_request_carries_a_token_or_secret_in_its_url(
    civitai_site: CivitaiEmulator, sent_urls: list[str]
) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    get_access_token(user, force_refresh=True)
    with civitai_session(user) as session:
        session.get("/api/auth/oauth/userinfo")
    revoke_user_tokens(user.pk, reason="test")

    paths = {urlsplit(url).path.rsplit("/", 1)[-1] for url in sent_urls}
    assert {"authorize", "token", "userinfo", "revoke"} <= paths
    secrets = secrets_of(civitai_site)
    for url in sent_urls:
        assert not any(secret in url for secret in secrets), urlsplit(url).path
        assert not TOKEN_SHAPE.search(url), urlsplit(url).path


# -- 4. redirect targets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "http://testserver@evil.example/",
    ],
)
def test_sign_in_never_redirects_off_site(civitai_site: CivitaiEmulator, next_url: str) -> None:
    client = Client()
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client, next_url=next_url))

    response = complete_sign_in(client, redirect)

    assert response.status_code == 302
    assert response["Location"] == "/"  # SOCIAL_AUTH_LOGIN_REDIRECT_URL


def test_sign_in_keeps_a_local_next(civitai_site: CivitaiEmulator) -> None:
    client = Client()
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client, next_url="/profile/?a=1"))

    assert complete_sign_in(client, redirect)["Location"] == "/profile/?a=1"


# -- 5. admin pages social-auth adds -----------------------------------------------------------


def test_social_auth_admin_pages_show_no_token(
    civitai_site: CivitaiEmulator, admin_user: AbstractBaseUser
) -> None:
    sign_in(Client(), civitai_site)
    social = UserSocialAuth.objects.get(provider="civitai")
    admin = Client()
    admin.force_login(admin_user)

    pages = [
        admin.get(reverse("admin:social_django_usersocialauth_changelist")),
        admin.get(reverse("admin:social_django_usersocialauth_change", args=[social.pk])),
    ]

    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert not any(secret in html for secret in secrets_of(civitai_site))
        assert not TOKEN_SHAPE.search(html)
    assert "12345" in pages[1].content.decode()  # the page really shows this account
