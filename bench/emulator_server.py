"""A CivitaiEmulator in its own process, seeded with N token pairs, and the handle to drive it.

The benchmarks keep the emulator out of the measured process: its threads would otherwise
compete with civitai_refresh for the GIL (slowing the command and flattering nobody), and its
growing token store would count towards the command's memory. Run as a script it prints the
base URL, writes ``user_id access refresh`` lines to the file given, then answers one-line
requests on stdin until stdin closes:

- ``check PATH``: how many of the tokens listed in PATH (one a line) it still accepts;
- ``count``: how many refresh_token grants it has answered.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from django_civitai_auth.emulator import CivitaiEmulator, DemoUser, RegisteredApp

CLIENT_ID = "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"  # noqa: S105 - bench only
ROOT = Path(__file__).resolve().parent.parent


class EmulatorProcess:
    """Starts this file as a child process and talks to it over its stdin and stdout."""

    def __init__(self, users: int, pairs_file: Path, *, latency: float = 0.0) -> None:
        self.pairs_file = pairs_file
        self._child = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--users",
                str(users),
                "--pairs",
                str(pairs_file),
                "--latency",
                str(latency),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.base_url = self._read()

    def _read(self) -> str:
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process ended early")
        return line.strip()

    def _ask(self, request: str) -> str:
        assert self._child.stdin is not None
        self._child.stdin.write(request + "\n")
        self._child.stdin.flush()
        return self._read()

    def pairs(self) -> Iterable[tuple[int, str, str]]:
        with open(self.pairs_file) as lines:
            for line in lines:
                uid, access, refresh = line.split()
                yield int(uid), access, refresh

    def count_active(self, tokens: Iterable[str], scratch: Path) -> int:
        scratch.write_text("".join(f"{token}\n" for token in tokens))
        return int(self._ask(f"check {scratch}"))

    def refresh_requests(self) -> int:
        return int(self._ask("count"))

    def stop(self) -> None:
        if self._child.stdin is not None:
            self._child.stdin.close()
        self._child.wait()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--pairs", required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    users = [DemoUser(id=n, username=f"bench{n}") for n in range(1, args.users + 1)]
    app = RegisteredApp(CLIENT_ID, CLIENT_SECRET, ["http://127.0.0.1/complete/civitai/"])
    with CivitaiEmulator(apps=[app], users=users, rate_limit=False) as emulator:
        with open(args.pairs, "w") as out:
            for user in users:
                pair = emulator.issue_token_pair(user.id)
                out.write(f"{user.id} {pair.access.value} {pair.refresh.value}\n")
        emulator.latency = args.latency
        print(emulator.base_url, flush=True)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "check":
                with open(argument) as tokens:
                    answer = sum(1 for token in tokens if emulator.is_token_active(token.strip()))
            elif command == "count":
                answer = emulator.count("token", grant="refresh_token")
            else:
                raise SystemExit(f"unknown request: {line.strip()!r}")
            print(answer, flush=True)


if __name__ == "__main__":
    main()
