"""A wheel built from the repository carries what the package needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_templates_migrations_and_py_typed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("django_civitai_auth-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    for required in (
        "django_civitai_auth/py.typed",
        "django_civitai_auth/templates/django_civitai_auth/login_button.html",
        "django_civitai_auth/migrations/0001_initial.py",
        "django_civitai_auth/migrations/__init__.py",
        "django_civitai_auth/templatetags/civitai_auth.py",
        "django_civitai_auth/management/commands/civitai_rotate_keys.py",
        "django_civitai_auth/backends.py",
    ):
        assert required in names, required
    assert not any(name.startswith("tests/") for name in names)
