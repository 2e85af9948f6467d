"""``make bench``: the token lifecycle's figures, each beside its comparison from the same run.

1. get_access_token on a valid token vs reading UserSocialAuth.extra_data["access_token"].
2. civitai_refresh over N due tokens (no budget, emulator latency) vs a sequential loop over
   social-app-django's UserSocialAuth.refresh_token.
3. civitai_refresh with the default budget against the emulator's real 20/min limit.
4. Peak memory of civitai_refresh over a small and a large number of due tokens.

Everything runs against its own SQLite database in a temporary folder and its own emulator.
Flags scale each part down (``--help``); the figures printed say what was run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.emulator_server import CLIENT_ID, CLIENT_SECRET  # noqa: E402

REDIRECT = "http://127.0.0.1/complete/civitai/"


def configure(db_path: Path, base_url: str = "http://127.0.0.1:9") -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-only",  # noqa: S106
        USE_TZ=True,
        ROOT_URLCONF="bench.urls",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.admin",
            "django.contrib.messages",
            "django.contrib.sessions",
            "social_django",
            "django_civitai_auth",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(db_path),
                "OPTIONS": {"timeout": 60},
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        AUTHENTICATION_BACKENDS=["django_civitai_auth.backends.CivitaiOAuth2"],
        SOCIAL_AUTH_CIVITAI_KEY=CLIENT_ID,
        SOCIAL_AUTH_CIVITAI_SECRET=CLIENT_SECRET,
        SOCIAL_AUTH_CIVITAI_BASE_URL=base_url,
        CIVITAI_AUTH_ENCRYPTION_KEYS=["4Ay2U3N4zK1l0G7lZV0pC6xgC9xq2hB8QOK5b4cN0aE="],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def set_base_url(url: str) -> None:
    from django.conf import settings

    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = url


def emulator(users: int, **options: Any) -> Any:
    from django_civitai_auth.emulator import CivitaiEmulator, DemoUser, RegisteredApp

    app = RegisteredApp(CLIENT_ID, CLIENT_SECRET, [REDIRECT])
    people = [DemoUser(id=n, username=f"bench{n}") for n in range(1, users + 1)]
    emu = CivitaiEmulator(apps=[app], users=people, **options).start()
    set_base_url(emu.base_url)
    return emu


def seed(
    pairs: list[tuple[int, str, str]], *, prefix: str, expired: bool, tokens: bool = True
) -> list[Any]:
    """Users with a CivitaiToken each (or only their UserSocialAuth), written in bulk."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from social_django.models import UserSocialAuth

    from django_civitai_auth.models import CivitaiToken

    now = timezone.now()
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"{prefix}{uid}") for uid, _, _ in pairs], batch_size=1000
    )
    socials = UserSocialAuth.objects.bulk_create(
        [
            UserSocialAuth(user=user, provider="civitai", uid=f"{prefix}{uid}", extra_data={})
            for user, (uid, _, _) in zip(users, pairs, strict=True)
        ],
        batch_size=1000,
    )
    if not tokens:
        return socials
    expires = now - dt.timedelta(seconds=1) if expired else now + dt.timedelta(hours=1)
    return CivitaiToken.objects.bulk_create(
        [
            CivitaiToken(
                user=user,
                social_auth=social,
                access_token=access,
                refresh_token=refresh,
                expires_at=expires,
                refresh_token_issued_at=now,
                scope=1,
            )
            for user, social, (_, access, refresh) in zip(users, socials, pairs, strict=True)
        ],
        batch_size=1000,
    )


def issue(emu: Any, first: int, count: int) -> list[tuple[int, str, str]]:
    pairs = []
    for uid in range(first, first + count):
        pair = emu.issue_token_pair(uid)
        pairs.append((uid, pair.access.value, pair.refresh.value))
    return pairs


