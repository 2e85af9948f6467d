"""``make bench``: the token lifecycle's figures, each beside its comparison from the same run.

0. The emulator's token endpoint, so that it is never the bottleneck of the parts below.
1. get_access_token on a valid token vs reading UserSocialAuth.extra_data["access_token"].
2. civitai_refresh over 1,000 due tokens (no budget, 50 ms emulator latency) vs a sequential
   loop over social-app-django's UserSocialAuth.refresh_token over the same 1,000 users.
3. civitai_refresh with the default budget against the emulator's real 20/min limit.
4. Peak memory of civitai_refresh over 1,000 and over 100,000 due tokens.

Everything runs against its own SQLite database (WAL mode) in a temporary folder. Parts 2 and 4
run the emulator in a separate process, so it neither competes with the command for the GIL nor
counts towards its memory. "Due" tokens are idle users' as a daily run finds them: refresh token
25 days old, access token long dead. With the defaults the whole run takes about 8 minutes on
two cores, 6 of them part 4's 100,000 tokens; ``--memory-large 10000`` (or ``--only``) makes a
quick run, and the figures printed always say what was run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.emulator_server import CLIENT_ID, CLIENT_SECRET, EmulatorProcess  # noqa: E402

REDIRECT = "http://127.0.0.1/complete/civitai/"
CAPTURE_UID = "civitai_take_tokens_from_extra_data"  # token_capture's pre_save receiver


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
                # WAL, as Django's docs advise for SQLite with concurrent writers: readers
                # never wait for the writer. Both sides of every comparison share this database.
                "OPTIONS": {
                    "timeout": 60,
                    "init_command": "PRAGMA journal_mode=WAL;",
                },
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
    pairs: list[tuple[int, str, str]], *, prefix: str, idle: bool, tokens: bool = True
) -> list[Any]:
    """Users with a CivitaiToken each (or only their UserSocialAuth), written in bulk.

    ``idle``: users last seen 25 days ago, as a daily keep-alive run finds them: the access
    token died long ago and the refresh token is old enough to be due (default --refresh-age
    20). Otherwise: signed in just now, nothing due.
    """
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
    issued = now - dt.timedelta(days=25) if idle else now
    expires = issued + dt.timedelta(hours=1)
    return CivitaiToken.objects.bulk_create(
        [
            CivitaiToken(
                user=user,
                social_auth=social,
                access_token=access,
                refresh_token=refresh,
                expires_at=expires,
                refresh_token_issued_at=issued,
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


def bench_emulator(args: argparse.Namespace) -> bool:
    """Refresh grants a second at the emulator, from keep-alive clients each on its own chain."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    clients: int = args.emulator_clients
    per_client: int = max(1, args.emulator_calls // clients)
    emu = emulator(clients, rate_limit=False)
    token_url = emu.base_url + "/api/auth/oauth/token"

    def spend_chain(refresh_token: str) -> int:
        with requests.Session() as http:
            for _ in range(per_client):
                answer = http.post(
                    token_url,
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": refresh_token,
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                    },
                    timeout=10,
                )
                answer.raise_for_status()
                refresh_token = answer.json()["refresh_token"]
        return per_client

    try:
        chains = [emu.issue_token_pair(uid).refresh.value for uid in range(1, clients + 1)]
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            total = sum(pool.map(spend_chain, chains))
        elapsed = time.perf_counter() - started
    finally:
        emu.stop()
    rate = total / elapsed
    ok = rate >= 200
    print(
        f"0. The emulator's token endpoint: refresh grants from {clients} keep-alive clients "
        "(emulator in this process, rate limit off)"
    )
    print(
        f"   {rate:.0f} calls/s ({total} in {elapsed:.1f} s) vs Civitai's real limit of 20/min "
        f"(0.33/s); target: hundreds a second (>= 200/s)  {verdict(ok)}",
        flush=True,
    )
    return ok


