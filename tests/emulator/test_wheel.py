"""From an installed wheel, with no network: the command line and the pytest fixture work.

The wheel is built from this checkout and installed with ``--no-index --no-deps`` into a fresh
venv; the venv sees the already-installed dependencies (requests, pytest) through a .pth file
naming this interpreter's site-packages, so nothing is downloaded. The checkout itself is NOT on
the path: only the installed wheel is.
"""

from __future__ import annotations

import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources, and an
    # egg-info in the checkout would make its entry points visible to every test run there.
    source = work / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "build", "dist", "*.egg-info", "__pycache__", "test-output", "docs", "tests"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(work),
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=work,
    )
    wheel = next(work.glob("django_civitai_auth-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_path("purelib"), *site.getsitepackages()}
    (Path(purelib) / "outer_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
        check=True,
        cwd=work,
    )
    return venv


def _where(python: Path, module: str, cwd: Path) -> str:
    return subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=cwd,
    ).stdout.strip()


@pytest.mark.slow
def test_installed_wheel_ships_the_emulator(wheel_venv: Path) -> None:
    python = wheel_venv / "bin" / "python"
    where = _where(python, "django_civitai_auth.emulator", wheel_venv)
    assert where.startswith(str(wheel_venv)), where  # the wheel, not the checkout
    assert (Path(where).parent / "templates" / "base.html").is_file()


@pytest.mark.slow
def test_installed_command_line_serves_until_sigterm(wheel_venv: Path) -> None:
    process = subprocess.Popen(
        [
            str(wheel_venv / "bin" / "python"),
            "-m",
            "django_civitai_auth.emulator",
            "--port",
            "0",
            "--client-id",
            "wheel-app",
            "--redirect-uri",
            "http://localhost/cb",
            "--auto-approve",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=wheel_venv,
    )
    assert process.stdout is not None
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(url + "/api/auth/oauth/userinfo", timeout=10)
        assert response.json()["error"] == "invalid_token"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close()


@pytest.mark.slow
def test_installed_pytest_plugin_gives_the_fixture(wheel_venv: Path) -> None:
    project = wheel_venv / "downstream"
    project.mkdir(exist_ok=True)
    (project / "test_downstream.py").write_text(
        textwrap.dedent("""
        import requests

        def test_fixture(civitai_emulator):
            import sys

            assert "django" not in sys.modules  # the plugin and emulator need no Django
            assert civitai_emulator.count("userinfo") == 0
            response = requests.get(civitai_emulator.endpoint("userinfo"), timeout=10)
            assert response.status_code == 401
            assert civitai_emulator.count("userinfo") == 1
    """)
    )
    result = subprocess.run(
        [
            str(wheel_venv / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-p",
            "no:django",
            "test_downstream.py",
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
