"""Drives the emulator's sign-in and consent pages over real HTTP, as a browser would."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

_TIMEOUT = 10.0


class AuthorizeRequestRejected(Exception):
    """The emulator refused the authorization request (a 400 JSON page, or 429)."""

    def __init__(self, status: int, body: object) -> None:
        super().__init__(f"/authorize answered {status}: {body}")
        self.status = status
        self.body = body


class _FormReader(HTMLParser):
    """Collects the inputs and buttons of the page's forms, with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.buttons: dict[str, dict[str, str]] = {}  # button text -> {name: value}
        self._button: dict[str, str] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes.get("name", "")] = attributes.get("value", "")
        elif tag == "button":
            self._button = {attributes.get("name", ""): attributes.get("value", "")}
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self.buttons[self._text.strip()] = self._button
            self._button = None


def _read_form(response: requests.Response) -> _FormReader:
    reader = _FormReader()
    reader.feed(response.text)
    return reader


def _press(
    session: requests.Session, page: requests.Response, button: str, extra: dict[str, str]
) -> requests.Response:
    form = _read_form(page)
    if button not in form.buttons:
        raise ValueError(f"the page at {page.url} has no button {button!r}")
    data = {**form.hidden, **form.buttons[button], **extra}
    return session.post(
        urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=_TIMEOUT
    )


def _check(response: requests.Response) -> None:
    if response.status_code >= 400:
        try:
            body: object = response.json()
        except ValueError:
            body = response.text
        raise AuthorizeRequestRejected(response.status_code, body)


def drive_authorization(authorize_url: str, *, username: str, approve: bool, remember: bool) -> str:
    """GET /authorize, sign in as ``username``, answer consent; return the client redirect."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    with requests.Session() as session:
        response = session.get(authorize_url, allow_redirects=False, timeout=_TIMEOUT)
        _check(response)
        location = response.headers.get("Location", "")
        if response.status_code == 303 and urlsplit(location).path == "/login":
            sign_in = session.get(urljoin(origin, location), timeout=_TIMEOUT)
            _check(sign_in)
            signed_in = _press(session, sign_in, f"Sign in as {username}", {})
            _check(signed_in)
            response = session.get(
                urljoin(origin, signed_in.headers["Location"]),
                allow_redirects=False,
                timeout=_TIMEOUT,
            )
            _check(response)
        if response.status_code == 200:
            extra = {"remember": "1"} if remember else {}
            response = _press(session, response, "Approve" if approve else "Deny", extra)
            _check(response)
        if response.status_code != 303:
            raise AuthorizeRequestRejected(response.status_code, response.text)
        return str(response.headers["Location"])


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a redirect, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
