"""Finding users by what an operator types: a username, an email address or a numeric id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db.models import Q


def user_ids_for(identifiers: Iterable[str]) -> list[Any]:
    """The primary keys of the users named; CommandError names any that match nobody."""
    user_model = get_user_model()
    username_field = user_model.USERNAME_FIELD
    email_field = user_model.get_email_field_name()
    found: list[Any] = []
    missing: list[str] = []
    for identifier in identifiers:
        query = Q(**{username_field: identifier})
        if "@" in identifier:
            query |= Q(**{f"{email_field}__iexact": identifier})
        if identifier.isdigit():
            query |= Q(pk=int(identifier))
        ids = list(user_model._default_manager.filter(query).values_list("pk", flat=True))
        if not ids:
            missing.append(identifier)
        found.extend(pk for pk in ids if pk not in found)
    if missing:
        raise CommandError(f"No user matches: {', '.join(missing)}")
    return found
