"""Invitations and password resets: the one-time links, through HTTP and the CLI."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from app.accounts.models import AccountToken, Role, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.timestamps import utcnow
from tests.conftest import extract_link


def path_of(link: str) -> str:
    return urlsplit(link).path


def invite_parent(client, login_as, world, outbox, email="new.parent@example.org") -> str:
    login_as("admin")
    response = client.submit(
        "/admin/users/invite",
        {"email": email, "roles": ["parent"], "person_id": world["parent2"] if email == "x" else "", "locale": "nl"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    client.submit("/sign-out")
    assert len(outbox) == 1 and outbox[0].to == [email]
    return path_of(extract_link(outbox[0].body))


def test_admin_invites_a_parent_who_sets_a_password_and_signs_in(client, login_as, world, outbox, app):
    link = invite_parent(client, login_as, world, outbox)
    opened = client.get(link)
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/invitation"  # the token leaves the address bar
    form = client.get("/invitation")
    assert form.status_code == 200 and "new.parent@example.org" in form.get_data(as_text=True)
    done = client.submit("/invitation", {"password": "kiwi banana tractor", "confirm": "kiwi banana tractor"})
    assert done.status_code == 302
    assert client.get("/home").status_code == 200
    client.submit("/sign-out")
    assert (
        client.submit("/sign-in", {"email": "new.parent@example.org", "password": "kiwi banana tractor"}).status_code
        == 302
    )
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "account.invited" in actions and "account.invitation_accepted" in actions


def test_invitation_link_works_once(client, login_as, world, outbox):
    link = invite_parent(client, login_as, world, outbox)
    client.get(link)
    client.submit("/invitation", {"password": "kiwi banana tractor", "confirm": "kiwi banana tractor"})
    client.submit("/sign-out")
    again = client.get(link)
    assert again.status_code == 410
    assert "al gebruikt" in again.get_data(as_text=True)


def test_form_posted_twice_uses_the_link_once(app, world, outbox):
    from tests.conftest import Client

    app.test_client_class = Client
    admin = app.test_client()
    admin.submit("/sign-in", {"email": "admin@example.org", "password": "demo-password"})
    admin.submit("/admin/users/invite", {"email": "twice@example.org", "roles": ["parent"], "locale": "nl"})
    link = path_of(extract_link(outbox[0].body))
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert browser.get(link).status_code == 302
    token_first, token_second = first.csrf_token(), second.csrf_token()
    ok = first.post(
        "/invitation",
        data={"password": "kiwi banana tractor", "confirm": "kiwi banana tractor", "csrf_token": token_first},
    )
    late = second.post(
        "/invitation",
        data={"password": "other sentence here", "confirm": "other sentence here", "csrf_token": token_second},
    )
    assert ok.status_code == 302
    assert late.status_code == 410
    assert first.get("/home").status_code == 200
    assert second.get("/home").status_code == 302


def test_expired_invitation_link_is_refused(client, login_as, world, outbox, app):
    link = invite_parent(client, login_as, world, outbox)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    assert "verlopen" in response.get_data(as_text=True)


def test_tampered_invitation_link_is_refused(client, login_as, world, outbox):
    link = invite_parent(client, login_as, world, outbox)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    response = client.get(tampered)
    assert response.status_code == 404
    assert "ongeldig" in response.get_data(as_text=True)
    assert client.get("/invitation/garbage").status_code == 404
    assert client.get("/invitation").status_code == 404  # no link in this session


def test_weak_password_is_refused_and_the_link_still_works(client, login_as, world, outbox):
    link = invite_parent(client, login_as, world, outbox)
    client.get(link)
    for weak in ("short", "password123", "qwertyuiop"):
        response = client.submit("/invitation", {"password": weak, "confirm": weak})
        assert response.status_code == 400
    assert "te makkelijk te raden" in response.get_data(as_text=True)
    good = client.submit("/invitation", {"password": "kiwi banana tractor", "confirm": "kiwi banana tractor"})
    assert good.status_code == 302


def test_invitation_tokens_are_stored_hashed_and_long(client, login_as, world, outbox, app):
    link = invite_parent(client, login_as, world, outbox)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.token_hash not in link
        assert len(token.token_hash) == 64
        assert token.expires_at - token.created_at == timedelta(days=7)


def test_invitation_with_invalid_email_changes_nothing(client, login_as, world, outbox, app):
    login_as("admin")
    with app.app_context():
        before = db.session.query(User).count()
    response = client.submit("/admin/users/invite", {"email": "not-an-email", "roles": ["parent"], "locale": "nl"})
    assert response.status_code == 400
    missing_role = client.submit("/admin/users/invite", {"email": "ok@example.org", "locale": "nl"})
    assert missing_role.status_code == 400
    with app.app_context():
        assert db.session.query(User).count() == before
    assert outbox == []


def test_cli_invite_prints_a_working_link(runner, client, world, outbox, app):
    result = runner.invoke(
        args=["users", "invite", "staff@example.org", "--role", "teacher", "--person-id", str(world["teacher"])]
    )
    assert result.exit_code == 1  # the teacher person already has an account
    assert "already has another account" in result.output
    result = runner.invoke(args=["users", "invite", "volunteer@example.org", "--role", "teacher"])
    assert result.exit_code == 0, result.output
    link = path_of(result.output.strip().splitlines()[-1])
    assert len(outbox) == 1
    assert client.get(link).status_code == 302
    assert (
        client.submit("/invitation", {"password": "kiwi banana tractor", "confirm": "kiwi banana tractor"}).status_code
        == 302
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "volunteer@example.org"))
        assert user.roles == {Role.TEACHER}


def test_cli_invite_with_unknown_person_fails_cleanly(runner, world):
    result = runner.invoke(args=["users", "invite", "x@example.org", "--person-id", "999999"])
    assert result.exit_code != 0
    assert "no person with id 999999" in result.output


def test_password_reset_flow(client, world, outbox, app):
    response = client.submit("/password/forgot", {"email": "parent@example.org"})
    assert response.status_code == 302
    unknown = client.submit("/password/forgot", {"email": "nobody@example.org"})
    assert unknown.status_code == 302  # the same answer: no account enumeration
    assert len(outbox) == 1
    link = path_of(extract_link(outbox[0].body))
    assert client.get(link).headers["Location"] == "/password/reset"
    done = client.submit("/password/reset", {"password": "a brand new sentence", "confirm": "a brand new sentence"})
    assert done.status_code == 302
    client.submit("/sign-out")
    assert client.submit("/sign-in", {"email": "parent@example.org", "password": "demo-password"}).status_code == 401
    assert (
        client.submit("/sign-in", {"email": "parent@example.org", "password": "a brand new sentence"}).status_code
        == 302
    )
    client.submit("/sign-out")
    assert client.get(link).status_code == 410  # reused


def test_password_reset_link_expires_after_an_hour(client, world, outbox, app):
    client.submit("/password/forgot", {"email": "parent@example.org"})
    link = path_of(extract_link(outbox[0].body))
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.expires_at - token.created_at == timedelta(hours=1)
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(link).status_code == 410


def test_a_newer_reset_link_retires_the_older_one(client, world, outbox):
    client.submit("/password/forgot", {"email": "parent@example.org"})
    client.submit("/password/forgot", {"email": "parent@example.org"})
    old, new = (path_of(extract_link(m.body)) for m in outbox)
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 302


def test_invitation_link_cannot_reset_a_password(client, login_as, world, outbox):
    link = invite_parent(client, login_as, world, outbox)
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_invitation_mail_is_in_the_recipients_language(client, login_as, world, outbox):
    login_as("admin")
    client.submit("/admin/users/invite", {"email": "en@example.org", "roles": ["parent"], "locale": "en"})
    client.submit("/admin/users/invite", {"email": "nl@example.org", "roles": ["parent"], "locale": "nl"})
    english, dutch = outbox
    assert "choose your password" in english.body
    assert "choose your password" not in dutch.body


def test_invitation_from_a_person_page_links_the_account_to_that_person(client, login_as, world, outbox, app):
    from app.school.models import Person

    with app.app_context():
        co_parent = db.session.scalar(select(Person).where(Person.first_name == "Mark"))
        co_parent.email = "mark@example.org"
        db.session.commit()
        co_parent_id = co_parent.id
    login_as("admin")
    page = client.get(f"/people/{co_parent_id}").get_data(as_text=True)
    assert f"/admin/users/invite?person_id={co_parent_id}" in page
    form = client.get(f"/admin/users/invite?person_id={co_parent_id}").get_data(as_text=True)
    assert 'value="mark@example.org"' in form and f'value="{co_parent_id}"' in form
    response = client.submit(
        "/admin/users/invite",
        {"email": "mark@example.org", "roles": ["parent"], "person_id": co_parent_id, "locale": "nl"},
    )
    assert response.status_code == 302
    client.submit("/sign-out")
    client.get(path_of(extract_link(outbox[0].body)))
    client.submit("/invitation", {"password": "kiwi banana tractor", "confirm": "kiwi banana tractor"})
    home = client.get("/home").get_data(as_text=True)
    assert "Sem de Vries" in home and "Emma de Vries" in home and "Noah" not in home


def test_admin_cannot_link_two_accounts_to_one_person(client, login_as, world, app):
    login_as("admin")
    response = client.submit(
        "/admin/users/invite",
        {"email": "other@example.org", "roles": ["parent"], "person_id": world["parent"], "locale": "nl"},
    )
    assert response.status_code == 400
    assert "heeft al een ander account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "other@example.org")) is None


def test_admin_edits_roles_and_disables_an_account(client, login_as, world, app):
    login_as("admin")
    with app.app_context():
        parent_id = db.session.scalar(select(User.id).where(User.email == "parent@example.org"))
        admin_id = db.session.scalar(select(User.id).where(User.email == "admin@example.org"))
    response = client.submit(
        f"/admin/users/{parent_id}", {"roles": ["parent", "teacher"], "person_id": world["parent"]}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, parent_id)
        assert user.roles == {Role.PARENT, Role.TEACHER} and not user.active
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.updated")).one()
        assert set(event.details["changes"]) == {"roles", "active"}
    own = client.submit(f"/admin/users/{admin_id}", {"roles": ["teacher"], "active": "y"})
    assert own.status_code == 400
    unknown_person = client.submit(
        f"/admin/users/{parent_id}", {"roles": ["parent"], "active": "y", "person_id": 999999}
    )
    assert unknown_person.status_code == 400
