"""Channels, exports (with the evidence they relied on), publications, takedowns, quarantines and
incidents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db_types import enum_column
from app.extensions import Model
from app.media.models import MediaItem
from app.school.models import Person
from app.timestamps import DatabaseClock

DEFAULT_FILM_KBPS = 4000

channel_exporter = Table(
    "channel_exporter",
    Model.metadata,
    Column("channel_id", ForeignKey("channel.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class Channel(Model):
    """A concrete destination; each serves exactly one purpose of the consent form. It is also an
    account the school holds somewhere: the register says who owns it, who keeps its credentials
    (a name, never a password), whether two-factor sign-in is on and who may export to it."""

    __tablename__ = "channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str] = mapped_column(String(40))
    # Longest side of exported pictures and films in pixels; None: full size.
    export_side: Mapped[int | None] = mapped_column()
    # Bitrate cap of exported films' picture in kbit/s (sound alone: AAC at 128 or this, the lower).
    film_kbps: Mapped[int] = mapped_column(default=DEFAULT_FILM_KBPS, server_default=str(DEFAULT_FILM_KBPS))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Its purpose is public in the form in force (app.consent.purposes; kept by the forms' sync and
    # by save_channel): people from outside the school block it without their own consent.
    public: Mapped[bool] = mapped_column(default=False)
    # An export here is a request until leadership approves it.
    needs_approval: Mapped[bool] = mapped_column(default=False)
    # The account's handle or address (e.g. "@jozefschool", "https://jozefschool.nl").
    handle: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    credentials_keeper: Mapped[str | None] = mapped_column(String(120))
    two_factor: Mapped[bool] = mapped_column(default=False)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    # Who may export here; nobody listed: every releaser.
    exporters: Mapped[list[User]] = relationship(secondary=channel_exporter, order_by="User.email")


class ExportStatus(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    RELEASED = "released"
    REJECTED = "rejected"


class Export(Model):
    """One release of items to one channel. Written only when every item was cleared, in the same
    transaction as the check."""

    __tablename__ = "media_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=DatabaseClock())
    blurred: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ExportStatus] = mapped_column(
        enum_column(ExportStatus, "export_status"), default=ExportStatus.RELEASED, index=True
    )
    released_at: Mapped[datetime | None] = mapped_column()
    downloaded_at: Mapped[datetime | None] = mapped_column()
    # Random, unguessable; the bundle is stored under it (never under a name).
    bundle_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The text of the post, as cleared with it (see ``app.release.captions``).
    caption: Mapped[str | None] = mapped_column(Text)

    channel: Mapped[Channel] = relationship()
    items: Mapped[list[ExportItem]] = relationship(
        back_populates="export", cascade="all, delete-orphan", order_by="ExportItem.position"
    )


class ExportItem(Model):
    __tablename__ = "media_export_item"
    __table_args__ = (UniqueConstraint("export_id", "media_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("media_export.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_item.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column()
    file_name: Mapped[str] = mapped_column(String(80))
    # The evidence: per tagged person, the decision events the clearance relied on; and, for a
    # blurred export, which faces were pixelated and why.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    export: Mapped[Export] = relationship(back_populates="items")
    item: Mapped[MediaItem | None] = relationship()


class Publication(Model):
    """An exported item was posted: where and when."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("media_export.id", ondelete="RESTRICT"), index=True)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_item.id", ondelete="SET NULL"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="RESTRICT"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    published_on: Mapped[date] = mapped_column(Date)
    # The export's caption, copied: what was posted with the item.
    caption: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=DatabaseClock())

    export: Mapped[Export] = relationship()
    channel: Mapped[Channel] = relationship()
    item: Mapped[MediaItem | None] = relationship()


class TakedownStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Takedown(Model):
    """Removal work: a publication (or, for an incident, an address) must come down."""

    __tablename__ = "takedown"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    # Whose consent went away (None for an incident's takedown), and the decision that did it.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id", ondelete="SET NULL"))
    status: Mapped[TakedownStatus] = mapped_column(
        enum_column(TakedownStatus, "takedown_status"), default=TakedownStatus.OPEN, index=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=DatabaseClock())
    due_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    publication: Mapped[Publication | None] = relationship()
    incident: Mapped[Incident | None] = relationship(back_populates="takedowns")
    person: Mapped[Person | None] = relationship()


