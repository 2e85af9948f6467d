"""Write python.inv and django.inv: the intersphinx inventories the docs build reads offline.

Each file is a Sphinx inventory (the documented ``objects.inv`` version 2 format: four header
lines, then zlib-compressed lines of ``name domain:role priority uri dispname``) listing exactly
the Python and Django objects these pages link to, with their real addresses on
docs.python.org and docs.djangoproject.com. Add an entry here when a page links something new,
then run ``.venv/bin/python docs/_inventories/make_inventories.py``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from sphinx.util.inventory import InventoryFile

HERE = Path(__file__).resolve().parent

# (name, domain:role, uri relative to the site root). "$" in a uri stands for the name.
PYTHON: list[tuple[str, str, str]] = [
    ("bool", "py:class", "library/functions.html#bool"),
    ("float", "py:class", "library/functions.html#float"),
    ("int", "py:class", "library/functions.html#int"),
    ("str", "py:class", "library/stdtypes.html#str"),
    ("list", "py:class", "library/stdtypes.html#list"),
    ("dict", "py:class", "library/stdtypes.html#dict"),
    ("object", "py:class", "library/functions.html#object"),
    ("None", "py:data", "library/constants.html#None"),
    ("True", "py:data", "library/constants.html#True"),
    ("False", "py:data", "library/constants.html#False"),
    ("Exception", "py:exception", "library/exceptions.html#Exception"),
    ("ValueError", "py:exception", "library/exceptions.html#ValueError"),
    ("datetime.datetime", "py:class", "library/datetime.html#datetime.datetime"),
    ("datetime.timedelta", "py:class", "library/datetime.html#datetime.timedelta"),
    ("enum.IntFlag", "py:class", "library/enum.html#enum.IntFlag"),
    ("collections.abc.Iterable", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Mapping", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Iterator", "py:class", "library/collections.abc.html#$"),
    ("collections.abc.Sequence", "py:class", "library/collections.abc.html#$"),
    ("typing.Any", "py:data", "library/typing.html#typing.Any"),
    ("asyncio", "py:module", "library/asyncio.html#module-asyncio"),
    ("secrets", "py:module", "library/secrets.html#module-secrets"),
]

DJANGO: list[tuple[str, str, str]] = [
    ("AUTHENTICATION_BACKENDS", "std:setting", "ref/settings/#std-setting-$"),
    ("CSRF_COOKIE_SECURE", "std:setting", "ref/settings/#std-setting-$"),
    ("DEBUG", "std:setting", "ref/settings/#std-setting-$"),
    ("INSTALLED_APPS", "std:setting", "ref/settings/#std-setting-$"),
    ("LOGIN_REDIRECT_URL", "std:setting", "ref/settings/#std-setting-$"),
    ("SECRET_KEY", "std:setting", "ref/settings/#std-setting-$"),
    ("SECRET_KEY_FALLBACKS", "std:setting", "ref/settings/#std-setting-$"),
    ("SECURE_PROXY_SSL_HEADER", "std:setting", "ref/settings/#std-setting-$"),
    ("SESSION_COOKIE_SECURE", "std:setting", "ref/settings/#std-setting-$"),
    ("SILENCED_SYSTEM_CHECKS", "std:setting", "ref/settings/#std-setting-$"),
    ("check", "std:django-admin", "ref/django-admin/#django-admin-$"),
    ("migrate", "std:django-admin", "ref/django-admin/#django-admin-$"),
    ("runserver", "std:django-admin", "ref/django-admin/#django-admin-$"),
    ("django.contrib.auth.logout", "py:function", "topics/auth/default/#$"),
    ("django.contrib.auth.signals.user_logged_out", "py:function", "ref/contrib/auth/#$"),
    ("django.contrib.auth.models.User", "py:class", "ref/contrib/auth/#$"),
    ("django.contrib.auth.models.AbstractBaseUser", "py:class", "topics/auth/customizing/#$"),
    ("django.core.management.call_command", "py:function", "ref/django-admin/#$"),
    ("django.db.models.Model", "py:class", "ref/models/instances/#$"),
    ("django.db.models.TextField", "py:class", "ref/models/fields/#$"),
    ("django.db.models.signals.pre_delete", "py:data", "ref/signals/#$"),
    ("django.dispatch.Signal", "py:class", "topics/signals/#$"),
    ("django.http.HttpRequest", "py:class", "ref/request-response/#$"),
    ("django.test.override_settings", "py:function", "topics/testing/tools/#$"),
]

# Whole pages, linked with :doc:; the last field is the page's title.
DJANGO_PAGES: list[tuple[str, str, str]] = [
    ("topics/checks", "topics/checks/", "System check framework"),
    ("topics/signals", "topics/signals/", "Signals"),
    ("howto/deployment/checklist", "howto/deployment/checklist/", "Deployment checklist"),
]


def render(project: str, version: str, lines: list[str]) -> bytes:
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    return header + zlib.compress("".join(f"{line}\n" for line in sorted(lines)).encode())


def object_lines(entries: list[tuple[str, str, str]]) -> list[str]:
    # Priority 1 for Python objects, -1 for labels such as settings; "-" shows the name itself.
    return [
        f"{name} {role} {1 if role.startswith('py:') else -1} {uri} -"
        for name, role, uri in entries
    ]


def write(path: Path, project: str, version: str, lines: list[str], base: str) -> None:
    data = render(project, version, lines)
    # Read it back the way Sphinx will, so a malformed line fails here rather than in the build.
    inventory = InventoryFile.loads(data, uri=base)
    loaded = sum(len(objects) for objects in inventory.data.values())
    if loaded != len(lines):
        raise SystemExit(f"{path.name}: wrote {len(lines)} entries, Sphinx reads {loaded}")
    path.write_bytes(data)


def main() -> None:
    write(HERE / "python.inv", "Python", "3", object_lines(PYTHON), "https://docs.python.org/3")
    django_lines = object_lines(DJANGO) + [
        f"{name} std:doc -1 {uri} {title}" for name, uri, title in DJANGO_PAGES
    ]
    write(
        HERE / "django.inv",
        "Django",
        "5.2",
        django_lines,
        "https://docs.djangoproject.com/en/5.2",
    )


if __name__ == "__main__":
    main()
