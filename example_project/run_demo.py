"""``make demo``: migrate, start the Civitai emulator and the example site, say what to open.

With no Civitai credentials in the environment everything runs on 127.0.0.1 and needs no
network. With ``CIVITAI_CLIENT_ID`` (and ``CIVITAI_CLIENT_SECRET``, ``CIVITAI_REDIRECT_URI``)
no emulator starts and the site talks to civitai.com. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MANAGE = HERE / "manage.py"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0

# Run as a script, this folder comes first on sys.path; the repository is what must be there.
# Imported as example_project.run_demo (the browser tests reuse stop()), the path is already right.
if not __package__:
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
    sys.path.insert(0, str(REPO))

from example_project.demo_app import (  # noqa: E402
    CALLBACK_PATH,
    DEMO_APP_NAME,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
)


class DemoError(Exception):
    """Something the person running the demo can fix; the message says what."""


class Stop(Exception):
    """SIGTERM arrived: shut down like Ctrl-C."""


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


def choose_port(preferred: int) -> int:
    """The preferred port if it is free, any free port otherwise (0 means any)."""
    if preferred and port_is_free(preferred):
        return preferred
    return free_port()


def say(text: str = "") -> None:
    print(text, flush=True)  # noqa: T201 - this script talks to a person


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    say("Preparing the database (manage.py migrate)...")
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(MANAGE), "migrate", "--noinput", "-v", "0"], env=env, check=False
    )
    if result.returncode != 0:
        raise DemoError("manage.py migrate failed; see the error above.")


def forward_output(stream: IO[str], prefix: str) -> None:
    """Echo a child's remaining output so its pipe never fills up and blocks it."""
    for line in stream:
        say(f"{prefix}{line.rstrip()}")


def start_emulator(
    port: int, redirect_uri: str, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and package
        [
            sys.executable,
            "-m",
            "django_civitai_auth.emulator",
            "--port",
            str(port),
            "--client-id",
            DEMO_CLIENT_ID,
            "--client-secret",
            DEMO_CLIENT_SECRET,
            "--redirect-uri",
            redirect_uri,
            "--app-name",
            DEMO_APP_NAME,
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        # Its own session: Ctrl-C reaches only this script, which then stops the children in
        # order instead of every process printing its own KeyboardInterrupt.
        start_new_session=True,
    )
    assert process.stdout is not None  # noqa: S101 - stdout=PIPE above
    first_line = process.stdout.readline().strip()
    if not first_line.startswith("http://"):
        process.wait(timeout=10)
        raise DemoError("The Civitai emulator did not start; see the error above.")
    threading.Thread(
        target=forward_output, args=(process.stdout, "[emulator] "), daemon=True
    ).start()
    return process, first_line.rstrip("/")


def start_site(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(MANAGE), "runserver", f"{HOST}:{port}", "--noreload"],
        env=env,
        text=True,
        start_new_session=True,
    )


def wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError("The example site stopped while starting; see the error above.")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - http://127.0.0.1 only
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise DemoError(f"The example site did not answer at {url} within {STARTUP_TIMEOUT:.0f} s.")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def stopping(processes: list[subprocess.Popen[str]]) -> Iterator[None]:
    """Stop every started child on the way out, newest first."""
    try:
        yield
    finally:
        for process in reversed(processes):
            stop(process)


def raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def real_civitai_site(preferred_port: int) -> tuple[int, str]:
    """The port to serve on and the callback URL registered on civitai.com."""
    redirect_uri = os.environ.get("CIVITAI_REDIRECT_URI", "").strip()
    if not redirect_uri:
        redirect_uri = f"http://{HOST}:{preferred_port or 8000}{CALLBACK_PATH}"
        os.environ["CIVITAI_REDIRECT_URI"] = redirect_uri
    parts = urlsplit(redirect_uri)
    if parts.path != CALLBACK_PATH:
        raise DemoError(
            f"CIVITAI_REDIRECT_URI must end in {CALLBACK_PATH} (python-social-auth's callback), "
            f"not {parts.path!r}. Register e.g. http://{HOST}:8000{CALLBACK_PATH} on Civitai."
        )
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}:
        port = parts.port or 80
        if not port_is_free(port):
            raise DemoError(f"Port {port} of CIVITAI_REDIRECT_URI is in use; stop what uses it.")
        return port, f"http://{parts.hostname}:{port}/"
    # A public HTTPS callback: something in front (a tunnel or proxy) forwards it to us.
    port = choose_port(preferred_port)
    return port, f"{parts.scheme}://{parts.netloc}/"


def run(site_port: int, emulator_port: int) -> int:
    processes: list[subprocess.Popen[str]] = []
    with stopping(processes):
        if os.environ.get("CIVITAI_CLIENT_ID", "").strip():
            port, open_url = real_civitai_site(site_port)
            env = child_env()
            migrate(env)
            lines = [
                "Talking to civitai.com with your app (CIVITAI_CLIENT_ID is set).",
                "Redirect URI, as registered on Civitai: " + os.environ["CIVITAI_REDIRECT_URI"],
            ]
        else:
            port = choose_port(site_port)
            redirect_uri = f"http://{HOST}:{port}{CALLBACK_PATH}"
            env = child_env()
            for name in ("CIVITAI_CLIENT_SECRET", "CIVITAI_REDIRECT_URI"):
                env.pop(name, None)
            migrate(env)
            emulator, emulator_url = start_emulator(choose_port(emulator_port), redirect_uri, env)
            processes.append(emulator)
            env["CIVITAI_EMULATOR_URL"] = emulator_url
            open_url = f"http://{HOST}:{port}/"
            lines = [
                "Offline: no Civitai credentials are set, so the bundled emulator plays Civitai.",
                f"Civitai emulator: {emulator_url}",
                "Demo accounts: ada (verified email), grace (unverified email), linus (no email).",
            ]
        site = start_site(port, env)
        processes.append(site)
        wait_until_serving(f"http://{HOST}:{port}/", site)
        say()
        say("=" * 72)
        say("  django-civitai-auth demo is running.")
        say(f'  Open {open_url} in your browser and press "Sign in with Civitai".')
        for line in lines:
            say(f"  {line}")
        say("  Press Ctrl-C to stop.")
        say("=" * 72)
        say()
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        failed = [process.args for process in processes if process.poll() is not None]
        raise DemoError(f"A demo process stopped unexpectedly: {failed[0]!r}")
    return 0  # pragma: no cover - the loop above only ends by an exception


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8000, help="the site's port (0: any free)")
    parser.add_argument(
        "--emulator-port", type=int, default=8765, help="the emulator's port (0: any free)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, raise_stop)
    # Ctrl-C stops the demo even when a shell started it with SIGINT ignored (as `cmd &` does).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run(args.port, args.emulator_port)
    except (KeyboardInterrupt, Stop):
        say("\nStopped the demo.")
        return 0
    except DemoError as error:
        say(f"\nmake demo: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
