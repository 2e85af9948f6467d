"""``make demo``: the runner end to end (offline with the emulator, and with real-Civitai
credentials, where no emulator starts), plus the example site's small pure helpers."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
RUN_DEMO = REPO / "example_project" / "run_demo.py"


class DemoOutput:
    """The runner's output lines, read in a thread so a full pipe never blocks the demo."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        pytest.fail(f"the demo never printed {pattern!r}; it printed:\n{''.join(self.seen)}")

    def rest(self) -> str:
        self._thread.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


def is_listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # Only what the test sets: a developer's own Civitai credentials must not leak in.
        if not name.startswith(("CIVITAI_", "DJANGO_"))
    }
    env["CIVITAI_DEMO_DB"] = str(tmp_path / "db.sqlite3")
    env.update(extra)
    return env


def consent_page(emulator_url: str, site_url: str) -> str:
    from example_project.demo_app import CALLBACK_PATH, DEMO_CLIENT_ID

    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": site_url.rstrip("/") + CALLBACK_PATH,
        "scope": "1",
        "state": "demo-test",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    authorize = f"{emulator_url}/api/auth/oauth/authorize?{urlencode(params)}"
    with requests.Session() as session:
        session.post(f"{emulator_url}/login", data={"user_id": "12345"}, timeout=10)
        return session.get(authorize, timeout=10).text


@pytest.fixture
def demo_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The runner's environment: offline by default, or "real-civitai" credentials."""
    if getattr(request, "param", "offline") == "real-civitai":
        # Nothing contacts Civitai here: the test never presses the sign-in button.
        return clean_env(
            tmp_path,
            CIVITAI_CLIENT_ID="3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
            CIVITAI_CLIENT_SECRET="0123456789abcdef0123456789abcdef0123456789abcdef",
            CIVITAI_REDIRECT_URI=f"http://127.0.0.1:{free_port()}/complete/civitai/",
        )
    return clean_env(tmp_path)


@pytest.fixture
def demo(demo_env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], DemoOutput]]:
    process = subprocess.Popen(
        [sys.executable, str(RUN_DEMO), "--port", "0", "--emulator-port", "0"],
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = DemoOutput(process)
    try:
        yield process, output
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


@pytest.mark.slow
def test_demo_starts_offline_and_stops_on_ctrl_c(
    demo: tuple[subprocess.Popen[str], DemoOutput],
) -> None:
    process, output = demo
    site_url = output.wait_for(r"Open (http://127\.0\.0\.1:\d+/) in your browser", 90)[1]
    emulator_url = output.wait_for(r"Civitai emulator: (http://127\.0\.0\.1:\d+)", 5)[1]

    home = requests.get(site_url, timeout=10)
    assert home.status_code == 200
    assert "Sign in with Civitai" in home.text
    assert emulator_url in home.text  # the banner says which Civitai the site talks to
    # The emulator is up and knows the demo app: an authorization request without PKCE is
    # refused with Civitai's JSON error, not a connection error.
    refused = requests.get(f"{emulator_url}/api/auth/oauth/authorize", timeout=10)
    assert refused.status_code == 400
    assert "error" in refused.json()
    # Signed in on the emulator, its consent page names the demo app as the runner registered it.
    assert "django-civitai-auth demo wants to access" in consent_page(emulator_url, site_url)

    process.send_signal(signal.SIGINT)  # what Ctrl-C does

    assert process.wait(timeout=30) == 0
    assert "Stopped the demo." in output.rest()
    assert not is_listening(site_url)
    assert not is_listening(emulator_url)


@pytest.mark.slow
@pytest.mark.parametrize("demo_env", ["real-civitai"], indirect=True)
def test_demo_with_civitai_credentials_starts_no_emulator(
    demo: tuple[subprocess.Popen[str], DemoOutput],
) -> None:
    process, output = demo
    site_url = output.wait_for(r"Open (http://127\.0\.0\.1:\d+/) in your browser", 90)[1]
    output.wait_for(r"Redirect URI, as registered on Civitai: http://127\.0\.0\.1:\d+/", 5)

    home = requests.get(site_url, timeout=10)
    assert home.status_code == 200
    assert "talks to <strong>civitai.com</strong>" in home.text
    assert 'action="/login/civitai/"' in home.text

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "emulator" not in output.rest().lower()


def test_avatar_is_shown_only_from_this_machine_offline() -> None:
    from example_project.civitai_profile import avatar_url

    remote = "https://image.civitai.com/a/ada.jpeg"
    emulator = "http://127.0.0.1:8765"
    assert avatar_url(remote, allow_remote=False, emulator_url=emulator) is None
    assert avatar_url(remote, allow_remote=True) == remote
    served = "http://127.0.0.1:8765/avatars/12345.svg"
    assert avatar_url(served, allow_remote=False, emulator_url=emulator) == served
    assert avatar_url("data:image/png;base64,AAAA", allow_remote=False) is not None
    assert avatar_url("http://image.civitai.com/a.jpeg", allow_remote=True) is None
    assert avatar_url("javascript:alert(1)", allow_remote=True) is None
    assert avatar_url(None, allow_remote=True) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9999/avatars/12345.svg",  # an emulator that ran on another port
        "http://localhost:8765/avatars/12345.svg",  # another origin, as CSP sees it
        "https://127.0.0.1:8765/avatars/12345.svg",
    ],
)
def test_a_loopback_avatar_off_the_emulators_origin_shows_initials(url: str) -> None:
    # The page's Content-Security-Policy would block it: a broken image, not a picture.
    from example_project.civitai_profile import avatar_url

    assert avatar_url(url, allow_remote=False, emulator_url="http://127.0.0.1:8765") is None
    assert avatar_url(url, allow_remote=True, emulator_url="") is None


def test_images_may_come_from_the_emulator_and_nothing_else_may(settings: Any) -> None:
    from example_project.csp import policy

    settings.CIVITAI_EMULATOR_URL = "http://127.0.0.1:8765"
    settings.EXAMPLE_ALLOW_REMOTE_AVATARS = False
    directives = dict(part.split(" ", 1) for part in policy().split("; "))
    assert directives["img-src"] == "'self' data: http://127.0.0.1:8765"
    others = [value for name, value in directives.items() if name != "img-src"]
    assert not any("127.0.0.1" in value or "https:" in value for value in others)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'none'"


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"error_code": "authorization_declined"}, "You didn't allow access"),
        ({"error_code": "state_mismatch", "error_recovery": "restart_login"}, "expired"),
        ({"error_code": "timeout", "error_recovery": "retry_later"}, "Civitai is unavailable"),
        ({"error_recovery": "contact_administrator"}, "setup needs attention"),
        ({}, "Sign-in didn't complete"),
    ],
)
def test_sign_in_problems_are_explained(params: dict[str, str], title: str) -> None:
    from example_project.signin_errors import describe

    assert title in describe(params).title
