"""``python -m django_civitai_auth.emulator``: run the Civitai emulator until stopped.

The first line printed is the base URL (``http://127.0.0.1:PORT``), for scripts to read.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from django_civitai_auth.emulator.config import DEFAULT_USERS, RegisteredApp
from django_civitai_auth.emulator.emulator import CivitaiEmulator
from django_civitai_auth.scopes import MAX_SCOPE_MASK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_civitai_auth.emulator",
        description="A local Civitai OAuth server that behaves like the real one.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--client-id", required=True, help="the registered app's client id")
    parser.add_argument(
        "--client-secret", default=None, help="the app's secret; leave out for a public app"
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        required=True,
        help="a registered redirect URI; repeat for several",
    )
    parser.add_argument(
        "--allowed-scopes", type=int, default=MAX_SCOPE_MASK, help="the app's scope mask"
    )
    parser.add_argument(
        "--app-name",
        default=RegisteredApp.name,
        help="the app's name, as the consent page shows it (default: %(default)s)",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="a demo user is signed in and has consented: /authorize redirects at once",
    )
    parser.add_argument("--no-rate-limit", action="store_true", help="turn off Civitai's limits")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    app = RegisteredApp(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri,
        allowed_scopes=args.allowed_scopes,
        name=args.app_name,
    )
    emulator = CivitaiEmulator(
        apps=[app],
        users=DEFAULT_USERS,
        rate_limit=not args.no_rate_limit,
        auto_approve=args.auto_approve,
        host=args.host,
        port=args.port,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with emulator:
        sys.stdout.write(emulator.base_url + "\n")
        users = ", ".join(f"{user.username} ({user.id})" for user in DEFAULT_USERS)
        sys.stdout.write(f"Civitai emulator: app {app.client_id}; demo users: {users}\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    sys.stdout.write("Civitai emulator stopped\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
