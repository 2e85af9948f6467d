"""A refresh inside the caller's transaction is allowed, but never silent."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from django_civitai_auth import get_access_token
from tests.lifecycle import token_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

WARNING_TEXT = "inside a database transaction"


def test_a_refresh_inside_atomic_warns(civitai_site: Any, caplog: Any) -> None:
    token = token_for(civitai_site)
    with caplog.at_level("WARNING", logger="django_civitai_auth.tokens"), transaction.atomic():
        get_access_token(token.user, force_refresh=True)
    messages = [record.getMessage() for record in caplog.records]
    assert any(WARNING_TEXT in message for message in messages)
    assert civitai_site.count("token", grant="refresh_token") == 1


def test_the_test_case_wrapper_alone_does_not_count_as_a_transaction(
    civitai_site: Any, caplog: Any
) -> None:
    # pytest-django runs this test inside Django's TestCase atomic block: no warning for that.
    token = token_for(civitai_site)
    with caplog.at_level("WARNING", logger="django_civitai_auth.tokens"):
        get_access_token(token.user, force_refresh=True)
    assert not any(WARNING_TEXT in record.getMessage() for record in caplog.records)


def test_a_valid_token_inside_atomic_needs_no_refresh_and_no_warning(
    civitai_site: Any, caplog: Any
) -> None:
    token = token_for(civitai_site)
    with caplog.at_level("WARNING", logger="django_civitai_auth.tokens"), transaction.atomic():
        get_access_token(token.user)
    assert not caplog.records
