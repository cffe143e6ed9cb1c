"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timestamps import utcnow


class AuditEvent(Model):
    """One security-relevant action.

    Rows name accounts and objects by id only: nothing personal (no names, no email
    addresses, no IP addresses) is written here. ``hash`` is an HMAC over this row and
    ``prev_hash``; UPDATE and DELETE are refused by database triggers (see the migration).
    """

    __tablename__ = "audit_event"

    # Assigned by audit.log.record under the chain lock (gap-free), never by a sequence.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Deliberately no foreign key: the log outlives the accounts it mentions.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