def refresh_command(*args: str) -> tuple[dict[str, Any], float]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    try:
        call_command("civitai_refresh", "--json", *args, stdout=out)
    except Exception as error:  # a failed refresh still prints its JSON
        print(f"  civitai_refresh exited with: {error}")
    return json.loads(out.getvalue()), time.perf_counter() - started


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_hot_path(args: argparse.Namespace) -> bool:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from social_django.models import UserSocialAuth

    from django_civitai_auth import get_access_token

    emu = emulator(2)
    try:
        (row,) = seed(issue(emu, 1, 1), prefix="hot", expired=False)
        UserSocialAuth.objects.filter(pk=row.social_auth_id).update(
            extra_data={"access_token": row.access_token, "token_type": "Bearer"}
        )
        user = row.user
        with CaptureQueriesContext(connection) as queries:
            get_access_token(user)
        ours, theirs = [], []
        for _ in range(args.hot_rounds):
            started = time.perf_counter()
            for _ in range(args.hot_calls):
                get_access_token(user)
            ours.append((time.perf_counter() - started) / args.hot_calls)
            started = time.perf_counter()
            for _ in range(args.hot_calls):
                user.social_auth.get(provider="civitai").extra_data["access_token"]
            theirs.append((time.perf_counter() - started) / args.hot_calls)
    finally:
        emu.stop()
    mine, base = statistics.median(ours), statistics.median(theirs)
    ratio = mine / base
    ok = len(queries) == 1 and ratio <= 1.5
    print("1. get_access_token on a valid token")
    print(f"   SQL queries: {len(queries)} (target 1)")
    print(
        f"   {mine * 1e6:.0f} us/call vs {base * 1e6:.0f} us reading "
        f"UserSocialAuth.extra_data['access_token']: {ratio:.2f}x (target <= 1.5x) "
        f"[median of {args.hot_rounds} rounds x {args.hot_calls} calls]  {verdict(ok)}"
    )
    return ok


def bench_bulk(args: argparse.Namespace) -> bool:
    from social_django.models import UserSocialAuth
    from social_django.utils import load_strategy

    from django_civitai_auth.models import CivitaiToken

    n, sample = args.bulk, min(args.baseline_sample, args.bulk)
    emu = emulator(n + sample, rate_limit=False)
    try:
        emu.latency = args.latency
        rows = seed(issue(emu, 1, n), prefix="bulk", expired=True)
        result, ours = refresh_command("--rate", "0", "--concurrency", str(args.concurrency))
        stored = CivitaiToken.objects.filter(pk__in=[row.pk for row in rows])
        valid = sum(
            1
            for token in stored.iterator()
            if emu.is_token_active(token.access_token) and emu.is_token_active(token.refresh_token)
        )
        # The obvious alternative: social-app-django's refresh, one user after another.
        baseline_pairs = issue(emu, n + 1, sample)
        socials = seed(baseline_pairs, prefix="social", expired=True, tokens=False)
        for social, (_, access, refresh) in zip(socials, baseline_pairs, strict=True):
            UserSocialAuth.objects.filter(pk=social.pk).update(
                extra_data={"access_token": access, "refresh_token": refresh, "expires": 1}
            )
            social.refresh_from_db()
        strategy = load_strategy()
        started = time.perf_counter()
        for social in socials:
            social.refresh_token(strategy)
        theirs = (time.perf_counter() - started) * n / sample
    finally:
        emu.stop()
    speedup = theirs / ours
    ok = result["refreshed"] == n and valid == n and speedup >= 10
    print(
        f"2. civitai_refresh over {n} due tokens, no budget, {args.latency * 1000:.0f} ms latency"
    )
    print(
        f"   {ours:.1f} s ({n / ours:.0f}/s, --concurrency {args.concurrency}) vs "
        f"{theirs:.1f} s for a sequential UserSocialAuth.refresh_token loop"
        + (f" (measured on {sample}, scaled to {n})" if sample < n else "")
        + f": {speedup:.1f}x faster (target >= 10x)"
    )
    print(
        f"   refreshed {result['refreshed']}/{n}, valid at the emulator afterwards {valid}/{n}"
        f"  {verdict(ok)}"
    )
    return ok