# The purpose of a quarantine that holds an item back for every purpose, present and future: an
# item kept after a person on it was erased (``app.privacy.erasure``). Never lifted.
EVERY_PURPOSE = "*"


class Quarantine(Model):
    """An item may not go out for a purpose while consent was taken away and removal work is
    open (lifted when its takedowns are resolved); or, with ``EVERY_PURPOSE`` and no takedown, for
    any purpose at all, because it shows a person who was erased."""

    __tablename__ = "media_quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    takedown_id: Mapped[int | None] = mapped_column(ForeignKey("takedown.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=DatabaseClock())
    lifted_at: Mapped[datetime | None] = mapped_column()


class Measure(enum.StrEnum):
    """The measures the protocol's "Sancties en gevolgen" section names."""

    NONE_YET = "none_yet"
    CONVERSATION = "conversation"
    WARNING = "warning"
    REPRIMAND = "reprimand"
    SUSPENSION = "suspension"
    DISMISSAL = "dismissal"
    SUMMARY_DISMISSAL = "summary_dismissal"
    REMOVAL_FROM_SCHOOL = "removal_from_school"
    POLICE_REPORT = "police_report"


incident_person = Table(
    "incident_person",
    Model.metadata,
    Column("incident_id", ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class Incident(Model):
    """Something went out against the protocol (for example a class photo posted without clearance)."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(80))
    url: Mapped[str | None] = mapped_column(String(500))
    measure: Mapped[Measure] = mapped_column(enum_column(Measure, "incident_measure"))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=DatabaseClock())

    people: Mapped[list[Person]] = relationship(secondary=incident_person, order_by="Person.last_name")
    takedowns: Mapped[list[Takedown]] = relationship(back_populates="incident", order_by="Takedown.id")


class BlockCause(enum.StrEnum):
    REFUSED_EXPORT = "refused_export"
    CLEARANCE = "clearance"


class ReleaseBlock(Model):
    """An item was once held back for a person: a refused export or a clearance named them. With
    quarantines and takedowns, this history makes any later weakening of the item's evidence wait
    for leadership (``app.release.approvals``)."""

    __tablename__ = "release_block"
    __table_args__ = (UniqueConstraint("media_id", "person_id", "cause"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    cause: Mapped[BlockCause] = mapped_column(enum_column(BlockCause, "release_block_cause"))
    created_at: Mapped[datetime] = mapped_column(default=DatabaseClock())

    person: Mapped[Person | None] = relationship()


class ApprovalKind(enum.StrEnum):
    TAGS = "tags"  # remove tags and/or attest "everyone is tagged"
    FACE = "face"  # set a detected face aside, or give it to someone from outside the school
    OUTSIDER = "outsider"  # remove someone from outside the school
    EXPORT = "export"  # an export to a channel that needs approval


class ApprovalStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(Model):
    """A change one person may not make alone: it waits, with the proposer's reason, until a second
    person with the leadership role approves (then it is applied) or rejects it."""

    __tablename__ = "approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ApprovalKind] = mapped_column(enum_column(ApprovalKind, "approval_kind"))
    status: Mapped[ApprovalStatus] = mapped_column(
        enum_column(ApprovalStatus, "approval_status"), default=ApprovalStatus.OPEN, index=True
    )
    # The item a change is about (None once the item is deleted), or the export asked for.
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_item.id", ondelete="SET NULL"), index=True)
    export_id: Mapped[int | None] = mapped_column(ForeignKey("media_export.id", ondelete="CASCADE"), index=True)
    # What would change: {"remove": [person ids], "attest": bool}, {"face_id": id, "reason": "..."},
    # {"face_ids": [ids], "outside": description, "box": [...]} or {"outsider_id": id, "name": description}.
    change: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(default=DatabaseClock())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)

    item: Mapped[MediaItem | None] = relationship()
    export: Mapped[Export | None] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
