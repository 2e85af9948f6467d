"""Sphinx configuration for django-civitai-auth's documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Autodoc imports the package, which imports Django models: configure Django first.
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import django_civitai_auth  # noqa: E402
from django_civitai_auth.scopes import MAX_SCOPE_MASK, Scope  # noqa: E402

project = "django-civitai-auth"
author = "django-civitai-auth contributors"
copyright = "django-civitai-auth contributors"
release = django_civitai_auth.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "myst_parser",
    "civitai_scopes",
]

exclude_patterns = ["_build", "_inventories", "examples"]
root_doc = "index"

# Numbers the pages quote, taken from the code so they cannot drift.
rst_prolog = f"""
.. |max_scope| replace:: ``{MAX_SCOPE_MASK}``
.. |full_scope| replace:: ``{int(Scope.Full)}``
"""

html_theme = "furo"
html_title = f"django-civitai-auth {release}"

# Builds run without network access (CI included), so each intersphinx target points at a
# committed inventory listing the objects these pages link to; regenerate it with
# docs/_inventories/make_inventories.py after linking something new.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(DOCS / "_inventories" / "python.inv")),
    "django": (
        "https://docs.djangoproject.com/en/5.2",
        str(DOCS / "_inventories" / "django.inv"),
    ),
}

# Every cross-reference must resolve, except to libraries without a local inventory and to
# private type aliases in signatures.
nitpicky = True
nitpick_ignore_regex = [
    ("py:class", r"requests\..*"),
    ("py:class", r"social_core\..*|BaseStrategy|ResponseT_co"),
    ("py:class", r"django\.db\.models\.base\.Model"),
    ("py:class", r"UserLike"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}

# The tests run the ``testcode`` examples against the emulator (tests/test_docs.py); the html
# build only shows them.
doctest_test_doctest_blocks = ""


def setup(app: Sphinx) -> None:
    # Django's own cross-reference types, so :setting: and :djadmin: resolve against
    # Django's inventory as well as against the settings and commands these pages define.
    app.add_crossref_type("setting", "setting", "pair: %s; setting")
    app.add_crossref_type("django-admin", "djadmin", "pair: %s; django-admin command")
