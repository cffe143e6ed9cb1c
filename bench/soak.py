"""Benchmark: a mixed minute under load (issue 11, part 8).

gunicorn (the repository's gunicorn.conf.py, 2 workers) and a Celery worker on a fresh PostgreSQL
database; 100 concurrent clients for 60 s, each in a role:

- parents (~60%): their child's page, a one-tap decision (grant, refuse, withdraw; now and then the
  answer they already gave, which is refused with 409), sometimes "withdraw all consent" through
  its confirm page; signed in through the sign-in page, CSRF tokens read from the forms;
- teachers (~25%): an upload through the API (mostly photos, some with a face, a few short films
  and sound recordings, which are jobs for the worker), tags for the pupils on it (each detected
  face given to one of them), the attestation "everyone is tagged" in a second step, and tags added
  to an item of their group;
- communications (~15%): the library of a group and an export of some of its items, through the
  web (POST /release/export) or the API (POST /api/v1/exports), mostly to the channels that release
  at once (newsletter, parent portal), sometimes to the website (a request for leadership: 202).
  Cleared and refused (409) exports are both normal answers.

Each client waits a random moment (``--think``, on average) between its actions, as people do. The
school: 240 pupils in 8 groups (``bench/school_data.py``), a guardian of each who answered the form
(most said yes to everything, some no to a few questions, a few nothing yet), a teacher account per
teacher client, communications accounts, and 12 photos per group tagged and attested beforehand.

Afterwards the load stops, the worker drains its queue (with a time limit), both servers stop, and:
``flask audit verify`` and ``flask media fsck`` must be clean; the jobs must be done; and every
released export is replayed against the audit log (as ``tests/release/test_race.py`` does): its
ids are handed out under a lock held until commit, so their order is the order of the commits.
Replaying decisions ("consent.decided", with the decision's decider) and tags ("media.tags_changed",
who is on the item after the change) in that order, at each "release.exported" row everyone then
tagged on each item must have had consent for the channel's purpose and the item's media type by
the decisions committed before it (the rules of ``app.consent.rules``: the latest decision of each
guardian with parental authority counts, any refusal or withdrawal blocks; the pupils here are 9).
An export while a withdrawal or refusal committed before it applied is a failure.

Goals: 0 responses 5xx and 0 broken connections (behind nginx a connection the server drops is a
502), audit chain intact, fsck clean, 0 exports after a withdrawal or without consent, every released
export's evidence naming exactly the people replayed on its items, 0 failed jobs, the queue drained.
Exits 1 when one is missed. Besides the table: the 4xx answers by status and error code (a refused
export is 409 export_blocked; a repeated answer 409; an attestation of an item a refused export already
named 422 reason_required: it would wait for leadership and needs a reason, which the client does not
give), the blockers the refusals named, the close calls (released exports within 5 s after a decision
about someone they show: how often the replay's 0 was really put to the test) and the CPU time of
gunicorn, the worker and the clients' own process (a saturated server or a saturated load generator).

The clients are threads, each with one kept-alive ``http.client`` connection (no extra dependency);
a request that finds its kept-alive connection closed by the server is sent once more on a new one,
as browsers do. The sign-in limit per address is raised for the run: every client comes from
127.0.0.1, where a school's parents come from many addresses. Mail goes to memory (locmem).

    python bench/soak.py [--clients 100] [--seconds 60] [--think 1.0]
                         [--database-url postgresql+psycopg://postgres@localhost/beeldrecht_bench_soak]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import fresh_database, server_environment  # noqa: E402
from school_data import build_school  # noqa: E402

PASSWORD = "soak all the minute long"  # noqa: S105 - a throwaway database
PORT = 8741
PUPILS = 240  # 8 groups of 30
PHOTOS_PER_GROUP = 12
CLOSE_CALL = 5.0  # seconds: an export this soon after a decision about someone it shows is a close call
REDIS_DB = 13  # a database number of its own on the shared Redis
ALBUM = "Soak"
# Channels that release at once (newsletter, parent portal) and one that needs leadership (website).
CHANNELS = [("newsletter", 0.45), ("parent_portal", 0.45), ("website", 0.10)]
# What parents mostly change: the purposes of the channels exported to, for photos.
HOT_CELLS = [("photo", "newsletter"), ("photo", "parent_portal")]
ROLES = (("parent", 0.60), ("teacher", 0.25), ("comms", 0.15))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# -- The school ----------------------------------------------------------------------------------


@dataclass
class World:
    groups: list[int]
    pupils_of: dict[int, list[int]]  # group -> pupils
    active: dict[int, list[int]]  # group -> the pupils whose parent is a client (tagged more often)
    parents: list[tuple[str, int]]  # (email, child)
    teachers: list[tuple[str, str, int]]  # (email, API token, group)
    comms: list[tuple[str, str]]  # (email, API token)
    items: dict[int, list[int]]  # group -> items (grows during the run)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_item(self, group: int, item: int) -> None:
        with self.lock:
            self.items[group].append(item)

    def some_items(self, group: int, rng: random.Random, most: int) -> list[int]:
        with self.lock:
            recent = self.items[group][-40:]
        return rng.sample(recent, min(len(recent), rng.randint(1, most)))

    def pick_people(
        self, group: int, rng: random.Random, count: int, besides: frozenset[int] | set[int] = frozenset()
    ) -> list[int]:
        """``count`` pupils of the group, most of them among those whose parents are deciding."""
        chosen: list[int] = []
        while len(chosen) < count:
            active = self.active.get(group)
            pool = active if active and rng.random() < 0.7 else self.pupils_of[group]
            pupil = rng.choice(pool)
            if pupil not in chosen and pupil not in besides:
                chosen.append(pupil)
        return chosen


def photo(rng: random.Random, face: bool) -> bytes:
    """A small JPEG of its own (random colours and lines); with ``face`` the astronaut's head on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        points = [rng.randrange(800), rng.randrange(600), rng.randrange(800), rng.randrange(600)]
        draw.line(points, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randint(2, 9))  # type: ignore[arg-type]
    if face:
        image.paste(_head().resize((200, 176)), (rng.randrange(560), rng.randrange(380)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


_HEAD: list[Any] = []


def _head() -> Any:
    if not _HEAD:
        import skimage.data
        from PIL import Image

        from tests.media.group_photos import ASTRONAUT_CROP

        x, y, w, h = ASTRONAUT_CROP
        _HEAD.append(Image.fromarray(skimage.data.astronaut()).crop((x, y, x + w, y + h)))
    return _HEAD[0]


def build(folder: Path, parents: int, teachers: int, comms: int) -> World:
    """The school, its accounts, the guardians' answers (through ``decide_answers``, so audited) and
    a library of photos per group, tagged (``set_tags``) and attested."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts.api_tokens import issue_api_token
    from app.accounts.models import Role, User
    from app.accounts.passwords import hash_password
    from app.consent.operations import decide_answers
    from app.consent.vocabulary import Means, MediaType
    from app.extensions import db
    from app.media.ingest import ingest_upload
    from app.media.operations import TagSpec, album_for, set_tags
    from app.school.models import Group, Person, PersonKind, group_pupil, group_teacher
    from app.timestamps import school_today

    rng = random.Random(8)
    app = create_app("production")
    with app.app_context(), app.test_request_context():
        upgrade(directory=str(ROOT / "migrations"))
        school = build_school(folder, PUPILS)
        groups = [g.id for g in school.groups]
        pupils_of: dict[int, list[int]] = defaultdict(list)
        for group_id, person_id in db.session.execute(select(group_pupil.c.group_id, group_pupil.c.person_id)):
            pupils_of[group_id].append(person_id)
        for pupils in pupils_of.values():
            pupils.sort()
        purposes = ["parent_portal", "newsletter", "school_guide", "website", "social_media", "press"]
        hashed = hash_password(PASSWORD)

        def account(email: str, person_id: int | None, role: Role) -> User:
            user = User(email=email, password_hash=hashed, person_id=person_id, locale="nl")
            db.session.add(user)
            db.session.flush()
            user.set_roles({role})
            return user

        # The parents who take part: guardian A of pupils spread over the groups.
        chosen = [pupils_of[groups[n % len(groups)]][n // len(groups)] for n in range(parents)]
        active: dict[int, list[int]] = defaultdict(list)
        parent_accounts = []
        for n, child in enumerate(chosen):
            index = school.pupils.index(child)
            account(f"parent{n}@soak.example", school.guardians[2 * index], Role.PARENT)
            parent_accounts.append((f"parent{n}@soak.example", child))
            active[groups[n % len(groups)]].append(child)
        teacher_accounts = []
        teacher_users: dict[int, User] = {}
        for n in range(teachers):
            group = groups[n % len(groups)]
            person = Person(kind=PersonKind.STAFF, first_name="Juf", last_name=f"T{n}", email=f"t{n}@soak.example")
            db.session.add(person)
            db.session.flush()
            db.session.execute(insert(group_teacher), [{"group_id": group, "person_id": person.id}])
            user = account(f"teacher{n}@soak.example", person.id, Role.TEACHER)
            teacher_users.setdefault(group, user)
            teacher_accounts.append((user.email, issue_api_token(user, "soak")[1], group))
        seeder = account("seeder@soak.example", None, Role.ADMIN)  # tags groups that have no teacher client
        comms_accounts = []
        for n in range(comms):
            user = account(f"comms{n}@soak.example", None, Role.COMMUNICATIONS)
            comms_accounts.append((user.email, issue_api_token(user, "soak")[1]))
        db.session.commit()

        # Guardian A of each pupil answered: most yes to everything, some no to a few, a few nothing.
        guardians = {p.id: p for p in db.session.scalars(select(Person).where(Person.kind == PersonKind.GUARDIAN))}
        subjects = {p.id: p for p in db.session.scalars(select(Person).where(Person.kind == PersonKind.PUPIL))}
        for index, pupil in enumerate(school.pupils):
            roll = rng.random()
            if roll < 0.05:
                continue
            answers = {(m.value, p): not (roll > 0.85 and rng.random() < 0.3) for m in MediaType for p in purposes}
            decide_answers(
                subjects[pupil],
                answers,  # type: ignore[arg-type]
                decided_by=guardians[school.guardians[2 * index]],
                recorded_by=None,
                means=Means.WEB,
            )
            db.session.commit()

        # The library: photos per group (a third with a face), tagged and attested as a teacher does.
        world = World(groups, dict(pupils_of), dict(active), parent_accounts, teacher_accounts, comms_accounts, {})
        for group in groups:
            world.items[group] = []
            album = album_for(db.session.get_one(Group, group), ALBUM, school_today())
            teacher = teacher_users.get(group) or seeder
            for n in range(PHOTOS_PER_GROUP):
                item = ingest_upload(io.BytesIO(photo(rng, face=n % 3 == 0)), album=album, uploaded_by=teacher).item
                db.session.commit()
                faces = [f.id for f in item.faces]
                people = world.pick_people(group, rng, max(len(faces), rng.randint(1, 3)))
                specs = [TagSpec(p, face_ids=(faces[k],) if k < len(faces) else ()) for k, p in enumerate(people)]
                set_tags(item, specs, complete=True, by=teacher)
                db.session.commit()
                world.add_item(group, item.id)
        db.session.remove()
        db.engine.dispose()
    return world


# -- The clients ---------------------------------------------------------------------------------


@dataclass
class Stats:
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)  # 5xx and broken connections, described
    exports: list[dict[str, Any]] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)  # 4xx answers: action, status, the API's code

    def merge(self, other: Stats) -> None:
        self.refusals.update(other.refusals)
        for action, counter in other.statuses.items():
            self.statuses[action].update(counter)
        for action, values in other.latencies.items():
            self.latencies[action].extend(values)
        self.failures += other.failures
        self.exports += other.exports


class Answer:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def _error_code(answer: Answer) -> str:
    """The API's error code (``{"code": ...}``), or nothing for a page."""
    if not (answer.headers.get("Content-Type") or "").startswith("application/json"):
        return ""
    try:
        body = answer.json()
    except ValueError:
        return ""
    found = body.get("code") or (body.get("error") or {}).get("code") if isinstance(body, dict) else None
    return str(found or "")


class Client:
    """One person: a kept-alive connection, cookies, and the counts of what was answered."""

    def __init__(self, rng: random.Random, stats: Stats, token: str | None = None) -> None:
        self.rng, self.stats, self.token = rng, stats, token
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def call(
        self, action: str, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> Answer | None:
        headers = {"Accept-Language": "nl"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        started = time.monotonic()
        answer = None
        for attempt in (1, 2):
            fresh = self.connection is None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                answer = Answer(response.status, response.headers, response.read())
                if response.will_close:
                    self.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as problem:
                self.close()
                # The server closed a kept-alive connection (its keep-alive ran out, or a worker
                # was recycled): the request never reached it. Once more on a new connection.
                if fresh or attempt == 2:
                    how = "a new connection" if fresh else "a kept-alive one, after a retry"
                    self._count(action, "conn", started, f"{action} {method} {path} on {how}: {problem!r}")
                    return None
                started = time.monotonic()
            except OSError as problem:
                self.close()
                self._count(action, "conn", started, f"{action} {method} {path}: {problem!r}")
                return None
        assert answer is not None
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        kind = f"{answer.status // 100}xx"
        if kind == "4xx":
            self.stats.refusals[f"{action}: {answer.status} {_error_code(answer)}".rstrip()] += 1
        self._count(action, kind, started, f"{action} {method} {path}: {answer.status} {answer.text[:300]!r}")
        return answer

    def _count(self, action: str, kind: str, started: float, failure: str) -> None:
        self.stats.statuses[action][kind] += 1
        self.stats.latencies[action].append(time.monotonic() - started)
        if kind in ("5xx", "conn"):
            self.stats.failures.append(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC {failure}")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def form(self, action: str, path: str, fields: list[tuple[str, str]]) -> Answer | None:
        body = urllib.parse.urlencode(fields).encode()
        return self.call(action, "POST", path, body, "application/x-www-form-urlencoded")

    def send_json(self, action: str, method: str, path: str, data: Any) -> Answer | None:
        return self.call(action, method, path, json.dumps(data).encode(), "application/json")

    def sign_in(self, email: str) -> None:
        page = self.call("sign_in", "GET", "/sign-in")
        token = CSRF.search(page.text) if page else None
        assert token, "no CSRF token on the sign-in page"
        answer = self.form(
            "sign_in", "/sign-in", [("csrf_token", token.group(1)), ("email", email), ("password", PASSWORD)]
        )
        assert answer is not None, f"signing in as {email}: no answer"
        assert answer.status == 302, f"signing in as {email} failed: {answer.status}"
        assert "beeldrecht_session" in self.cookies, f"signing in as {email} set no session"


class Parent:
    def __init__(self, client: Client, email: str, child: int) -> None:
        self.client, self.email, self.child = client, email, child

    def start(self) -> None:
        self.client.sign_in(self.email)

    def act(self) -> None:
        rng, client = self.client.rng, self.client
        page = client.call("parent: page", "GET", f"/consent/{self.child}?overview=1")
        if page is None or page.status != 200:
            return
        if rng.random() < 0.05:
            self.withdraw_everything()
            return
        cells = _cells(page.text)
        token = CSRF.search(page.text)
        if not cells or not token:
            return
        hot = [c for c in cells if (c[0], c[1]) in HOT_CELLS]
        media, purpose, offered = rng.choice(hot if hot and rng.random() < 0.7 else cells)
        # Now and then the answer already given (a second tab, a double tap): refused, nothing stored.
        choice = rng.choice(offered) if rng.random() < 0.92 else rng.choice(["grant", "refuse", "withdraw"])
        fields = [("csrf_token", token.group(1)), ("media_type", media), ("purpose", purpose), ("decision", choice)]
        client.form("parent: decide", f"/consent/{self.child}/decide", fields)

    def withdraw_everything(self) -> None:
        client = self.client
        page = client.call("parent: withdraw all (list)", "GET", f"/consent/{self.child}/all?decision=withdraw_all")
        if page is None or page.status != 200:
            return
        token, plan = CSRF.search(page.text), re.search(r'name="plan" value="([^"]*)"', page.text)
        if not token or not plan:
            return  # nothing to withdraw: no confirm button
        fields = [
            ("csrf_token", token.group(1)),
            ("decision", "withdraw_all"),
            ("plan", plan.group(1)),
            ("confirm", "1"),
        ]
        client.form("parent: withdraw all (confirm)", f"/consent/{self.child}/all", fields)


def _cells(page: str) -> list[tuple[str, str, list[str]]]:
    """(media type, purpose, the answers offered) of each one-tap form on a child's page."""
    cells = []
    for form in re.findall(r'<form method="post" action="/consent/\d+/decide".*?</form>', page, re.S):
        media = re.search(r'name="media_type" value="([^"]+)"', form)
        purpose = re.search(r'name="purpose" value="([^"]+)"', form)
        offered = re.findall(r'name="decision" value="([^"]+)"', form)
        if media and purpose and offered:
            cells.append((media.group(1), purpose.group(1), offered))
    return cells


class Teacher:
    def __init__(self, client: Client, world: World, group: int) -> None:
        self.client, self.world, self.group = client, world, group
        self.waiting: list[tuple[int, list[dict[str, Any]]]] = []  # tagged, not yet attested

    def start(self) -> None:
        pass

    def act(self) -> None:
        roll = self.client.rng.random()
        if self.waiting and roll < 0.3:
            self.attest()
        elif roll < 0.75:
            self.upload()
        else:
            self.tag_more()

    def upload(self) -> None:
        from tests.media.samples import film, sound

        rng = self.client.rng
        roll = rng.random()
        if roll < 0.05:
            data, name, mime, kind = (
                film(seconds=1, size=(64 + 16 * rng.randrange(8), 48)),
                "film.mp4",
                "video/mp4",
                "film",
            )
        elif roll < 0.08:
            data, name, mime, kind = (
                sound(seconds=1, rate=rng.choice([22050, 16000])),
                "sound.mp3",
                "audio/mpeg",
                "sound",
            )
        else:
            data, name, mime, kind = photo(rng, face=rng.random() < 0.3), "photo.jpg", "image/jpeg", "photo"
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="group_id"\r\n\r\n{self.group}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="album"\r\n\r\n{ALBUM}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {mime}\r\n\r\n".encode()
            + data
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        answer = self.client.call(
            f"teacher: upload {kind}",
            "POST",
            "/api/v1/media",
            b"".join(parts),
            f"multipart/form-data; boundary={boundary}",
        )
        if answer is None or answer.status not in (200, 201):
            return
        item = answer.json()
        faces = [f["id"] for f in item["faces"] if f["status"] == "open"]
        people = self.world.pick_people(self.group, rng, max(len(faces), rng.randint(1, 3)))
        tags = [{"person_id": p, "face_ids": [faces[k]] if k < len(faces) else []} for k, p in enumerate(people)]
        answer = self.client.send_json(
            "teacher: tag", "PUT", f"/api/v1/media/{item['id']}/tags", {"tags": tags, "complete": False}
        )
        if answer is not None and answer.status == 200:
            self.waiting.append((item["id"], tags))

    def attest(self) -> None:
        item, tags = self.waiting.pop(0)
        answer = self.client.send_json(
            "teacher: attest", "PUT", f"/api/v1/media/{item}/tags", {"tags": tags, "complete": True}
        )
        if answer is not None and answer.status == 200:
            self.world.add_item(self.group, item)

    def tag_more(self) -> None:
        """Someone else turns out to be on an item of the group: add them (the tags stay complete)."""
        rng = self.client.rng
        (item,) = self.world.some_items(self.group, rng, 1)
        answer = self.client.call("teacher: item", "GET", f"/api/v1/media/{item}")
        if answer is None or answer.status != 200:
            return
        found = answer.json()
        tagged = {t["person_id"] for t in found["tags"]}
        if len(tagged) >= 6:
            return
        (extra,) = self.world.pick_people(self.group, rng, 1, besides=tagged)
        tags = [{"person_id": t["person_id"], "box": t["box"]} for t in found["tags"]] + [{"person_id": extra}]
        self.client.send_json(
            "teacher: tag", "PUT", f"/api/v1/media/{item}/tags", {"tags": tags, "complete": found["tags_complete"]}
        )


class Communications:
    def __init__(self, client: Client, world: World, email: str, web: bool) -> None:
        self.client, self.world, self.email, self.web = client, world, email, web

    def start(self) -> None:
        if self.web:
            self.client.token = None
            self.client.sign_in(self.email)

    def act(self) -> None:
        rng = self.client.rng
        group = rng.choice(self.world.groups)
        channel = rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0]
        if self.web:
            self.export_web(group, channel)
        else:
            self.export_api(group, channel)

    def export_web(self, group: int, channel: str) -> None:
        rng, client = self.client.rng, self.client
        page = client.call("comms: library", "GET", f"/media/?group={group}")
        if page is None or page.status != 200:
            return
        ids = [int(i) for i in re.findall(r'name="media_id" value="(\d+)"', page.text)]
        form = re.search(r'id="export-form".*?</form>', page.text, re.S)
        token = CSRF.search(form.group(0)) if form else None
        if not ids or not token:
            return
        chosen = rng.sample(ids, min(len(ids), rng.randint(1, 3)))
        fields = [("csrf_token", token.group(1)), ("channel", channel), ("caption", "")]
        fields += [("media_id", str(i)) for i in chosen]
        sent = time.time()
        answer = client.form("comms: export (web)", "/release/export", fields)
        if answer is None:
            return
        made = re.search(r"/release/exports/(\d+)", answer.headers.get("Location") or "")
        outcome = {302: "released" if channel != "website" else "requested", 409: "refused"}.get(answer.status, "other")
        self.note(made and int(made.group(1)), outcome, channel, chosen, sent, answer.status, "web")

    def export_api(self, group: int, channel: str) -> None:
        chosen = self.world.some_items(group, self.client.rng, 3)
        sent = time.time()
        answer = self.client.send_json(
            "comms: export (API)", "POST", "/api/v1/exports", {"channel": channel, "media_ids": chosen}
        )
        if answer is None:
            return
        outcome = {201: "released", 202: "requested", 409: "refused"}.get(answer.status, "other")
        made = answer.json().get("id") if answer.status in (201, 202) else None
        self.note(made, outcome, channel, chosen, sent, answer.status, "api")

    def note(
        self, export_id: Any, outcome: str, channel: str, items: list[int], sent: float, status: int, via: str
    ) -> None:
        self.client.stats.exports.append(
            {
                "id": export_id or None,
                "outcome": outcome,
                "channel": channel,
                "items": items,
                "sent": sent,
                "answered": time.time(),
                "status": status,
                "via": via,
            }
        )


def run_clients(world: World, clients: int, seconds: float, think: float) -> tuple[Stats, float]:
    """Sign everyone in, then let them all act until the minute is over; the merged counts."""
    counts = {role: round(clients * share) for role, share in ROLES}
    counts["parent"] = clients - counts["teacher"] - counts["comms"]
    people: list[Any] = []
    seed = random.Random(2026)
    for n in range(counts["parent"]):
        email, child = world.parents[n % len(world.parents)]
        people.append(Parent(Client(random.Random(seed.random()), Stats()), email, child))
    for n in range(counts["teacher"]):
        email, token, group = world.teachers[n % len(world.teachers)]
        people.append(Teacher(Client(random.Random(seed.random()), Stats(), token), world, group))
    for n in range(counts["comms"]):
        email, token = world.comms[n % len(world.comms)]
        people.append(
            Communications(Client(random.Random(seed.random()), Stats(), token), world, email, web=n % 2 == 0)
        )
    print(
        f"Signing in {counts['parent']} parents and {counts['comms'] // 2 + counts['comms'] % 2} of communications ...",
        flush=True,
    )
    for person in people:
        person.start()
    barrier = threading.Barrier(len(people) + 1)
    stop = [0.0]

    def life(person: Any) -> None:
        barrier.wait()
        rng = person.client.rng
        time.sleep(rng.uniform(0, think))  # not all at the same instant
        while time.monotonic() < stop[0]:
            try:
                person.act()
            except Exception as problem:  # noqa: BLE001 - a client's own bug must not end the minute unseen
                person.client.stats.failures.append(f"client error in {type(person).__name__}: {problem!r}")
                person.client.stats.statuses["client error"]["err"] += 1
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))
        person.client.close()

    threads = [threading.Thread(target=life, args=(p,), daemon=True) for p in people]
    for thread in threads:
        thread.start()
    print(f"{len(people)} clients for {seconds:.0f} s ({counts}) ...", flush=True)
    stop[0] = time.monotonic() + seconds
    began, cpu = time.monotonic(), time.process_time()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    print(f"  the clients' own process used {time.process_time() - cpu:.0f} CPU-seconds in {elapsed:.0f} s", flush=True)
    total = Stats()
    for person in people:
        total.merge(person.client.stats)
    return total, elapsed


# -- The servers ---------------------------------------------------------------------------------


def start_servers(env: dict[str, str], folder: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    import urllib.request

    web_log, worker_log = open(folder / "gunicorn.log", "wb"), open(folder / "worker.log", "wb")  # noqa: SIM115
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=web_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    command = [sys.executable, "-m", "celery", "-A", "app.jobs.worker", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    worker = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
            return web, worker
        except OSError:
            time.sleep(0.3)
    stop_process(web)
    stop_process(worker)
    sys.exit(f"gunicorn did not start on port {PORT}; see {folder / 'gunicorn.log'}")


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User and system CPU time of the processes of ``process``'s session, the ones it has waited for
    included (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == process.pid:  # the session id
            total += int(fields[11]) + int(fields[12])
            if stat.parent.name == str(process.pid):  # and the workers it has replaced and waited for
                total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def drain(app: Any, seconds: float) -> tuple[Counter[str], bool]:
    """Wait until no job is queued or running (or the time is up): the jobs by state, and whether drained."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.jobs.models import Job, JobState

    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            states = Counter(
                {str(s): n for s, n in db.session.execute(select(Job.state, func.count()).group_by(Job.state))}
            )
        busy = states[JobState.QUEUED.value] + states[JobState.RUNNING.value]
        if not busy or time.monotonic() > deadline:
            return states, not busy
        time.sleep(1)


def flask_command(env: dict[str, str], *args: str) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env={**env, "FLASK_APP": "wsgi"},
        capture_output=True,
        text=True,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, (lines[-1] if lines else f"exit {done.returncode}")


# -- The replay ----------------------------------------------------------------------------------


@dataclass
class Replay:
    released: int = 0  # "release.exported" rows checked
    after_withdrawal: list[str] = field(default_factory=list)  # a refusal or withdrawal committed before applied
    without_consent: list[str] = field(default_factory=list)  # nobody entitled had granted
    evidence_mismatch: list[str] = field(default_factory=list)  # the export's evidence names other people
    close_calls: int = 0  # released exports with a decision about someone shown in the CLOSE_CALL seconds before
    tags_drift: int = 0  # items whose tags at the end differ from the replayed ones (the replay missed a change)
    unknown_exports: int = 0  # exports a client saw released without a "release.exported" row
    exported: list[int] = field(default_factory=list)  # the export ids replayed
    tagged: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # item -> people, at the end


def check_exports(
    events: list[tuple[int, str, int, dict[str, Any], float]],
    decisions: dict[int, tuple[int, str]],
    deciders: dict[int, set[int]],
    media_types: dict[int, str],
    purposes: dict[str, str],
    evidence: dict[tuple[int, int], set[int]],
) -> Replay:
    """The replay itself, on plain data: ``events`` are the audit rows (id, action, target id,
    details, time in seconds) of decisions, tag changes and exports in id order, ``decisions`` each decision's
    decider and action, ``deciders`` each pupil's guardians with parental authority, ``evidence``
    per (export, item) the people its evidence names."""
    result = Replay()
    # (subject, media type, purpose) -> decider -> their latest action, in commit order
    latest: dict[tuple[int, str, str], dict[int, str]] = defaultdict(dict)
    decided_at: dict[tuple[int, str, str], float] = {}
    tagged = result.tagged
    for audit_id, action, target_id, details, at in events:
        if action == "consent.decided":
            decider, decided = decisions[target_id]
            key = (details["subject_id"], details["media_type"], details["purpose"])
            latest[key][decider] = decided
            decided_at[key] = at
        elif action == "media.tags_changed":
            tagged[target_id] = set(details["people"])
        elif action == "release.exported":
            result.exported.append(target_id)
            result.released += 1
            purpose = purposes[details["channel"]]
            keys = [(p, media_types[m], purpose) for m in details["media_ids"] for p in tagged[m]]
            result.close_calls += any(at - decided_at.get(key, -1e18) <= CLOSE_CALL for key in keys)
            for media_id in details["media_ids"]:
                for person in sorted(tagged[media_id]):
                    key = (person, media_types[media_id], purpose)
                    answers = {d: a for d, a in latest[key].items() if d in deciders[person]}
                    where = f"export {target_id} (audit #{audit_id}), item {media_id}, person {person}: {answers}"
                    if any(a in ("refuse", "withdraw") for a in answers.values()):
                        result.after_withdrawal.append(where)
                    elif "grant" not in answers.values():
                        result.without_consent.append(where)
                proof = evidence.get((target_id, media_id))
                if proof is not None and proof != tagged[media_id]:
                    result.evidence_mismatch.append(
                        f"export {target_id}, item {media_id}: {proof} vs {tagged[media_id]}"
                    )
    return result


def replay(app: Any, stats: Stats) -> Replay:
    """Decisions and tags in commit order (audit ids); at every export, everyone then tagged on each
    item had consent by the decisions committed before it. See the module's docstring."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.consent.models import Decision
    from app.consent.rules import GuardianPolicy
    from app.extensions import db
    from app.media.models import MediaItem, Tag
    from app.release.models import Channel, Export, ExportItem
    from app.school.models import Guardianship

    with app.app_context():
        assert app.config.get("GUARDIAN_POLICY", GuardianPolicy.ANY_REFUSAL_BLOCKS) == GuardianPolicy.ANY_REFUSAL_BLOCKS
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["consent.decided", "media.tags_changed", "release.exported"]))
            .order_by(AuditEvent.id)
        ).all()
        decisions = {d.id: (d.decided_by_id, d.action.value) for d in db.session.scalars(select(Decision)).all()}
        deciders: dict[int, set[int]] = defaultdict(set)  # the pupils here are 9: their guardians decide
        for pupil, guardian in db.session.execute(
            select(Guardianship.pupil_id, Guardianship.guardian_id).where(Guardianship.has_parental_authority)
        ):
            deciders[pupil].add(guardian)
        media_types = {i: t.value for i, t in db.session.execute(select(MediaItem.id, MediaItem.media_type))}
        purposes: dict[str, str] = dict(db.session.execute(select(Channel.key, Channel.purpose)).tuples().all())
        evidence: dict[tuple[int, int], set[int]] = {
            (export_id, media_id): {int(p) for p in (proof or {}).get("decisions", {})}
            for export_id, media_id, proof in db.session.execute(
                select(ExportItem.export_id, ExportItem.media_id, ExportItem.evidence)
            )
            if media_id is not None
        }
        final_tags: dict[int, set[int]] = defaultdict(set)
        for media_id, person_id in db.session.execute(select(Tag.media_id, Tag.person_id)):
            final_tags[media_id].add(person_id)
        released_ids = set(db.session.scalars(select(Export.id)))
        rows = [(e.id, e.action, int(e.target_id), e.details, e.occurred_at.timestamp()) for e in events]
        result = check_exports(rows, decisions, deciders, media_types, purposes, evidence)
        tagged = result.tagged
        exported = set(result.exported)
        result.tags_drift = sum(1 for media_id in media_types if final_tags[media_id] != tagged[media_id])
        seen = {e["id"] for e in stats.exports if e["outcome"] == "released" and e["id"]}
        result.unknown_exports = len(seen - exported) + len(seen - released_ids)
    return result


def blockers(app: Any) -> Counter[str]:
    """Why the refused exports were refused: the blockers' codes in their audit rows."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "release.export_refused"))
        return Counter(blocker.split(":")[1] for details in rows for blocker in details["blockers"])


# -- The table -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def report(stats: Stats, elapsed: float, checks: dict[str, Any]) -> bool:
    kinds = ["2xx", "3xx", "4xx", "5xx", "conn"]
    print(f"\n{'action':<34}{'requests':>9}" + "".join(f"{k:>7}" for k in kinds) + f"{'p50 ms':>9}{'p99 ms':>9}")
    total: Counter[str] = Counter()
    every: list[float] = []
    for action in sorted(stats.statuses):
        counter = stats.statuses[action]
        total.update(counter)
        every += stats.latencies[action]
        values = stats.latencies[action]
        print(
            f"{action:<34}{sum(counter.values()):>9}"
            + "".join(f"{counter.get(k, 0):>7}" for k in kinds)
            + f"{percentile(values, 0.5):>9.0f}{percentile(values, 0.99):>9.0f}"
        )
    print(
        f"{'all':<34}{sum(total.values()):>9}"
        + "".join(f"{total.get(k, 0):>7}" for k in kinds)
        + f"{percentile(every, 0.5):>9.0f}{percentile(every, 0.99):>9.0f}"
    )
    print(
        f"{(sum(total.values()) - sum(stats.statuses['sign_in'].values())) / elapsed:.1f} requests/s over {elapsed:.1f} s"
        " (the minute and the answers still on their way at its end; the sign-ins came before it)"
    )
    print("4xx answers: " + "; ".join(f"{what} x{n}" for what, n in sorted(stats.refusals.items())))
    outcomes = Counter(e["outcome"] for e in stats.exports)
    print(
        f"\nexports: {len(stats.exports)} asked, {outcomes['released']} released, {outcomes['requested']} waiting for "
        f"leadership, {outcomes['refused']} refused (409), {outcomes['other']} other"
    )
    print("blockers named by the refusals: " + ", ".join(f"{code} {n}" for code, n in checks["blockers"].most_common()))
    rows = [
        ("5xx responses", total.get("5xx", 0), 0),
        ("broken connections", total.get("conn", 0), 0),
        ("client errors", total.get("err", 0), 0),
        ("audit verify", checks["audit"], True),
        ("media fsck", checks["fsck"], True),
        ("exports after a withdrawal or refusal", len(checks["replay"].after_withdrawal), 0),
        ("exports without anyone's consent", len(checks["replay"].without_consent), 0),
        ("evidence unlike the replayed tags", len(checks["replay"].evidence_mismatch), 0),
        ("items whose tags the replay missed", checks["replay"].tags_drift, 0),
        ("released exports without an audit row", checks["replay"].unknown_exports, 0),
        ("jobs failed", checks["jobs"].get("failed", 0), 0),
        ("queue drained", checks["drained"], True),
    ]
    print(f"\n{'check':<40}{'result':>10}{'goal':>10}")
    ok = True
    for name, value, goal in rows:
        good = value == goal
        ok &= good
        shown = ("ok" if value else "FAILED") if isinstance(goal, bool) else value
        print(f"{name:<40}{shown!s:>10}{('ok' if goal is True else goal)!s:>10}  {'' if good else 'MISSED'}")
    print(f"audit verify: {checks['audit_text']}")
    print(f"media fsck: {checks['fsck_text']}")
    print(
        f"release.exported rows replayed: {checks['replay'].released}, of which {checks['replay'].close_calls} "
        f"within {CLOSE_CALL:.0f} s after a decision about someone they show"
    )
    print("jobs: " + (", ".join(f"{n} {state}" for state, n in sorted(checks["jobs"].items())) or "none"))
    for name, problems in (
        ("after a withdrawal", checks["replay"].after_withdrawal),
        ("without consent", checks["replay"].without_consent),
        ("evidence", checks["replay"].evidence_mismatch),
        ("failures", stats.failures),
    ):
        for problem in problems[:10]:
            print(f"  {name}: {problem}")
    if any("on a new connection" in failure for failure in stats.failures):
        print(
            "  (a new connection reset while a gunicorn worker restarts after max_requests: gthread drops a\n"
            "   connection it accepted after deciding to exit, benoitc/gunicorn#3038; behind nginx that is a 502)"
        )
    print("all goals met" if ok else "some goals missed")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a client waits between actions, on average")
    parser.add_argument("--drain-seconds", type=float, default=180)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@localhost/beeldrecht_bench_soak")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    fresh_database(args.database_url)
    env = server_environment(args.database_url, folder)
    env.update(
        BEELDRECHT_REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        BEELDRECHT_JOB_QUEUE=f"beeldrecht-soak-{secrets.token_hex(4)}",
        BEELDRECHT_JOBS_EAGER="false",
        BEELDRECHT_MAIL_BACKEND="locmem",
        # Every client signs in from 127.0.0.1; a school's parents come from many addresses.
        BEELDRECHT_SIGN_IN_LIMIT_PER_ADDRESS="10000 per minute",
    )
    os.environ.update({k: v for k, v in env.items() if k.startswith("BEELDRECHT_")})
    clients = args.clients
    parents = max(1, round(clients * ROLES[0][1]))
    teachers = max(1, round(clients * ROLES[1][1]))
    comms = max(1, round(clients * ROLES[2][1]))
    print(f"Building the school in {args.database_url} (files in {folder}) ...", flush=True)
    began = time.monotonic()
    world = build(folder, parents, teachers, comms)
    print(
        f"  built in {time.monotonic() - began:.0f} s: {PUPILS} pupils, {sum(map(len, world.items.values()))} photos",
        flush=True,
    )

    from app import create_app

    app = create_app("production")
    web, worker = start_servers(env, folder)
    try:
        cpu = cpu_seconds(web), cpu_seconds(worker)
        stats, elapsed = run_clients(world, clients, args.seconds, args.think)
        print(
            f"  gunicorn used {cpu_seconds(web) - cpu[0]:.0f} CPU-seconds, the worker {cpu_seconds(worker) - cpu[1]:.0f}",
            flush=True,
        )
        print(
            f"Load stopped; waiting for the worker to drain its queue (at most {args.drain_seconds:.0f} s) ...",
            flush=True,
        )
        jobs, drained = drain(app, args.drain_seconds)
    finally:
        stop_process(web)
        stop_process(worker)
    audit_ok, audit_text = flask_command(env, "audit", "verify")
    fsck_ok, fsck_text = flask_command(env, "media", "fsck")
    checks = {
        "audit": audit_ok,
        "audit_text": audit_text,
        "fsck": fsck_ok,
        "fsck_text": fsck_text,
        "jobs": jobs,
        "drained": drained,
        "replay": replay(app, stats),
        "blockers": blockers(app),
    }
    ok = report(stats, elapsed, checks)
    logged = (folder / "gunicorn.log").read_text(errors="replace")
    if "Traceback" in logged:
        print(f"gunicorn logged {logged.count('Traceback')} tracebacks: {folder / 'gunicorn.log'}")
    print(
        f"server logs: {folder / 'gunicorn.log'}, {folder / 'worker.log'}; the export list: {folder / 'exports.json'}"
    )
    (folder / "exports.json").write_text(json.dumps(stats.exports, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
