"""The documentation's Python examples run, and the reference pages cover what the code has.

Runnable examples are Sphinx ``.. testcode:: GROUP`` blocks, each optionally followed by a
``.. testoutput:: GROUP`` block holding what it prints. The html build only shows them; this
file executes them, page by page and group by group, in one namespace per group, so an example
that stops working fails the suite. The group names the context an example needs (see
``GROUP_FIXTURES``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PACKAGE = DOCS.parent / "django_civitai_auth"

_DIRECTIVE = re.compile(
    r"^(?P<indent> *)\.\. (?P<kind>testsetup|testcode|testoutput)::(?P<group>.*)$"
)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    kind: str
    group: str
    text: str


def parse_blocks(path: Path) -> list[Block]:
    """The testsetup/testcode/testoutput blocks of one reStructuredText page, in order."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        index += 1
        if match is None:
            continue
        start = index
        indent = len(match["indent"])
        body: list[str] = []
        while index < len(lines):
            line = lines[index]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            index += 1
        # Option lines (":hide:" and the like) come first; the content follows a blank line.
        while body and body[0].strip().startswith(":"):
            body.pop(0)
        text = textwrap.dedent("\n".join(body)).strip("\n")
        blocks.append(
            Block(path.name, start, match["kind"], match["group"].strip() or "default", text)
        )
    return blocks


def all_blocks() -> list[Block]:
    return [block for page in sorted(DOCS.glob("*.rst")) for block in parse_blocks(page)]


def example_groups() -> dict[tuple[str, str], list[Block]]:
    groups: dict[tuple[str, str], list[Block]] = {}
    for block in all_blocks():
        groups.setdefault((block.page, block.group), []).append(block)
    return groups


# What each group's examples may assume exists, built by a fixture of this file.
GROUP_FIXTURES: dict[str, str] = {
    "scopes": "plain_namespace",
    "signed-in": "signed_in_namespace",
}


@pytest.fixture
def plain_namespace() -> dict[str, Any]:
    return {}


@pytest.fixture
def signed_in_namespace(client: Any, civitai_site: Any) -> dict[str, Any]:
    """``user``: a Django user who signed in as the emulator's "ada" through the real flow."""
    from tests.signin import sign_in

    return {"user": sign_in(client, civitai_site)}


def run_group(blocks: list[Block], namespace: dict[str, Any]) -> None:
    """Execute the blocks in order; each testoutput must equal what the code before it printed."""
    printed = ""
    for block in blocks:
        where = f"{block.page}:{block.line}"
        if block.kind == "testoutput":
            assert _normalise(printed) == _normalise(block.text), f"output differs at {where}"
            printed = ""
            continue
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(block.text, where, "exec"), namespace)  # noqa: S102 - our own docs
        printed = buffer.getvalue()


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _group_ids() -> list[tuple[str, str]]:
    return sorted(example_groups())


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "group"), _group_ids(), ids=str)
def test_example_runs(page: str, group: str, request: pytest.FixtureRequest) -> None:
    blocks = example_groups()[(page, group)]
    assert group in GROUP_FIXTURES, f"{page}: unknown example group {group!r}"
    namespace: dict[str, Any] = request.getfixturevalue(GROUP_FIXTURES[group])
    run_group(blocks, namespace)


def test_examples_are_found() -> None:
    # A parser that silently finds nothing would make every example test vanish.
    pages = {page for page, _ in example_groups()}
    assert {"scopes.rst", "calling-the-api.rst"} <= pages
    assert all(block.text for block in all_blocks())


def test_a_wrong_output_fails(plain_namespace: dict[str, Any]) -> None:
    blocks = [
        Block("x.rst", 1, "testcode", "scopes", "print(1 + 1)"),
        Block("x.rst", 3, "testoutput", "scopes", "3"),
    ]
    with pytest.raises(AssertionError, match=re.escape("output differs at x.rst:3")):
        run_group(blocks, plain_namespace)


# -- the reference pages cover what the code defines ---------------------------------------

_SETTING_NAME = re.compile(r"\"((?:SOCIAL_AUTH_CIVITAI|CIVITAI_AUTH)_[A-Z_]+)\"")


def settings_in_code() -> set[str]:
    return set(_SETTING_NAME.findall((PACKAGE / "conf.py").read_text()))


def test_every_setting_is_documented() -> None:
    page = (DOCS / "settings.rst").read_text()
    names = settings_in_code()
    assert "CIVITAI_AUTH_ENCRYPTION_KEYS" in names
    missing = sorted(name for name in names if f".. setting:: {name}\n" not in page)
    assert missing == []


def test_every_system_check_is_documented() -> None:
    ids = set(re.findall(r"django_civitai_auth\.[EW]\d{3}", (PACKAGE / "checks.py").read_text()))
    page = (DOCS / "settings.rst").read_text()
    assert "django_civitai_auth.E001" in ids
    assert sorted(check for check in ids if f"``{check}``" not in page) == []


def command_options(name: str) -> set[str]:
    """The long options a management command accepts, read from its own parser."""
    from django.core.management import load_command_class

    parser = load_command_class("django_civitai_auth", name).create_parser("manage.py", name)
    builtin = {"--version", "--verbosity", "--settings", "--pythonpath", "--traceback"}
    builtin |= {"--no-color", "--force-color", "--skip-checks", "--help"}
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in builtin
    }


def documented_commands() -> list[str]:
    page = (DOCS / "commands.rst").read_text()
    return re.findall(r"^\.\. django-admin:: (\S+)$", page, flags=re.MULTILINE)


def test_every_command_is_documented() -> None:
    commands = sorted(path.stem for path in (PACKAGE / "management" / "commands").glob("[!_]*.py"))
    assert "civitai_refresh" in commands
    assert sorted(documented_commands()) == commands


@pytest.mark.parametrize("name", documented_commands())
def test_every_command_option_is_documented(name: str) -> None:
    page = (DOCS / "commands.rst").read_text()
    section = page.split(f".. program:: {name}\n", 1)[1].split(".. program::", 1)[0]
    documented = set(re.findall(r"^\.\. option:: (--[a-z-]+)", section, flags=re.MULTILINE))
    assert documented == command_options(name)


def test_scope_table_has_a_row_per_scope() -> None:
    from civitai_scopes import preset_rows, scope_rows

    from django_civitai_auth.scopes import SCOPE_LABELS, Scope

    rows = scope_rows()
    assert [row[0] for row in rows] == [f"``{name}``" for name in SCOPE_LABELS]
    assert ("``AIServicesWrite``", "15", "``32768``", Scope.AIServicesWrite.label) in rows
    assert [row[0] for row in preset_rows()] == [
        "``Full``",
        "``ReadOnly``",
        "``Creator``",
        "``AIServices``",
    ]


@pytest.fixture(autouse=True)
def _docs_ext_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(DOCS / "_ext"))


# -- docs/examples: whole test modules the pages include with literalinclude ------------------


def _load_example(name: str) -> Any:
    path = DOCS / "examples" / name
    spec = importlib.util.spec_from_file_location(f"docs_examples_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Collected here as if written in this file: the example's fixtures and tests run as they are.
_signin_example = _load_example("test_civitai_signin.py")
civitai_emulator_app = _signin_example.civitai_emulator_app
civitai = _signin_example.civitai
test_example_sign_in_stores_tokens = _signin_example.test_sign_in_stores_tokens
test_example_expired_token_is_refreshed = _signin_example.test_expired_token_is_refreshed
test_example_user_removed_the_app = _signin_example.test_user_removed_the_app
