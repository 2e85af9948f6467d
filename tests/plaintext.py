"""Scan every table of the test database for a secret stored in plaintext.

Reads the raw rows (no model, no field decryption) of every table that Django's introspection
lists, so it sees exactly what a database dump would. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection


def _as_text(value: Any) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def find_plaintext(*secrets: str) -> list[tuple[str, str]]:
    """The (table, column) pairs where any of ``secrets`` appears verbatim."""
    wanted = [secret for secret in secrets if secret]
    assert wanted, "give at least one non-empty secret to look for"
    found: list[tuple[str, str]] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - names come from the DB
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = _as_text(value)
                    if any(secret in text for secret in wanted):
                        found.append((table, column))
    return found


def assert_no_plaintext(*secrets: str) -> None:
    """Fail, naming the table and column (never the secret), if any secret is stored as is."""
    found = find_plaintext(*secrets)
    assert not found, f"plaintext secret found in {sorted(set(found))}"
