from __future__ import annotations

from django.apps import AppConfig


class CivitaiAuthConfig(AppConfig):
    name = "django_civitai_auth"
    verbose_name = "Civitai sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing registers the system checks and the signal receivers.
        from django_civitai_auth import checks, receivers, token_capture  # noqa: F401
