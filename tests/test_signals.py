"""Each lifecycle signal fires once, at the moment its comment in signals.py promises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.dispatch import Signal

from django_civitai_auth import get_access_token, signals
from django_civitai_auth.models import CivitaiToken
from django_civitai_auth.revocation import revoke_user_tokens
from tests.lifecycle import expire, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls() -> Iterator[dict[str, list[dict[str, Any]]]]:
    seen: dict[str, list[dict[str, Any]]] = {}
    connected: list[tuple[Signal, Any]] = []
    for name in ("token_refreshed", "token_revoked", "reauthentication_required"):
        seen[name] = []

        def handler(sender: Any, _name: str = name, **kwargs: Any) -> None:
            assert sender is CivitaiToken
            seen[_name].append(kwargs)

        signal = getattr(signals, name)
        signal.connect(handler, weak=False)
        connected.append((signal, handler))
    yield seen
    for signal, handler in connected:
        signal.disconnect(handler)


def test_token_refreshed_once_per_rotation(civitai_site: Any, calls: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    get_access_token(token.user)
    get_access_token(token.user)
    assert len(calls["token_refreshed"]) == 1
    assert calls["token_refreshed"][0]["token"].generation == 1
    assert calls["token_refreshed"][0]["user_id"] == token.user_id


def test_token_revoked_before_the_row_goes(civitai_site: Any, calls: Any) -> None:
    token = token_for(civitai_site)
    revoke_user_tokens(token.user_id, reason="logout")
    assert [(c["user_id"], c["reason"]) for c in calls["token_revoked"]] == [
        (token.user_id, "logout")
    ]


def test_token_revoked_on_cascade_deletion(civitai_site: Any, calls: Any) -> None:
    token = token_for(civitai_site)
    token.social_auth.delete()
    assert [c["reason"] for c in calls["token_revoked"]] == ["deleted"]


def test_reauthentication_required_once(civitai_site: Any, calls: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.add_fault("token", "invalid_grant")
    for _ in range(2):
        with pytest.raises(Exception, match="sign in"):
            get_access_token(token.user)
    assert len(calls["reauthentication_required"]) == 1
    assert calls["token_refreshed"] == []
