"""GET /avatars/ID.svg: a generated avatar for a demo user with ``local_avatar=True``.

Real Civitai serves avatars from its image CDN; an offline demo cannot reach it, so the emulator
draws one itself: the user's initials on a gradient picked by their id. The SVG is static
markup (no script, every text escaped) and is sent with a policy that forbids running anything.
"""

from __future__ import annotations

import html
import re

from django_civitai_auth.emulator.config import DemoUser, EmulatorConfig
from django_civitai_auth.emulator.replies import Reply, error_reply

AVATAR_PATH_PREFIX = "/avatars/"
AVATAR_PATH = re.compile(r"/avatars/([0-9]{1,18})\.svg")
SVG_CONTENT_TYPE = "image/svg+xml"
# Gradient stops, each dark enough for white text to pass WCAG AA (4.5:1) on either end.
AVATAR_PALETTE: tuple[tuple[str, str], ...] = (
    ("#1971c2", "#5f3dc4"),
    ("#0b7285", "#1864ab"),
    ("#2b7a3b", "#0b7285"),
    ("#c2255c", "#862e9c"),
    ("#c2410c", "#c92a2a"),
    ("#5f3dc4", "#a61e4d"),
    ("#1864ab", "#0c7a6c"),
    ("#9c36b5", "#1971c2"),
)
# Opened on its own, an SVG is a document that could run script; this one has none, and the
# policy keeps it that way. Inline style is the one thing the drawing itself needs.
_AVATAR_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-cache"),
]


def avatar_path(user_id: int) -> str:
    return f"{AVATAR_PATH_PREFIX}{user_id}.svg"


def avatar_colors(user_id: int) -> tuple[str, str]:
    """The gradient for an id: the same id always gets the same colours."""
    return AVATAR_PALETTE[user_id % len(AVATAR_PALETTE)]


def avatar_initials(username: str) -> str:
    return (username[:2] or "?").upper()


def avatar_svg(user: DemoUser) -> str:
    start, end = avatar_colors(user.id)
    label = html.escape(user.username)
    initials = html.escape(avatar_initials(user.username))
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" \
viewBox="0 0 128 128" role="img" aria-label="{label}">
<title>{label}</title>
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="{start}"/><stop offset="1" stop-color="{end}"/>
</linearGradient></defs>
<rect width="128" height="128" fill="url(#g)"/>
<text x="64" y="64" dy="0.35em" text-anchor="middle" fill="#fff" font-size="52" \
font-weight="700" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">\
{initials}</text>
</svg>
"""


def handle_avatar(path: str, config: EmulatorConfig) -> Reply:
    """The SVG of a demo user who has a local avatar; 404 for anyone else."""
    match = AVATAR_PATH.fullmatch(path)
    user = config.users.get(int(match[1])) if match else None
    if user is None or not user.local_avatar:
        return error_reply(404, "not_found", f"No avatar on the emulator at {path}")
    body = avatar_svg(user).encode()
    return Reply(200, body, SVG_CONTENT_TYPE, list(_AVATAR_HEADERS))
