"""Admin for CivitaiToken: who, which status, when it expires, which scopes. Never a token.

The token columns are not in any form, list or read-only field, not even masked: an admin
page is HTML that ends up in browser caches, screenshots and support tickets.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from django_civitai_auth.exceptions import CivitaiAuthError
from django_civitai_auth.models import CivitaiToken
from django_civitai_auth.refresh import RefreshInProgress, refresh_access_token
from django_civitai_auth.revocation import revoke_and_delete

# Every column an admin may see; the token and lease columns are deliberately absent.
_VISIBLE = (
    "user",
    "civitai_account",
    "status",
    "expires_at",
    "scopes",
    "refresh_token_issued_at",
    "generation",
    "created_at",
    "updated_at",
)


@admin.register(CivitaiToken)
class CivitaiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "civitai_account", "status", "expires_at", "scopes", "updated_at")
    list_filter = ("status",)
    list_select_related = ("user", "social_auth")
    search_fields = ("user__username", "user__email", "social_auth__uid")
    ordering = ("-updated_at",)
    fields = _VISIBLE
    readonly_fields = _VISIBLE
    exclude = ("access_token", "refresh_token", "refresh_claim", "refresh_claimed_until")
    actions = ("refresh_selected", "revoke_selected")

    @admin.display(description="Civitai account")
    def civitai_account(self, token: CivitaiToken) -> str:
        social = token.social_auth
        username = (social.extra_data or {}).get("username") if social else None
        return f"{username} (#{social.uid})" if username else f"#{social.uid}"

    @admin.display(description="Scopes")
    def scopes(self, token: CivitaiToken) -> str:
        return ", ".join(token.granted_scope.names()) or "none"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from sign-in only

    @admin.action(description="Refresh the selected tokens now", permissions=["change"])
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[CivitaiToken]) -> None:
        refreshed, failed = 0, []
        for token in queryset.order_by("pk"):
            try:
                refresh_access_token(token)
                refreshed += 1
            except (CivitaiAuthError, RefreshInProgress) as error:
                failed.append(f"{token.user}: {type(error).__name__}")
        self.message_user(request, f"{refreshed} token(s) refreshed.", messages.SUCCESS)
        if failed:
            self.message_user(request, "Not refreshed: " + "; ".join(failed), messages.WARNING)

    @admin.action(description="Revoke at Civitai and delete", permissions=["delete"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[CivitaiToken]) -> None:
        # Only the keys: each row's current token is read at the moment it is revoked.
        outcomes = revoke_and_delete(
            list(queryset.order_by("pk").values_list("pk", flat=True)), reason="admin"
        )
        self.message_user(request, f"{len(outcomes)} token(s) revoked and deleted.")
        for outcome in outcomes:
            if outcome.result != "revoked":
                self.message_user(
                    request, f"User {outcome.user_id}: {outcome.explanation}", messages.WARNING
                )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        # Django's bulk delete would skip the per-row revoke message; ours revokes and says so.
        actions.pop("delete_selected", None)
        return actions
