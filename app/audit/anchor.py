"""Anchors of the audit chain, kept outside the database.

The hash chain shows a changed or removed row only when a later row disagrees with it, so deleting
the *newest* rows, or emptying the table, leaves a chain that verifies. An anchor remembers the
newest row (its id and hash) in a file outside the database (``AUDIT_ANCHOR_FILE``, appended to,
mailed to the administrators): later, every anchored row must still be there with the same hash,
and the log must reach at least as far as the last anchor.

The file is JSON lines. Each line names the digest of the line before it (``prev``) and carries a
seal (``app.audit.log.seal``, keyed like the chain), so a line that is changed, removed from the
middle or added by someone without the key is found, and named by its number.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from app.audit.log import GENESIS, seal
from app.audit.models import AuditEvent
from app.extensions import db
from app.timestamps import utcnow

FIELDS = frozenset({"id", "hash", "at", "rows", "anchored_at", "prev", "seal"})


@dataclass(frozen=True)
class Anchor:
    """The newest row of the log (id 0 and the genesis hash for an empty log) and the row count."""

    id: int
    hash: str
    at: str | None
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "hash": self.hash, "at": self.at, "rows": self.rows}


class AnchorFileEdited(Exception):
    """A line of the anchor file is not as it was written."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"anchor file edited (line {line}): {reason}")
        self.line = line
        self.reason = reason


class AnchorRefused(Exception):
    """The log is shorter than the last anchor says: anchoring it would hide that."""


def newest(session: Session | None = None) -> Anchor:
    """The newest audit row as an anchor, read in ``session`` (the app's by default; a backup
    passes the session of its snapshot)."""
    reader: Session | scoped_session[Any] = session if session is not None else db.session
    last = reader.execute(
        select(AuditEvent.id, AuditEvent.hash, AuditEvent.occurred_at).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    rows = int(reader.scalar(select(func.count()).select_from(AuditEvent)) or 0)
    if last is None:
        return Anchor(0, GENESIS, None, rows)
    return Anchor(int(last.id), str(last.hash), last.occurred_at.replace(tzinfo=UTC).isoformat(), rows)


def _body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _line_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_anchors(content: bytes) -> list[Anchor]:
    """The anchors of a file's content, each line checked (raises ``AnchorFileEdited``)."""
    if not content:
        return []
    if not content.endswith(b"\n"):
        raise AnchorFileEdited(content.count(b"\n") + 1, "the last line is incomplete")
    anchors: list[Anchor] = []
    prev = GENESIS
    for number, raw in enumerate(content[:-1].split(b"\n"), start=1):
        anchors.append(_checked_line(number, raw, prev))
        prev = _line_digest(raw)
    return anchors


def _checked_line(number: int, raw: bytes, prev: str) -> Anchor:
    try:
        data = json.loads(raw)
    except ValueError:
        raise AnchorFileEdited(number, "not a JSON line") from None
    if not isinstance(data, dict) or set(data) != FIELDS:
        raise AnchorFileEdited(number, "not an anchor line (its fields differ)")
    sealed = data.pop("seal")
    if not isinstance(sealed, str) or not hmac.compare_digest(sealed, seal(_body_bytes(data))):
        raise AnchorFileEdited(number, "its seal does not match (the line was changed or written without the key)")
    if data["prev"] != prev:
        raise AnchorFileEdited(number, "it does not follow the line before it (a line was removed or changed)")
    if not isinstance(data["id"], int) or not isinstance(data["rows"], int) or not isinstance(data["hash"], str):
        raise AnchorFileEdited(number, "its values have the wrong types")
    return Anchor(data["id"], data["hash"], data["at"], data["rows"])


def read_anchors(path: Path) -> list[Anchor]:
    return parse_anchors(path.read_bytes())


def append_anchor(path: Path, anchor: Anchor) -> str:
    """Append ``anchor`` to the file at ``path`` (created 0600, opened for appending, locked
    against a second writer) after checking the lines already there; returns the line written.

    Refuses (nothing written) a file whose lines were edited, and a log whose newest row is older
    than the last anchor's (rows were deleted: ``flask audit verify --anchor`` says which)."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        content = handle.read()
        anchors = parse_anchors(content)
        if anchors and anchor.id < max(a.id for a in anchors):
            raise AnchorRefused(
                f"the audit log ends at row {anchor.id}, but row {max(a.id for a in anchors)} was anchored before: "
                "rows were deleted (run flask audit verify --anchor); nothing was appended"
            )
        prev = _line_digest(content[:-1].rsplit(b"\n", 1)[-1]) if content else GENESIS
        body = anchor.as_dict() | {"anchored_at": utcnow().replace(tzinfo=UTC).isoformat(), "prev": prev}
        line = json.dumps(body | {"seal": seal(_body_bytes(body))}, sort_keys=True, separators=(",", ":"))
        handle.write(line.encode() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return line


@dataclass(frozen=True)
class AnchorReport:
    """What the anchors say: ``problem`` in words for the command line, and ``code`` (``edited``,
    ``unreadable``, ``truncated``, ``deleted``, ``missing``, ``replaced``) with the anchor file's
    ``line``, the anchored ``row`` and the log's ``newest`` row for the page of the log."""

    anchors: int
    problem: str | None = None
    code: str | None = None
    line: int | None = None
    row: int | None = None
    newest: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def check_anchors(path: Path) -> AnchorReport:
    """Compare the log with the anchors in ``path``: the file's own lines, that the log reaches
    the last anchored row, and that every anchored row is still there with the same hash."""
    try:
        anchors = read_anchors(path)
    except AnchorFileEdited as edited:
        return AnchorReport(0, str(edited), "edited", edited.line)
    except OSError as error:
        return AnchorReport(0, f"the anchor file cannot be read ({error.strerror or error})", "unreadable")
    if not anchors:
        return AnchorReport(0)
    count = len(anchors)
    line, furthest = max(enumerate(anchors, start=1), key=lambda pair: (pair[1].id, pair[0]))
    current = newest()
    if furthest.id > 0 and current.rows == 0:
        problem = f"table truncated: the log is empty, line {line} anchored row {furthest.id}"
        return AnchorReport(count, problem, "truncated", line, furthest.id, 0)
    if current.id < furthest.id:
        problem = f"rows deleted after id {current.id}: line {line} anchored row {furthest.id}"
        return AnchorReport(count, problem, "deleted", line, furthest.id, current.id)
    stored = _hashes(a.id for a in anchors if a.id > 0)
    for number, anchor in enumerate(anchors, start=1):
        if anchor.id == 0:
            continue
        if anchor.id not in stored:
            problem = f"row {anchor.id}, anchored on line {number}, is missing"
            return AnchorReport(count, problem, "missing", number, anchor.id, current.id)
        if not hmac.compare_digest(stored[anchor.id], anchor.hash):
            problem = f"row {anchor.id} is not the row anchored on line {number} (the log was replaced or rewritten)"
            return AnchorReport(count, problem, "replaced", number, anchor.id, current.id)
    return AnchorReport(count)


def configured_report() -> AnchorReport | None:
    """The anchors of ``AUDIT_ANCHOR_FILE`` against the log, when that file is set and exists."""
    setting = current_app.config.get("AUDIT_ANCHOR_FILE")
    if not setting or not Path(setting).is_file():
        return None
    return check_anchors(Path(setting))


def _hashes(ids: Iterable[int], batch: int = 1000) -> dict[int, str]:
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), batch):
        chunk = wanted[start : start + batch]
        rows = db.session.execute(select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(chunk)))
        found.update({int(row.id): str(row.hash) for row in rows})
    return found
