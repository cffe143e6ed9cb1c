"""The audit log read by a person: actions in words, rows as sentences, filters, no secrets."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from markupsafe import escape
from sqlalchemy import select

from app.accounts.models import User
from app.audit.log import record
from app.audit.wording import ACTIONS, SENTENCES
from app.consent.models import ConsentForm
from app.extensions import db
from app.release.models import ApprovalStatus
from tests.conftest import extract_link

APP = Path(__file__).resolve().parents[2] / "app"
# Actions built from a value at run time, spelled out (a new one makes the test below fail).
DYNAMIC = {
    "release.approval_{status.value}": {f"release.approval_{s.value}" for s in ApprovalStatus}
    - {"release.approval_open"}
}


def _is_record(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "record")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "record")
    )


def _strings_passed_for(tree: ast.Module, function: ast.FunctionDef, parameter: str) -> set[str]:
    """The literal values the module's calls of ``function`` pass for ``parameter``."""
    position = [a.arg for a in function.args.args].index(parameter)
    found = set()
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function.name:
            value = call.args[position] if len(call.args) > position else None
            value = next((k.value for k in call.keywords if k.arg == parameter), value)
            assert isinstance(value, ast.Constant), ast.unparse(call)
            found.add(value.value)
    return found


def _actions(tree: ast.Module, node: ast.expr, function: ast.FunctionDef | None) -> set[str]:
    if isinstance(node, ast.Constant):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _actions(tree, node.body, function) | _actions(tree, node.orelse, function)
    if isinstance(node, ast.JoinedStr):
        spelled = ast.unparse(node)[2:-1]
        assert spelled in DYNAMIC, f"an action built at run time: add {spelled} to DYNAMIC"
        return DYNAMIC[spelled]
    assert isinstance(node, ast.Name) and function is not None, ast.unparse(node)
    return _strings_passed_for(tree, function, node.id)


def recorded_actions() -> set[str]:
    """Every action ``record(...)`` is called with anywhere in ``app/``."""
    actions: set[str] = set()
    for path in APP.rglob("*.py"):
        if path.relative_to(APP).as_posix() == "audit/log.py":
            continue
        tree = ast.parse(path.read_text())
        enclosing: dict[ast.AST, ast.FunctionDef] = {}
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            enclosing.update(dict.fromkeys(ast.walk(function), function))  # inner functions come later
        for node in ast.walk(tree):
            if _is_record(node) and node.args:
                actions |= _actions(tree, node.args[0], enclosing.get(node))
    return actions


def events_list(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<ol class="list-unstyled mb-3" id="audit-events">(.*?)</ol>', html, re.S)
    return match.group(1) if match else ""


def test_every_recorded_action_has_words_and_a_sentence():
    actions = recorded_actions()
    assert {"consent.decided", "account.invitation_accepted", "release.approval_approved"} <= actions
    assert sorted(actions - set(ACTIONS)) == []
    assert sorted(actions - set(SENTENCES)) == []


def test_the_page_shows_every_action_in_words_never_its_code(app, client, login_as, world):
    actions = sorted(recorded_actions())
    with app.app_context():
        for action in actions:
            record(action, target_type="person", target_id=world["sem"])
        db.session.commit()
    login_as("admin")
    client.submit("/language", {"locale": "en"})
    for action in actions:
        text = events_list(client.get(f"/admin/audit/?action={action}&person=Sem"))
        assert action not in text and str(escape(str(ACTIONS[action]))) in text


def test_a_withdrawal_reads_as_a_sentence_with_links_for_the_admin(app, client, login_as, world, published_form):
    with app.app_context():
        form = db.session.scalars(select(ConsentForm).order_by(ConsentForm.id.desc())).first()
        karin = db.session.scalar(select(User).where(User.email == "parent@example.org"))
        record(
            "consent.decided",
            target_type="decision",
            target_id=1,
            actor_id=karin.id,
            subject_id=world["sem"],
            media_type="photo",
            purpose="website",
            decision="withdraw",
            means="web",
            form_id=form.id,
        )
        db.session.commit()
        parent_name, user_id = karin.person.full_name, karin.id
    login_as("admin")
    client.submit("/language", {"locale": "en"})
    text = events_list(client.get("/admin/audit/?action=consent.decided"))
    assert "withdrew consent for" in text and "Photos" in text
    assert f'href="/admin/persons/{world["sem"]}"' in text
    assert f'href="/admin/users/{user_id}">{parent_name}</a>' in text
    client.submit("/language", {"locale": "nl"})
    dutch = events_list(client.get("/admin/audit/?action=consent.decided"))
    assert "trok toestemming in" in dutch and "consent.decided" not in dutch


def test_leadership_reads_the_same_page_with_links_they_may_open(client, login_as, world):
    login_as("leader")
    client.submit("/language", {"locale": "en"})
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    text = events_list(response)
    assert "Signed in" in text and "/admin/users/" not in text
    assert "Hash chain intact" in response.get_data(as_text=True)


def test_filters_by_person_kind_and_date(app, client, login_as, world):
    with app.app_context():
        record("school.person_updated", target_type="person", target_id=world["noah"], fields=["first_name"])
        record("school.person_updated", target_type="person", target_id=world["sem"], fields=["first_name"])
        db.session.commit()
    login_as("admin")
    client.submit("/language", {"locale": "en"})
    about_noah = events_list(client.get("/admin/audit/?person=noah"))
    assert about_noah.count("<li") == 1 and "Noah" in about_noah
    signed_in = events_list(client.get("/admin/audit/?action=auth.sign_in&person=admin@example"))
    assert signed_in.count("<li") == 1 and "signed in" in signed_in
    assert events_list(client.get("/admin/audit/?person=nobody-at-all")) == ""
    assert events_list(client.get("/admin/audit/?from=2999-01-01")) == ""
    assert events_list(client.get("/admin/audit/?until=2000-01-01")) == ""
    assert events_list(client.get("/admin/audit/?from=2000-01-01&until=2999-01-01")).count("<li") >= 3
    assert client.get("/admin/audit/?from=not-a-date&page=999").status_code == 200


def test_parents_and_teachers_cannot_read_the_log(client, login_as, world):
    for who in ("parent", "teacher"):
        login_as(who)
        assert client.get("/admin/audit/").status_code == 404
        client.submit("/sign-out")


def test_no_token_or_password_hash_is_shown(app, client, login_as, world, outbox):
    login_as("admin")
    client.submit("/language", {"locale": "en"})
    client.submit("/admin/users/invite", {"email": "new.parent@example.org", "roles": ["parent"], "locale": "nl"})
    token = extract_link(outbox[0].body).rstrip("/").rsplit("/", 1)[-1]
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        password_hash = admin.password_hash
        record("account.updated", target=admin, actor_id=admin.id, token=token, password_hash=password_hash)
        db.session.commit()
    html = client.get("/admin/audit/").get_data(as_text=True)
    assert "Account invited" in html and "Account changed" in html
    assert token not in html and password_hash not in html
