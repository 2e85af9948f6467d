"""A CivitaiEmulator in its own process for the memory benchmark, seeded with N token pairs.

Keeping the emulator out of the measured process means its growing token store does not count
towards civitai_refresh's memory. Prints the base URL, writes ``user_id access refresh`` lines
to the file given, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import sys

from django_civitai_auth.emulator import CivitaiEmulator, DemoUser, RegisteredApp

CLIENT_ID = "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"  # noqa: S105 - bench only


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--pairs", required=True)
    args = parser.parse_args()
    users = [DemoUser(id=n, username=f"bench{n}") for n in range(1, args.users + 1)]
    app = RegisteredApp(CLIENT_ID, CLIENT_SECRET, ["http://127.0.0.1/complete/civitai/"])
    with CivitaiEmulator(apps=[app], users=users, rate_limit=False) as emulator:
        with open(args.pairs, "w") as out:
            for user in users:
                pair = emulator.issue_token_pair(user.id)
                out.write(f"{user.id} {pair.access.value} {pair.refresh.value}\n")
        print(emulator.base_url, flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin


if __name__ == "__main__":
    main()
