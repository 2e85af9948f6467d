"""GET /avatars/ID.svg: the avatars the emulator draws for demo users with local_avatar=True."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from django_civitai_auth.emulator import CivitaiEmulator, DemoUser
from django_civitai_auth.emulator.avatars import AVATAR_PALETTE, avatar_colors
from tests.emulator.conftest import Client, error_of

SVG = "{http://www.w3.org/2000/svg}"


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def _parse_svg(content: bytes) -> ET.Element:
    """Raises unless the avatar is well-formed XML."""
    return ET.fromstring(content)  # noqa: S314 - our own emulator's answer, on 127.0.0.1


def _contrast_with_white(color: str) -> float:
    """WCAG 2 contrast ratio of white text on ``#rrggbb``."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_userinfo_points_at_an_svg_the_emulator_serves(client: Client) -> None:
    body = client.userinfo(client.tokens()["access_token"]).json()
    assert body["image"].startswith(client.emu.base_url + "/")

    response = _get(body["image"])

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    svg = _parse_svg(response.content)
    assert svg.tag == SVG + "svg"
    assert svg.findtext(SVG + "title") == "ada"
    assert svg.findtext(SVG + "text") == "AD"
    assert [stop.get("stop-color") for stop in svg.iter(SVG + "stop")] == list(avatar_colors(12345))
    assert not list(svg.iter(SVG + "script"))
    assert "on" not in {name[:2] for element in svg.iter() for name in element.attrib}


def test_a_username_is_escaped_in_the_svg() -> None:
    user = DemoUser(id=4242, username='<script>&"x', local_avatar=True)
    with CivitaiEmulator(users=[user]) as emu:
        response = _get(f"{emu.base_url}/avatars/4242.svg")
    assert b"<script>" not in response.content
    svg = _parse_svg(response.content)
    assert svg.findtext(SVG + "title") == '<script>&"x'
    assert svg.get("aria-label") == '<script>&"x'
    assert svg.findtext(SVG + "text") == "<S"
    assert not list(svg.iter(SVG + "script"))


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/34567.svg",  # linus has no picture: his image is null, so no avatar either
        "/avatars/99999.svg",  # no such user
        "/avatars/12345.png",
        "/avatars/12345.svg/x",
        "/avatars/-1.svg",
        "/avatars/",
    ],
)
def test_no_avatar_is_a_404(emu: CivitaiEmulator, path: str) -> None:
    assert error_of(_get(emu.base_url + path)) == (404, "not_found")


def test_avatars_are_not_oauth_endpoints(emu: CivitaiEmulator) -> None:
    # Steering the OAuth endpoints never breaks a page's picture, and is not counted.
    emu.add_fault("userinfo", "server_error", times=5)
    assert _get(emu.base_url + "/avatars/12345.svg").status_code == 200
    assert emu.counters == {}
    assert emu.count("userinfo") == 0


def test_each_id_keeps_its_colours_and_white_initials_stay_readable() -> None:
    assert avatar_colors(12345) == avatar_colors(12345)
    assert len({avatar_colors(user_id) for user_id in range(len(AVATAR_PALETTE))}) == len(
        AVATAR_PALETTE
    )
    for start, end in AVATAR_PALETTE:
        assert _contrast_with_white(start) >= 4.5
        assert _contrast_with_white(end) >= 4.5


def test_a_demo_user_has_an_image_url_or_a_local_avatar_not_both() -> None:
    with pytest.raises(ValueError, match="image or local_avatar"):
        DemoUser(id=1, username="both", image="https://example.com/a.png", local_avatar=True)


def test_the_default_users_keep_both_cases() -> None:
    from django_civitai_auth.emulator import DEFAULT_USERS

    by_name = {user.username: user for user in DEFAULT_USERS}
    assert by_name["ada"].local_avatar
    assert by_name["linus"].image is None
    assert not by_name["linus"].local_avatar