def bench_rate(args: argparse.Namespace) -> bool:
    from django_civitai_auth.models import CivitaiToken

    n = args.rate_tokens
    emu = emulator(n, rate_limit=True)
    try:
        rows = seed(issue(emu, 1, n), prefix="rate", expired=True)
        result, elapsed = refresh_command("--concurrency", "4")
        stored = CivitaiToken.objects.filter(pk__in=[row.pk for row in rows])
        valid = sum(1 for token in stored.iterator() if emu.is_token_active(token.refresh_token))
        requests = emu.count("token", grant="refresh_token")
    finally:
        emu.stop()
    # The first request goes out at once; the rate is the spacing of the n - 1 that follow.
    achieved = (n - 1) / elapsed * 60 if n > 1 else 0.0
    ok = achieved >= 0.95 * 20 and result["refreshed"] == n and valid == n
    print(
        f"3. civitai_refresh with the default budget (20/min) and the emulator's real limit, "
        f"{n} tokens"
    )
    print(
        f"   {achieved:.1f}/min achieved vs 20/min allowed ({achieved / 20:.0%}, target >= 95%); "
        f"{requests} token requests, {result['rate_limited_retries']} answered 429; "
        f"valid afterwards {valid}/{n}  {verdict(ok)}"
    )
    return ok


def memory_child(count: int, workdir: Path, concurrency: int) -> None:
    """Run in a fresh process: seed ``count`` due tokens, refresh them, print the peak RSS."""
    configure(workdir / f"memory-{count}.sqlite3")
    pairs_file = workdir / f"pairs-{count}.txt"
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "emulator_server.py"),
            "--users",
            str(count),
            "--pairs",
            str(pairs_file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert server.stdout is not None
    set_base_url(server.stdout.readline().strip())
    try:
        batch: list[tuple[int, str, str]] = []
        with open(pairs_file) as lines:
            for line in lines:
                uid, access, refresh = line.split()
                batch.append((int(uid), access, refresh))
                if len(batch) == 5000:
                    seed(batch, prefix="mem", expired=True)
                    batch = []
        if batch:
            seed(batch, prefix="mem", expired=True)
        del batch
        before = _rss_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to now
        result, elapsed = refresh_command("--rate", "0", "--concurrency", str(concurrency))
        peak = _rss_kb("VmHWM")
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait()
    print(
        json.dumps(
            {
                "before_kb": before,
                "peak_kb": peak,
                "refreshed": result["refreshed"],
                "seconds": elapsed,
            }
        )
    )


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def bench_memory(args: argparse.Namespace, workdir: Path) -> bool:
    figures = {}
    for count in (args.memory_small, args.memory_large):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-child",
                str(count),
                "--workdir",
                str(workdir),
                "--concurrency",
                str(args.concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        figures[count] = json.loads(out.stdout.strip().splitlines()[-1])
    small, large = figures[args.memory_small], figures[args.memory_large]
    growth_small = (small["peak_kb"] - small["before_kb"]) / 1024
    growth_large = (large["peak_kb"] - large["before_kb"]) / 1024
    difference = (large["peak_kb"] - small["peak_kb"]) / 1024
    ok = growth_large - growth_small <= 30 and large["refreshed"] == args.memory_large
    print("4. Peak memory of civitai_refresh (peak RSS while it runs, emulator in another process)")
    print(
        f"   {args.memory_large} due tokens: +{growth_large:.1f} MB during the run "
        f"({large['seconds']:.0f} s); {args.memory_small}: +{growth_small:.1f} MB; "
        f"difference {growth_large - growth_small:.1f} MB (target <= 30 MB; whole-process "
        f"peaks differ by {difference:.1f} MB)  {verdict(ok)}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hot-rounds", type=int, default=15)
    parser.add_argument("--hot-calls", type=int, default=200)
    parser.add_argument("--bulk", type=int, default=1000, help="due tokens for part 2")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=1000,
        help="rows the sequential baseline really refreshes (scaled to --bulk)",
    )
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rate-tokens", type=int, default=8, help="tokens for part 3 (3 s each at 20/min)"
    )
    parser.add_argument("--memory-small", type=int, default=1000)
    parser.add_argument("--memory-large", type=int, default=100_000)
    parser.add_argument("--only", choices=["hot", "bulk", "rate", "memory"], action="append")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, Path(args.workdir), args.concurrency)
        return
    parts = args.only or ["hot", "bulk", "rate", "memory"]
    with tempfile.TemporaryDirectory(prefix="civitai-bench-") as tmp:
        workdir = Path(tmp)
        configure(workdir / "bench.sqlite3")
        results = []
        if "hot" in parts:
            results.append(bench_hot_path(args))
        if "bulk" in parts:
            results.append(bench_bulk(args))
        if "rate" in parts:
            results.append(bench_rate(args))
        if "memory" in parts:
            results.append(bench_memory(args, workdir))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
