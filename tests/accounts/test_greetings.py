"""People are greeted by their first name, on the pages and in mail; the address only stands in
for an account that belongs to no person."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.conftest import extract_link


def account_menu(page: str) -> str:
    match = re.search(r'<a [^>]*id="account-menu"[^>]*>(.*?)</a>', page, re.S)
    assert match, "no account menu"
    return match.group(1)


def test_a_parent_is_greeted_by_first_name_on_the_home_page_and_in_the_menu(client, login_as):
    login_as("parent")
    home = client.get("/home").get_data(as_text=True)
    assert "Hallo Karin" in home and "parent@example.org" not in home
    menu = account_menu(home)
    assert "Karin" in menu and "Mijn account" in menu  # the menu still says what the link is for


def test_an_account_without_a_person_is_greeted_by_its_address(client, login_as, world, outbox):
    login_as("admin")
    client.submit("/admin/users/invite", {"email": "helper@example.org", "roles": ["communications"], "locale": "nl"})
    client.submit("/sign-out")
    [invitation] = outbox
    assert invitation.body.startswith("Beste ouder, verzorger of medewerker,")  # no name to use
    client.get(urlsplit(extract_link(invitation.body)).path)
    client.submit("/invitation", {"password": "kiwi banana tractor", "confirm": "kiwi banana tractor"})
    home = client.get("/home").get_data(as_text=True)
    assert "Hallo helper@example.org" in home and "helper@example.org" in account_menu(home)


def test_invitation_and_reset_mails_greet_the_person_by_first_name(client, login_as, world, outbox):
    login_as("admin")
    client.submit(
        "/admin/users/invite",
        {"email": "ahmed.new@example.org", "roles": ["parent"], "person_id": "", "locale": "en"},
    )
    client.submit("/sign-out")
    assert outbox[-1].body.startswith("Hello,")
    client.submit("/password/forgot", {"email": "parent2@example.org"})
    assert outbox[-1].to == ["parent2@example.org"] and outbox[-1].body.startswith("Beste Ahmed,")
