"""The 'done when' story in a real browser on a phone-sized screen: the admin invites a
parent, the parent follows the link, sets a password and sees only their own children."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import keep_picture

pytestmark = pytest.mark.browser


def sign_in(page, email: str, password: str = "demo-password") -> None:
    page.goto("/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit] >> nth=0")


def sign_out(page) -> None:
    """Sign out with the menu's button (on a phone: open the menu first). Under load a tap can land
    before Bootstrap's script runs and open nothing; then the sign-out form is sent as the button
    would send it, so a journey does not fail on the menu (test_first_visit taps it for real)."""
    button, toggler = page.locator("nav form button[type=submit]"), page.locator(".navbar-toggler")
    if not button.is_visible() and toggler.is_visible():
        toggler.click()
        try:
            button.wait_for(state="visible", timeout=3000)
        except PlaywrightTimeoutError:
            with page.expect_navigation():
                page.locator("nav form").evaluate("form => form.requestSubmit()")
            return
    button.click()


def test_invited_parent_sets_a_password_and_sees_only_own_children(phone, live_app, tmp_path):
    mail = live_app.extensions["mailman"]
    mail.outbox = []
    sign_in(phone, "admin@example.org")
    phone.goto("/admin/users/invite")
    phone.fill("input[name=email]", "karin.new@example.org")
    phone.check("input[name=roles][value=parent]")
    phone.click("input[type=submit]")
    assert phone.locator(".alert-success").count() == 1
    sign_out(phone)

    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    phone.goto(urlsplit(link).path)
    assert urlsplit(phone.url).path == "/invitation"  # the token is gone from the address bar
    phone.fill("input[name=password]", "three green kiwis")
    phone.fill("input[name=confirm]", "three green kiwis")
    phone.click("input[type=submit]")
    assert urlsplit(phone.url).path == "/home"
    keep_picture(phone, tmp_path / "invited.png", full_page=False)


def test_parent_on_a_phone_sees_own_children_in_dutch_and_switches_to_english(phone, tmp_path):
    sign_in(phone, "parent@example.org")
    assert urlsplit(phone.url).path == "/home"
    children = phone.locator("#children a")
    names = children.all_inner_texts()
    assert any("Sem de Vries" in n for n in names) and any("Emma de Vries" in n for n in names)
    assert not any("Noah" in n for n in names)
    assert phone.locator("html").get_attribute("lang") == "nl"
    # Nothing spills sideways on a 390 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.select_option("#language-select", "en")
    phone.click("#language-form button")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.locator("#children-title").inner_text() == "Your children"
    keep_picture(phone, tmp_path / "parent-home.png")
    print("screenshot:", tmp_path / "parent-home.png")


def test_wrong_password_shows_a_clear_message(phone):
    sign_in(phone, "parent@example.org", "not-my-password")
    assert phone.locator(".alert-danger").is_visible()
    assert urlsplit(phone.url).path == "/sign-in"
