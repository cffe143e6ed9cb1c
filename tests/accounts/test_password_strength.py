"""The password check knows Dutch words, common passwords, the school's words and the person's own
names: through the invitation, reset and account pages, as a person choosing a password would."""

from __future__ import annotations

from urllib.parse import urlsplit

from app.extensions import db
from app.school.models import Person
from tests.conftest import PASSWORD, extract_link

REFUSED_NL = "te makkelijk te raden"
REFUSED_EN = "too easy to guess"


def open_invitation(client, login_as, outbox, *, person_id="", email="new.parent@example.org") -> None:
    login_as("admin")
    invited = client.submit(
        "/admin/users/invite", {"email": email, "roles": ["parent"], "person_id": person_id, "locale": "nl"}
    )
    assert invited.status_code == 302, invited.get_data(as_text=True)
    client.submit("/sign-out")
    assert client.get(urlsplit(extract_link(outbox[-1].body)).path).status_code == 302


def choose(client, page: str, password: str):
    return client.submit(page, {"password": password, "confirm": password})


def test_dutch_and_common_passwords_are_refused_on_the_invitation_page(client, login_as, world, outbox):
    open_invitation(client, login_as, outbox)
    for weak in (
        "welkom123",
        "wachtwoord123",
        "Welkom2026!",
        "jozefschool1",
        "Pontonnier!",
        "Meester2026",
        "Sanne2019",
    ):
        refused = choose(client, "/invitation", weak)
        assert refused.status_code == 400, weak
        assert REFUSED_NL in refused.get_data(as_text=True), weak
    accepted = choose(client, "/invitation", "drie groene kiwi's")
    assert accepted.status_code == 302
    client.submit("/sign-out")
    signed_in = client.submit("/sign-in", {"email": "new.parent@example.org", "password": "drie groene kiwi's"})
    assert signed_in.status_code == 302


def test_the_refusal_is_in_english_for_an_english_reader(client, login_as, world, outbox):
    open_invitation(client, login_as, outbox)
    client.submit("/language", {"locale": "en", "next": "/invitation"})
    refused = choose(client, "/invitation", "welkom123")
    assert refused.status_code == 400 and REFUSED_EN in refused.get_data(as_text=True)
    assert choose(client, "/invitation", "three green kiwis").status_code == 302


def test_the_persons_own_name_with_a_year_is_refused(client, login_as, world, outbox, app):
    """A name no word list holds is still guessable by whoever knows the person."""
    with app.app_context():
        person = db.session.get(Person, world["parent2"])
        person.first_name, person.last_name = "Quirijntje", "Vlasbloem"
        db.session.commit()
    client.submit("/password/forgot", {"email": "parent2@example.org"})
    assert client.get(urlsplit(extract_link(outbox[-1].body)).path).status_code == 302
    for personal in ("Quirijntje2026!", "vlasbloem1984", "parent2parent2"):
        refused = choose(client, "/password/reset", personal)
        assert refused.status_code == 400, personal
        assert REFUSED_NL in refused.get_data(as_text=True)
    assert choose(client, "/password/reset", "Zwaluwstaart Quirijn Vlas").status_code == 302


def test_a_refused_password_changes_nothing(client, login_as, world):
    login_as("parent")
    refused = client.submit(
        "/account", {"current": PASSWORD, "password": "beeldrecht2026", "confirm": "beeldrecht2026"}
    )
    assert refused.status_code == 400
    assert REFUSED_NL in refused.get_data(as_text=True)
    client.submit("/sign-out")
    assert client.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD}).status_code == 302
