"""Writing and verifying the audit chain.

Every row's ``hash`` is ``HMAC(key, prev_hash + canonical row)``. The key lives in the
configuration, not in the database, so someone with database access alone cannot forge
a consistent chain after changing a row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context
from flask_login import current_user
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.extensions import db
from app.timestamps import utcnow

GENESIS = "0" * 64
# Any constant; serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 7_242_011


def _key() -> bytes:
    key = current_app.config.get("AUDIT_HMAC_KEY")
    if key:
        return str(key).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hashlib.sha256(b"beeldrecht-audit:" + secret).digest()


def seal(data: bytes) -> str:
    """HMAC-SHA256 of ``data`` with the chain's key: for records kept outside the database (the
    anchor file, a backup's manifest) that someone without the key cannot rewrite consistently."""
    return hmac.new(_key(), b"beeldrecht-seal|" + data, hashlib.sha256).hexdigest()


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details or {},
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def _digest(prev_hash: str, event: AuditEvent) -> str:
    return hmac.new(_key(), prev_hash.encode() + b"|" + _canonical(event), hashlib.sha256).hexdigest()


def _current_actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return int(current_user.id)
    return None


def record(
    action: str,
    *,
    target: Any = None,
    target_type: str | None = None,
    target_id: Any = None,
    actor_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one row to the chain in the caller's transaction (the caller commits).

    ``target`` may be a model instance; its table name and id are recorded.
    ``details`` must hold ids, counts and field names only, never personal data.
    """
    if target is not None:
        target_type = target_type or target.__tablename__
        if target_id is None:
            db.session.flush()
            target_id = target.id
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    # Ids are assigned here, under the chain lock, so they are gap-free: a missing id is a
    # removed row.
    event = AuditEvent(
        id=(last.id + 1) if last else 1,
        occurred_at=utcnow(),
        actor_id=actor_id if actor_id is not None else _current_actor_id(),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
        prev_hash=prev,
    )
    event.hash = _digest(prev, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_bad_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in id order; report the first row that was changed, or that follows
    a removed row."""
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(rows=count)
        for row in rows:
            if row.id != last_id + 1:
                return ChainReport(count, row.id, f"rows {last_id + 1} to {row.id - 1} are missing")
            if row.prev_hash != prev:
                return ChainReport(count, row.id, "does not follow the row before it (a row was removed or changed)")
            if not hmac.compare_digest(row.hash, _digest(prev, row)):
                return ChainReport(count, row.id, "its content does not match its hash (the row was changed)")
            prev = row.hash
            count += 1
            last_id = row.id
        # Only the rows read here leave the session (memory stays flat on a long log), not the
        # signed-in account of the page that shows the chain's state.
        for row in rows:
            db.session.expunge(row)
