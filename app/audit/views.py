"""The audit log for administrators and leadership: each row in words, filtered, paged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, String, and_, cast, distinct, func, or_, select

from app.access import allow, current_account
from app.accounts.models import Role, User
from app.audit.anchor import configured_report
from app.audit.log import verify_chain
from app.audit.models import AuditEvent
from app.audit.wording import ACTIONS, NAMED_DETAILS, action_words, references, sentence
from app.consent.labels import MEDIA_LABELS
from app.consent.models import ConsentForm
from app.consent.purposes import purposes_of
from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media.models import Album, MediaItem
from app.release.models import Channel
from app.school.models import Group, Location, Person, SchoolYear

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

# Detail keys that hold a person's id: the person filter finds rows about them there too.
_PERSON_DETAILS = [key for key, (_placeholder, kind) in NAMED_DETAILS.items() if kind == "person"]


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        return None


def _link(text: str, endpoint: str | None, **values: Any) -> Markup:
    if endpoint is None:
        return escape(text)
    return Markup('<a href="{}">{}</a>').format(url_for(endpoint, **values), text)


def _ids(values: Iterable[Any]) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit()})


class _Names:
    """The names on one page of the log, looked up once per kind, with links where the viewer
    may open the page (administrators: the admin pages; leadership: the pages for staff)."""

    def __init__(self, events: Sequence[AuditEvent], viewer: User) -> None:
        self.admin = viewer.has_role(Role.ADMIN)
        wanted: dict[str, list[Any]] = defaultdict(list)
        for event in events:
            for kind, value in references(event):
                wanted[kind].append(value)
        self.users = self._load(User, wanted["user_account"])
        people = self._load(Person, wanted["person"] + [u.person_id for u in self.users.values() if u.person_id])
        self.people = people
        self.items = self._load(MediaItem, wanted["media_item"])
        self.albums = self._load(Album, wanted["album"] + [i.album_id for i in self.items.values()])
        self.groups = self._load(Group, wanted["school_group"])
        self.years = self._load(SchoolYear, wanted["school_year"])
        self.locations = self._load(Location, wanted["location"])
        self.channels = self._load(Channel, wanted["channel"])
        keys = {str(k) for k in wanted["channel_key"]}
        self.channel_keys = (
            {c.key: c for c in db.session.scalars(select(Channel).where(Channel.key.in_(keys)))} if keys else {}
        )
        self.forms = self._load(ConsentForm, wanted["consent_form"] + [e.details.get("form_id") for e in events])
        self._purposes: dict[int, dict[str, str]] = {}

    @staticmethod
    def _load(model: Any, ids: Iterable[Any]) -> dict[int, Any]:
        wanted = _ids(ids)
        if not wanted:
            return {}
        return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(wanted)))}

    def __call__(self, kind: str, value: Any) -> Markup:
        key = int(value) if str(value).isdigit() else None
        if kind == "user_account":
            return self._user(key)
        if kind == "person":
            return self._person(key)
        if kind == "media_item" and key in self.items:
            item = self.items[key]
            album = self.albums.get(item.album_id)
            words = _("item %(id)s in %(album)s", id=key, album=album.title if album else "-")
            return _link(words, "media.show", item_id=key)
        if kind == "school_group" and key in self.groups:
            endpoint = "school.admin_edit_group" if self.admin else "school.show_group"
            return _link(_("group %(name)s", name=self.groups[key].name), endpoint, group_id=key)
        if kind == "media_export" and key is not None:
            return _link(_("export %(id)s", id=key), "release.show_export", export_id=key)
        if kind == "channel" and key in self.channels:
            return escape(self.channels[key].name)
        if kind == "channel_key":
            channel = self.channel_keys.get(str(value))
            return escape(channel.name if channel else value)
        if kind == "media_type":
            return escape(str(MEDIA_LABELS[MediaType(value)]) if value in set(MediaType) else value)
        if kind == "purpose":
            return escape(self._purpose(*value))
        if kind == "school_year" and key in self.years:
            return escape(self.years[key].name)
        if kind == "location" and key in self.locations:
            return escape(self.locations[key].name)
        if kind == "album" and key in self.albums:
            return escape(self.albums[key].title)
        if kind == "consent_form" and key in self.forms:
            form = self.forms[key]
            return escape(_("%(form)s version %(version)s", form=form.form_key, version=form.version))
        return escape(_("record %(id)s", id=value))

    def _person(self, key: int | None) -> Markup:
        person = self.people.get(key) if key is not None else None
        if person is None:
            return escape(_("a removed person (%(id)s)", id=key))
        endpoint = "school.admin_edit_person" if self.admin else "school.show_person"
        return _link(person.full_name, endpoint, person_id=person.id)

    def _user(self, key: int | None) -> Markup:
        user = self.users.get(key) if key is not None else None
        if user is None:
            return escape(_("a removed account (%(id)s)", id=key))
        person = self.people.get(user.person_id) if user.person_id else None
        words = person.full_name if person else user.email
        if self.admin:
            return _link(words, "accounts.edit_user", user_id=user.id)
        if person is not None:
            return _link(words, "school.show_person", person_id=person.id)
        return escape(words)

    def _purpose(self, form_id: Any, purpose: Any) -> str:
        if purpose is None:
            return _("a purpose")
        form = self.forms.get(int(form_id)) if str(form_id).isdigit() else None
        if form is None:
            return str(purpose)
        if form.id not in self._purposes:
            locale = str(get_locale() or "nl")
            self._purposes[form.id] = {p.key: p.label(locale) for p in purposes_of(form)}
        return self._purposes[form.id].get(str(purpose), str(purpose))


def _about_person(words: str) -> ColumnElement[bool] | None:
    """Rows whose actor or object is a person or account whose name or address contains ``words``."""
    needle = words.lower()
    full_name = func.lower(Person.first_name + " " + Person.last_name)
    person_ids = list(db.session.scalars(select(Person.id).where(full_name.contains(needle, autoescape=True))))
    user_ids = list(
        db.session.scalars(
            select(User.id).where(
                or_(
                    func.lower(User.email).contains(needle, autoescape=True),
                    User.person_id.in_(person_ids),
                )
            )
        )
    )
    if not person_ids and not user_ids:
        return None
    as_text = [str(i) for i in person_ids]
    scopes: list[ColumnElement[bool]] = []
    if user_ids:
        scopes.append(AuditEvent.actor_id.in_(user_ids))
        scopes.append(and_(AuditEvent.target_type == "user_account", AuditEvent.target_id.in_(map(str, user_ids))))
        scopes.append(AuditEvent.details["user_id"].as_integer().in_(user_ids))
    if person_ids:
        scopes.append(and_(AuditEvent.target_type == "person", AuditEvent.target_id.in_(as_text)))
        scopes.extend(AuditEvent.details[key].as_integer().in_(person_ids) for key in _PERSON_DETAILS)
    return or_(*scopes)


@bp.route("/")
@allow(Role.LEADERSHIP, Role.ADMIN)
def list_events() -> str:
    filters = {k: request.args.get(k, "").strip() for k in ("action", "person", "from", "until")}
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters["action"]:
        query = query.where(AuditEvent.action == filters["action"])
    if filters["person"]:
        about = _about_person(filters["person"])
        query = query.where(about if about is not None else cast(AuditEvent.id, String) == "")
    since = _day(filters["from"])
    if since:
        query = query.where(AuditEvent.occurred_at >= since)
    until = _day(filters["until"])
    if until:
        query = query.where(AuditEvent.occurred_at < until + timedelta(days=1))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    stored = db.session.scalars(select(distinct(AuditEvent.action))).all()
    actions = sorted(((code, action_words(code)) for code in {*ACTIONS, *stored}), key=lambda pair: pair[1].lower())
    names = _Names(page.items, current_account())
    rows = [(event, action_words(event.action), sentence(event, names)) for event in page.items]
    return render_template(
        "audit/list.html",
        page=page,
        rows=rows,
        actions=actions,
        chain=verify_chain(),
        anchors=configured_report(),
        filters=filters,
    )