def bench_hot_path(args: argparse.Namespace) -> bool:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from social_django.models import UserSocialAuth

    from django_civitai_auth import get_access_token

    emu = emulator(2)
    try:
        (row,) = seed(issue(emu, 1, 1), prefix="hot", idle=False)
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


def seed_from(server: EmulatorProcess, *, prefix: str, first: int, count: int) -> None:
    """Idle users for the pairs ``first`` .. ``first + count - 1`` the emulator process minted.

    Written 5,000 at a time and nothing kept: the memory part measures the process afterwards.
    """
    batch: list[tuple[int, str, str]] = []
    for uid, access, refresh in server.pairs():
        if first <= uid < first + count:
            batch.append((uid, access, refresh))
        if len(batch) == 5000:
            seed(batch, prefix=prefix, idle=True)
            batch = []
    if batch:
        seed(batch, prefix=prefix, idle=True)


def bench_bulk(args: argparse.Namespace, workdir: Path) -> bool:
    from django.db.models.signals import pre_save
    from social_django.models import UserSocialAuth
    from social_django.utils import load_strategy

    from django_civitai_auth.models import CivitaiToken
    from django_civitai_auth.token_capture import take_tokens_from_extra_data

    n, sample = args.bulk, min(args.baseline_sample, args.bulk)
    # The emulator runs in its own process: its threads must not compete with the command's
    # for this process's GIL. Both sides below talk to this same server, same latency.
    with EmulatorProcess(n + sample, workdir / "bulk-pairs.txt", latency=args.latency) as server:
        set_base_url(server.base_url)
        seed_from(server, prefix="bulk", first=1, count=n)
        result, ours = refresh_command("--rate", "0", "--concurrency", str(args.concurrency))
        stored = list(CivitaiToken.objects.filter(user__username__startswith="bulk"))
        valid = min(
            server.count_active((t.access_token for t in stored), workdir / "check.txt"),
            server.count_active((t.refresh_token for t in stored), workdir / "check.txt"),
        )
        ours_requests = server.refresh_requests()

        # The obvious alternative: social-app-django's own refresh, one user after another.
        pairs = [pair for pair in server.pairs() if pair[0] > n]
        socials = seed(pairs, prefix="social", idle=True, tokens=False)
        for social, (_, access, refresh) in zip(socials, pairs, strict=True):
            social.extra_data = {"access_token": access, "refresh_token": refresh, "expires": 1}
        UserSocialAuth.objects.bulk_update(socials, ["extra_data"], batch_size=1000)
        strategy = load_strategy()  # type: ignore[no-untyped-call]
        # Plain social-app-django keeps the new pair in extra_data: switch off this package's
        # capture into CivitaiToken (encryption, one more row write) so the baseline does only
        # what social-app-django itself does, at its own speed.
        pre_save.disconnect(sender=UserSocialAuth, dispatch_uid=CAPTURE_UID)
        try:
            started = time.perf_counter()
            for social in socials:
                social.refresh_token(strategy)
            measured = time.perf_counter() - started
        finally:
            pre_save.connect(
                take_tokens_from_extra_data, sender=UserSocialAuth, dispatch_uid=CAPTURE_UID
            )
        theirs = measured * n / sample
        their_valid = server.count_active(
            (social.extra_data["refresh_token"] for social in socials), workdir / "check.txt"
        )
    speedup = theirs / ours
    ok = bool(result["refreshed"] == n and valid == n and ours_requests == n and speedup >= 10)
    print(
        f"2. civitai_refresh over {n} due tokens, no budget, {args.latency * 1000:.0f} ms latency "
        "(emulator in its own process)"
    )
    baseline = (
        f"{measured:.1f} s measured on {sample} rows, scaled x{n / sample:.1f} to {theirs:.1f} s"
        if sample < n
        else f"{theirs:.1f} s"
    )
    print(
        f"   {ours:.1f} s ({n / ours:.0f}/s, --concurrency {args.concurrency}) vs {baseline} "
        f"for a sequential UserSocialAuth.refresh_token loop over {n} users: "
        f"{speedup:.1f}x faster (target >= 10x)"
    )
    print(
        f"   refreshed {result['refreshed']}/{n} with {ours_requests} token requests, valid at the "
        f"emulator afterwards {valid}/{n} (baseline: {their_valid}/{sample})  {verdict(ok)}"
    )
    return ok


