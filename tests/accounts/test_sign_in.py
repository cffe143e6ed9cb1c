"""Sign-in, sign-out, sessions and throttling, through HTTP."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from tests.factories import PASSWORD


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_with_right_password_lands_on_home(client, world, app):
    response = client.submit("/sign-in", {"email": "Teacher@Example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    assert "Group 5b" in client.get("/home").get_data(as_text=True) or "Groep 5b" in client.get("/home").get_data(
        as_text=True
    )
    assert "auth.sign_in" in audit_actions(app)


def test_wrong_password_and_unknown_email_answer_the_same(client, world, app):
    wrong = client.submit("/sign-in", {"email": "parent@example.org", "password": "not-the-password"})
    unknown = client.submit("/sign-in", {"email": "nobody@example.org", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401

    def message(response) -> str:
        text = response.get_data(as_text=True)
        return text[text.index('class="alert') : text.index("</div>", text.index('class="alert'))]

    assert message(wrong) == message(unknown)
    actions = audit_actions(app)
    assert actions.count("auth.sign_in_failed") == 2
    with app.app_context():
        failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
        # The unknown email is not written down anywhere in the audit row.
        assert all("nobody" not in str(e.details) + str(e.target_id) for e in failed)
        assert failed[1].target_id is None


def test_missing_field_is_a_400_with_the_form(client, world):
    response = client.submit("/sign-in", {"email": "parent@example.org"})
    assert response.status_code == 400
    assert 'name="password"' in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, world):
    response = client.post("/sign-in", data={"email": "parent@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/home").status_code == 302  # not signed in


def test_repeated_wrong_passwords_are_throttled_per_account(client, world):
    for _ in range(5):
        assert (
            client.submit("/sign-in", {"email": "parent@example.org", "password": "wrong-password"}).status_code == 401
        )
    blocked = client.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD})
    assert blocked.status_code == 429
    # Another account from the same address is not locked out by it.
    assert client.submit("/sign-in", {"email": "parent2@example.org", "password": PASSWORD}).status_code == 302


def test_guessing_cannot_lock_a_parent_out_of_a_browser_they_used_before(app, world):
    from tests.conftest import Client

    app.test_client_class = Client
    parent, attacker = app.test_client(), app.test_client()
    assert parent.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD}).status_code == 302
    parent.submit("/sign-out")
    for _ in range(6):
        attacker.submit("/sign-in", {"email": "parent@example.org", "password": "guess-guess"})
    assert attacker.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD}).status_code == 429
    # The parent's own browser carries the device cookie from the earlier sign-in.
    assert parent.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD}).status_code == 302
    cookie = parent.get_cookie("beeldrecht_device")
    assert cookie is not None and "parent" not in cookie.value and cookie.http_only


def test_successful_sign_ins_do_not_count_towards_the_account_limit(client, world):
    for _ in range(7):
        assert client.submit("/sign-in", {"email": "comms@example.org", "password": PASSWORD}).status_code == 302
        client.submit("/sign-out")


def test_two_hundred_parents_sign_in_from_one_address_and_guessing_is_still_throttled(client, world):
    """Parents' evening on the school Wi-Fi: successes never count towards the address limit."""
    accounts = ["parent@example.org", "parent2@example.org", "teacher@example.org", "comms@example.org"]
    for i in range(200):
        client.delete_cookie("beeldrecht_session")  # the next parent's phone, on the same Wi-Fi
        response = client.submit("/sign-in", {"email": accounts[i % 4], "password": PASSWORD})
        assert response.status_code == 302, f"sign-in {i + 1} answered {response.status_code}"
    client.delete_cookie("beeldrecht_session")
    statuses = [
        client.submit("/sign-in", {"email": f"user{i}@example.org", "password": "wrong-password"}).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_sign_ins_are_throttled_per_address(client, world):
    statuses = [
        client.submit("/sign-in", {"email": f"user{i}@example.org", "password": "wrong-password"}).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_sign_out_ends_every_session_of_the_account(app, world):
    from tests.conftest import Client

    app.test_client_class = Client
    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        assert c.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD}).status_code == 302
        assert c.get("/home").status_code == 200
    assert phone.submit("/sign-out").status_code == 302
    assert laptop.get("/home").status_code == 302  # back to the sign-in page


def test_a_stolen_session_cookie_dies_with_a_password_change(app, world):
    from tests.conftest import Client

    app.test_client_class = Client
    owner, thief = app.test_client(), app.test_client()
    owner.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD})
    cookie = owner.get_cookie("beeldrecht_session")
    thief.set_cookie("beeldrecht_session", cookie.value)
    assert thief.get("/home").status_code == 200
    response = owner.submit(
        "/account", {"current": PASSWORD, "password": "a long new sentence", "confirm": "a long new sentence"}
    )
    assert response.status_code == 302
    assert owner.get("/home").status_code == 200  # the changing browser stays signed in
    assert thief.get("/home").status_code == 302


def test_disabled_account_is_signed_out_and_cannot_sign_in(client, world, app):
    client.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "parent@example.org"))
        user.active = False
        user.session_version += 1
        db.session.commit()
    assert client.get("/home").status_code == 302
    assert client.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD}).status_code == 401


def test_absolute_session_lifetime_ends_the_session(client, world, app, monkeypatch):
    from datetime import timedelta

    client.submit("/sign-in", {"email": "parent@example.org", "password": PASSWORD})
    with client.session_transaction() as session:
        session["signed_in_at"] -= (app.config["SESSION_ABSOLUTE_LIFETIME"] + timedelta(minutes=1)).total_seconds()
    response = client.get("/home")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_session_lifetimes_are_far_below_flasks_default(app):
    from datetime import timedelta

    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=2)
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] <= timedelta(hours=12)


def test_next_parameter_only_follows_local_paths(client, world):
    response = client.submit(
        "/sign-in?next=https://evil.example/", {"email": "parent@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/home")
    client.submit("/sign-out")
    response = client.submit(
        f"/sign-in?next=/people/{world['sem']}", {"email": "parent@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"].endswith(f"/people/{world['sem']}")


def test_old_hash_is_rehashed_when_cost_rises(client, world, app):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "comms@example.org"))
        user.password_hash = weak
        db.session.commit()
    assert client.submit("/sign-in", {"email": "comms@example.org", "password": PASSWORD}).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "comms@example.org"))
        assert user.password_hash != weak
        assert user.password_hash.startswith("$argon2id$")
        assert f"m={app.config['ARGON2_MEMORY_COST']}" in user.password_hash


def test_unknown_email_costs_one_argon2_verification_like_a_wrong_password(client, world, monkeypatch):
    """Same work on both paths, so the answer time does not tell whether an account exists."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash[:9])
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    client.submit("/sign-in", {"email": "parent@example.org", "password": "wrong-password"})
    client.submit("/sign-in", {"email": "nobody@example.org", "password": "wrong-password"})
    assert calls == ["$argon2id", "$argon2id"]
