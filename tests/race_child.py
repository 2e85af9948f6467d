"""One contender in the multi-process refresh race (run by tests/test_single_flight.py).

Environment: DJANGO_SETTINGS_MODULE=tests.settings, CIVITAI_TEST_DB_NAME (the parent's test
database), CIVITAI_RACE_BASE_URL (the emulator), CIVITAI_RACE_USER_ID and CIVITAI_RACE_DIR,
where the child touches ``ready-<pid>`` and then waits for ``go`` so all start together.
Prints one JSON line: {"token": ...} or {"error": "ExceptionName"}.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from django_civitai_auth import get_access_token

    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = os.environ["CIVITAI_RACE_BASE_URL"]
    connection.ensure_connection()
    race_dir = Path(os.environ["CIVITAI_RACE_DIR"])
    (race_dir / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not (race_dir / "go").exists():
        if time.monotonic() > deadline:
            sys.exit("the race never started")
        time.sleep(0.001)
    try:
        result = {"token": get_access_token(int(os.environ["CIVITAI_RACE_USER_ID"]))}
    except Exception as error:
        result = {"error": type(error).__name__, "message": str(error)}
    print(json.dumps(result))  # noqa: T201 - the parent reads this line


if __name__ == "__main__":
    main()
