"""``from django_civitai_auth import …`` is safe in settings files and while apps load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: this test process has long since loaded Django's app registry.
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_the_package_loads_no_models(tmp_path: Path) -> None:
    result = run_python(
        """
        import sys
        from django_civitai_auth import CivitaiUnavailable, ReauthenticationRequired, Scope
        loaded = sorted(name for name in sys.modules if name.endswith(".models"))
        print(loaded)
        assert Scope.UserRead | Scope.AIServicesRead == 16385
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_settings_file_can_use_scope_before_django_setup(tmp_path: Path) -> None:
    (tmp_path / "scope_settings.py").write_text(
        textwrap.dedent(
            """
            from django_civitai_auth import Scope
            from tests.settings import *  # noqa: F403

            SOCIAL_AUTH_CIVITAI_SCOPE = Scope.UserRead | Scope.BuzzRead
            """
        )
    )
    result = run_python(
        """
        import os
        os.environ["DJANGO_SETTINGS_MODULE"] = "scope_settings"
        import django
        django.setup()
        from django_civitai_auth import get_access_token
        from django_civitai_auth.backends import CivitaiOAuth2
        from social_django.utils import load_strategy
        backend = CivitaiOAuth2(load_strategy())
        print(backend.get_scope_argument()["scope"], callable(get_access_token))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["65537", "True"]
