"""The example site in a real browser: sign in, call the API, refresh, sign out, deny, two tabs.

Every page a test visits is saved under test-output/screenshots/. The emulator, the site and
the browser are shared by the module (see conftest.py), so each test counts what reached the
emulator as a difference, and uses its own fresh browser profile.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("CI") != "true":  # under CI a missing Playwright must fail, not skip
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

from playwright.sync_api import Page, expect

from example_project.demo_app import DEMO_APP_NAME
from tests.browser.conftest import OffMachineGuard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIGN_IN = "Sign in with Civitai"
HOME_URL = re.compile(r"^http://127\.0\.0\.1:\d+/(\?.*)?$")
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "_static" / "demo-profile.png"
TOKEN = re.compile(r"civitai_[0-9a-f]{36}")
Screenshot = Callable[[Page, str], Path]


def start_sign_in(page: Page, screenshot: Screenshot) -> None:
    """From the home page to Civitai's (the emulator's) sign-in or consent page."""
    page.goto("/")
    expect(page.get_by_role("heading", name=SIGN_IN)).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("button", name=SIGN_IN).click()


def choose_account(page: Page, username: str, screenshot: Screenshot) -> None:
    expect(page.get_by_role("heading", name="Sign in to Civitai")).to_be_visible()
    screenshot(page, "civitai-sign-in")
    page.get_by_role("button", name=f"Sign in as {username}").click()
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    screenshot(page, "civitai-consent")


def approve(page: Page) -> None:
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/profile/")


def sign_in(page: Page, username: str, screenshot: Screenshot) -> None:
    start_sign_in(page, screenshot)
    choose_account(page, username, screenshot)
    approve(page)
    expect(page.locator(".username")).to_have_text(username)


def assert_no_token_shown(page: Page) -> None:
    # Civitai's tokens are "civitai_" and 36 hex digits; none may ever reach a page.
    assert TOKEN.search(page.content()) is None


def test_sign_in_lands_on_the_profile(
    page: Page, screenshot: Screenshot, demo_emulator: Any, guard: OffMachineGuard
) -> None:
    start_sign_in(page, screenshot)
    choose_account(page, "ada", screenshot)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{DEMO_APP_NAME} wants to access your Civitai account"
    )
    consent = page.get_by_role("list", name="Requested permissions")
    expect(consent).to_contain_text("View generation & training history")
    expect(consent).to_contain_text("View buzz balance & history")
    approve(page)

    expect(page.locator(".username")).to_have_text("ada")
    expect(page.locator(".civitai-id")).to_have_text("12345")
    # ada's avatar is drawn by the emulator, on 127.0.0.1: it loads with no network.
    avatar = page.get_by_role("img", name="ada's Civitai avatar")
    expect(avatar).to_have_attribute("src", f"{demo_emulator.base_url}/avatars/12345.svg")
    # decode() rejects for a broken or blocked image, so this is the picture actually drawn.
    assert avatar.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    assert guard.blocked == []
    expect(page.locator("#token-status")).to_have_text("Active")
    expect(page.locator("#token-expiry")).to_contain_text("(in ")
    scopes = page.locator("#granted-scopes li code")
    expect(scopes).to_have_text(["UserRead", "AIServicesRead", "BuzzRead"])
    assert_no_token_shown(page)
    screenshot(page, "profile")
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        # The README's picture of the demo: UPDATE_DOCS_SCREENSHOT=1 pytest -k lands_on_the_profile
        page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)


def test_call_the_civitai_api(page: Page, screenshot: Screenshot, demo_emulator: Any) -> None:
    sign_in(page, "ada", screenshot)
    calls_before = demo_emulator.count("userinfo")

    page.get_by_role("button", name="Call the Civitai API").click()

    page.wait_for_url("**/profile/")
    expect(page.get_by_role("status")).to_contain_text("Civitai answered")
    answer = page.locator("#api-result")
    expect(answer.locator(".http-status")).to_have_text("200")
    expect(answer.locator(".userinfo")).to_contain_text("ada@example.com")
    expect(answer.locator(".userinfo")).to_contain_text("12345")
    assert demo_emulator.count("userinfo") == calls_before + 1
    assert_no_token_shown(page)
    screenshot(page, "api-answer")


def test_refresh_now(page: Page, screenshot: Screenshot, demo_emulator: Any) -> None:
    sign_in(page, "grace", screenshot)
    refreshes_before = demo_emulator.count("token", grant="refresh_token")

    page.get_by_role("button", name="Refresh now").click()

    page.wait_for_url("**/profile/")
    expect(page.get_by_role("status")).to_contain_text("Token refreshed")
    expect(page.locator("#token-status")).to_have_text("Active")
    assert demo_emulator.count("token", grant="refresh_token") == refreshes_before + 1
    assert_no_token_shown(page)
    screenshot(page, "refreshed")


def test_sign_out_revokes_the_token(page: Page, screenshot: Screenshot, demo_emulator: Any) -> None:
    sign_in(page, "linus", screenshot)
    # linus has no picture on Civitai: initials.
    expect(page.locator(".avatar.initials")).to_have_text("LI")
    revokes_before = demo_emulator.count("revoke")

    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url(HOME_URL)
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert demo_emulator.count("revoke") > revokes_before
    screenshot(page, "signed-out")

    page.goto("/profile/")
    expect(page.get_by_role("heading", name=SIGN_IN)).to_be_visible()


def test_denied_consent_lands_on_a_friendly_page(
    page: Page, screenshot: Screenshot, demo_emulator: Any
) -> None:
    codes_before = demo_emulator.count("token", grant="authorization_code")
    start_sign_in(page, screenshot)
    choose_account(page, "ada", screenshot)

    page.get_by_role("button", name="Deny").click()

    page.wait_for_url("**/signin-error/**")
    expect(page.get_by_role("heading", name="You didn't allow access")).to_be_visible()
    expect(page.get_by_text("What to do:")).to_be_visible()
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert demo_emulator.count("token", grant="authorization_code") == codes_before
    screenshot(page, "denied")

    page.goto("/profile/")
    expect(page.get_by_role("heading", name=SIGN_IN)).to_be_visible()


def test_a_stale_callback_lands_on_a_friendly_page(page: Page, screenshot: Screenshot) -> None:
    page.goto("/complete/civitai/?code=0123456789abcdef&state=not-a-state-we-issued")

    page.wait_for_url("**/signin-error/**")
    expect(page.get_by_role("heading", name="That sign-in link has expired")).to_be_visible()
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    screenshot(page, "stale-callback")


def test_sign_in_from_two_tabs(page: Page, screenshot: Screenshot) -> None:
    first = page
    second = page.context.new_page()
    # Both tabs start a sign-in before either finishes: two flows in one session.
    start_sign_in(first, screenshot)
    choose_account(first, "ada", screenshot)
    start_sign_in(second, screenshot)
    # The emulator remembers ada from the first tab: straight to consent.
    expect(second.get_by_role("button", name="Approve")).to_be_visible()

    approve(second)
    approve(first)

    for tab in (first, second):
        expect(tab.locator(".username")).to_have_text("ada")
        expect(tab.locator("#token-status")).to_have_text("Active")
    screenshot(first, "first-tab")
    screenshot(second, "second-tab")


def test_when_civitai_cuts_access_the_profile_says_sign_in_again(
    page: Page, screenshot: Screenshot, demo_emulator: Any
) -> None:
    sign_in(page, "hopper", screenshot)
    # hopper removes the app on civitai.com: every token the site holds dies at once.
    demo_emulator.remove_app(45678)

    page.get_by_role("button", name="Refresh now").click()

    page.wait_for_url("**/profile/")
    expect(page.get_by_role("alert").first).to_contain_text("sign in with Civitai again")
    expect(page.locator("#token-status")).to_have_text("Sign-in required")
    expect(page.locator(".notice").get_by_role("button", name=SIGN_IN)).to_be_visible()
    screenshot(page, "access-cut")

    # Signing in again brings the account back.
    page.locator(".notice").get_by_role("button", name=SIGN_IN).click()
    approve(page)
    expect(page.locator("#token-status")).to_have_text("Active")


def test_when_civitai_is_down_the_profile_says_try_again(
    page: Page, screenshot: Screenshot, demo_emulator: Any
) -> None:
    sign_in(page, "turing", screenshot)
    demo_emulator.add_fault("token", "server_error", times=10, grant="refresh_token")
    try:
        page.get_by_role("button", name="Refresh now").click()
        page.wait_for_url("**/profile/")
    finally:
        demo_emulator.clear_faults()

    expect(page.get_by_role("alert").first).to_contain_text("Civitai is unavailable")
    # A transient failure changes nothing: the token is still good.
    expect(page.locator("#token-status")).to_have_text("Active")
    screenshot(page, "civitai-down")
