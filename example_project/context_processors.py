from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def demo(request: HttpRequest) -> dict[str, str]:
    """Which Civitai the site talks to, for the banner every page shows."""
    return {
        "civitai_mode": str(getattr(settings, "CIVITAI_MODE", "emulator")),
        "civitai_emulator_url": str(getattr(settings, "CIVITAI_EMULATOR_URL", "")),
    }