def bench_rate(args: argparse.Namespace) -> bool:
    from django_civitai_auth.models import CivitaiToken

    n = args.rate_tokens
    emu = emulator(n, rate_limit=True)
    try:
        rows = seed(issue(emu, 1, n), prefix="rate", idle=True)
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
    with EmulatorProcess(count, workdir / f"pairs-{count}.txt") as server:
        set_base_url(server.base_url)
        seed_from(server, prefix="mem", first=1, count=count)
        before = _rss_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to now
        result, elapsed = refresh_command("--rate", "0", "--concurrency", str(concurrency))
        peak = _rss_kb("VmHWM")
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
    ok = bool(growth_large - growth_small <= 30 and large["refreshed"] == args.memory_large)
    print("4. Peak memory of civitai_refresh (peak RSS while it runs, emulator in another process)")
    print(
        f"   {args.memory_large} due tokens: +{growth_large:.1f} MB during the run "
        f"({large['seconds']:.0f} s); {args.memory_small}: +{growth_small:.1f} MB; "
        f"difference {growth_large - growth_small:.1f} MB (target <= 30 MB; whole-process "
        f"peaks differ by {difference:.1f} MB)  {verdict(ok)}"
    )
    return ok


def _expected_minutes(args: argparse.Namespace, parts: list[str]) -> float:
    """A rough forecast from measured rates (two cores), so nobody waits without knowing."""
    seconds = 0.0
    if "emulator" in parts:
        seconds += 2 + args.emulator_calls / 1000
    if "hot" in parts:
        seconds += 5
    if "bulk" in parts:
        seconds += 10 + args.bulk / 300 + min(args.baseline_sample, args.bulk) * 0.055
    if "rate" in parts:
        seconds += 5 + args.rate_tokens * 3.06
    if "memory" in parts:
        # Seeding and refreshing: about 3.5 ms a token in all, for each of the two sizes.
        seconds += 10 + (args.memory_small + args.memory_large) * 0.0035
    return seconds / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulator-calls", type=int, default=4000, help="token calls for part 0")
    parser.add_argument("--emulator-clients", type=int, default=4)
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
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="civitai_refresh --concurrency for parts 2 and 4 (throughput levels off at ~24-32 "
        "on two cores: the command is then CPU-bound)",
    )
    parser.add_argument(
        "--rate-tokens", type=int, default=8, help="tokens for part 3 (3 s each at 20/min)"
    )
    parser.add_argument("--memory-small", type=int, default=1000)
    parser.add_argument("--memory-large", type=int, default=100_000)
    parser.add_argument(
        "--only", choices=["emulator", "hot", "bulk", "rate", "memory"], action="append"
    )
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, Path(args.workdir), args.concurrency)
        return
    parts = args.only or ["emulator", "hot", "bulk", "rate", "memory"]
    print(
        f"make bench: parts {', '.join(parts)}; about "
        f"{_expected_minutes(args, parts):.0f} minute(s) on two quiet cores"
    )
    with tempfile.TemporaryDirectory(prefix="civitai-bench-") as tmp:
        workdir = Path(tmp)
        configure(workdir / "bench.sqlite3")
        results = []
        runs: tuple[tuple[str, Callable[[], bool]], ...] = (
            ("emulator", lambda: bench_emulator(args)),
            ("hot", lambda: bench_hot_path(args)),
            ("bulk", lambda: bench_bulk(args, workdir)),
            ("rate", lambda: bench_rate(args)),
            ("memory", lambda: bench_memory(args, workdir)),
        )
        for part, run in runs:
            if part in parts:
                started = time.perf_counter()
                results.append(run())
                print(f"   (part took {time.perf_counter() - started:.0f} s)", flush=True)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
