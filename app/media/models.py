"""Albums and media items."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ColumnElement, Date, ForeignKey, String, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.consent.vocabulary import MediaType
from app.db_types import enum_column
from app.extensions import Model
from app.school.models import Group, Person
from app.timestamps import utcnow


class Album(Model):
    __tablename__ = "album"
    __table_args__ = (UniqueConstraint("group_id", "title", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("school_group.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    taken_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()


class ProcessingState(enum.StrEnum):
    """Where a film's or sound's background processing is (photos are ready at upload): still
    ``processing`` (blocked), ``ready``, ``refused`` (the job found the file undecodable; the code
    is in ``processing_note``) or ``failed`` (the job failed for good; administrators see why)."""

    PROCESSING = "processing"
    READY = "ready"
    REFUSED = "refused"
    FAILED = "failed"


class MediaItem(Model):
    """One uploaded photo, film or recording; the original is stored under its SHA-256.

    The same bytes are one item for everyone who may see it; uploaded into a group whose uploader
    cannot see the first item, they are a second item (``app.media.ingest``), sharing the stored
    files, which go only with the last item that uses them (``app.media.operations.delete_media``)."""

    __tablename__ = "media_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[MediaType] = mapped_column(enum_column(MediaType, "media_item_type"), index=True)
    mime_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    duration_seconds: Mapped[float | None] = mapped_column()
    group_id: Mapped[int] = mapped_column(ForeignKey("school_group.id", ondelete="RESTRICT"), index=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("album.id", ondelete="RESTRICT"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    # The attestation: a staff member declared that everyone visible or audible is tagged.
    tags_complete: Mapped[bool] = mapped_column(default=False)
    tags_attested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    tags_attested_at: Mapped[datetime | None] = mapped_column()
    # The tag-free copy that staff play in the browser (films and sound), e.g. "playback.mp4".
    playback_name: Mapped[str | None] = mapped_column(String(20))
    # Films and sound are processed by a job after the upload (``app.media.tasks``).
    processing_state: Mapped[ProcessingState] = mapped_column(
        enum_column(ProcessingState, "media_item_processing_state"), default=ProcessingState.READY
    )
    processing_note: Mapped[str | None] = mapped_column(String(40))
    # A film whose faces were looked for on six sampled frames only (processed before films were
    # scanned throughout): blocked until it is scanned again (``flask media rescan-films``).
    sampled_only: Mapped[bool] = mapped_column(default=False)

    group: Mapped[Group] = relationship()
    album: Mapped[Album] = relationship()
    tags: Mapped[list[Tag]] = relationship(back_populates="item", cascade="all, delete-orphan", order_by="Tag.id")
    faces: Mapped[list[Face]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="(Face.first_ms, Face.frame_ms, Face.id)"
    )
    outside_people: Mapped[list[OutsidePerson]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="OutsidePerson.id"
    )

    @property
    def open_faces(self) -> list[Face]:
        """The detected faces still to resolve (``Face.is_open``): they block every release."""
        return [face for face in self.faces if face.is_open]

    def derivative_names(self) -> list[str]:
        """Every derivative file this item has in storage: none until a film or sound is processed;
        while one is processed again (``flask media rescan-films``), the files of its last processing."""
        if self.processing_state is not ProcessingState.READY and self.playback_name is None:
            return []
        names = [] if self.media_type is MediaType.AUDIO else ["thumbnail.jpg", "display.jpg"]
        if self.playback_name:
            names.append(self.playback_name)
        names += sorted({name for face in self.faces for name in face.still_names})
        return names


class Tag(Model):
    """A person shown (photo, film) or heard (sound) in an item; on a photo optionally with a box,
    as fractions of the width and height."""

    __tablename__ = "media_tag"
    __table_args__ = (UniqueConstraint("media_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    box_x: Mapped[float | None] = mapped_column()
    box_y: Mapped[float | None] = mapped_column()
    box_w: Mapped[float | None] = mapped_column()
    box_h: Mapped[float | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    item: Mapped[MediaItem] = relationship(back_populates="tags")
    person: Mapped[Person] = relationship()

    @property
    def box(self) -> list[float] | None:
        if self.box_x is None or self.box_y is None or self.box_w is None or self.box_h is None:
            return None
        return [self.box_x, self.box_y, self.box_w, self.box_h]


class FaceStatus(enum.StrEnum):
    OPEN = "open"
    TAGGED = "tagged"
    OUTSIDE = "outside"
    DISMISSED = "dismissed"


class DismissReason(enum.StrEnum):
    NOT_A_FACE = "not_a_face"
    NOT_RECOGNISABLE = "not_recognisable"


class Face(Model):
    """A face the detector found (a box, nothing else: no embedding, no identity). It is resolved
    when a staff member matches it to a tagged person, marks it as someone from outside the school,
    or dismisses it with a reason, once.

    On a film one row is one *track* (``app.media.tracking``): the same face followed from
    ``first_ms`` to ``last_ms``, its box on every scanned frame in ``track`` (``[ms, x, y, w, h]``
    rows), and its representative detection (the largest box) in ``frame_ms`` and the box columns.
    Up to three stills are kept (first, representative and last frame, ``frame_<ms>.jpg``)."""

    __tablename__ = "media_face"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    frame_ms: Mapped[int | None] = mapped_column()
    first_ms: Mapped[int | None] = mapped_column()
    last_ms: Mapped[int | None] = mapped_column()
    track: Mapped[list[list[float]] | None] = mapped_column(JSON)
    box_x: Mapped[float] = mapped_column()
    box_y: Mapped[float] = mapped_column()
    box_w: Mapped[float] = mapped_column()
    box_h: Mapped[float] = mapped_column()
    score: Mapped[float] = mapped_column()
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # Someone from outside the school (not a person of the school): removing them re-opens the face.
    outside_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("outside_person.id", ondelete="SET NULL"), index=True
    )
    dismissed_reason: Mapped[DismissReason | None] = mapped_column(enum_column(DismissReason, "media_face_dismissed"))
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime | None] = mapped_column()

    item: Mapped[MediaItem] = relationship(back_populates="faces")
    person: Mapped[Person | None] = relationship()
    outside_person: Mapped[OutsidePerson | None] = relationship(back_populates="faces")

    @property
    def box(self) -> list[float]:
        return [self.box_x, self.box_y, self.box_w, self.box_h]

    @hybrid_property
    def is_open(self) -> bool:
        """Not yet resolved: given to nobody (of the school or from outside it) and not set aside.
        The one definition of an open face, read in Python (item page, badges, blurred exports) and
        in SQL (the gate, the library's filter, "the next to tag"), so the two can never disagree."""
        return self.person_id is None and self.outside_person_id is None and self.dismissed_reason is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return and_(cls.person_id.is_(None), cls.outside_person_id.is_(None), cls.dismissed_reason.is_(None))

    @property
    def status(self) -> FaceStatus:
        """Open, or how it was resolved: given to a person (tagged), to someone from outside the
        school (outside), or set aside (dismissed)."""
        if self.is_open:
            return FaceStatus.OPEN
        if self.person_id is not None:
            return FaceStatus.TAGGED
        return FaceStatus.OUTSIDE if self.outside_person_id is not None else FaceStatus.DISMISSED

    @property
    def frame_name(self) -> str | None:
        """The stored frame of a film's face (its track's representative detection)."""
        return None if self.frame_ms is None else f"frame_{self.frame_ms}.jpg"

    @property
    def stills(self) -> list[tuple[int, list[float]]]:
        """A film face's stored frames, ``(ms, box on it)``, in time order: its track's first,
        representative and last frame (a face from before tracks: its one frame). None for a photo."""
        if self.frame_ms is None:
            return []
        rows = {int(row[0]): [float(v) for v in row[1:5]] for row in self.track or []}
        kept = {self.frame_ms: self.box}
        for ms in (self.first_ms, self.last_ms):
            if ms is not None and ms in rows:
                kept.setdefault(ms, rows[ms])
        return sorted(kept.items())

    @property
    def still_names(self) -> list[str]:
        return [f"frame_{ms}.jpg" for ms, _box in self.stills]


class OutsidePerson(Model):
    """Someone from outside the school shown in one item (a visitor, a child of another school at
    a tournament, a passer-by). Not a person of the school: no group, list, overview or parent page
    knows them. They block every public channel until an administrator records their own consent
    (``OutsideConsent``). Described in words ("Visitor: grandfather of a pupil") or by name; on a
    photo optionally with a box, or with the detected faces that are them."""

    __tablename__ = "outside_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    box_x: Mapped[float | None] = mapped_column()
    box_y: Mapped[float | None] = mapped_column()
    box_w: Mapped[float | None] = mapped_column()
    box_h: Mapped[float | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[MediaItem] = relationship(back_populates="outside_people")
    faces: Mapped[list[Face]] = relationship(back_populates="outside_person", order_by="Face.id")
    consents: Mapped[list[OutsideConsent]] = relationship(
        back_populates="outside_person", cascade="all, delete-orphan", order_by="OutsideConsent.id"
    )

    @property
    def box(self) -> list[float] | None:
        if self.box_x is None or self.box_y is None or self.box_w is None or self.box_h is None:
            return None
        return [self.box_x, self.box_y, self.box_w, self.box_h]

    @property
    def boxes(self) -> list[list[float]]:
        """Where they are on the photo: their own box and their detected faces' boxes (a film's
        frames are not the exported picture, so they do not count)."""
        own = [self.box] if self.box else []
        return own + [face.box for face in self.faces if face.frame_ms is None]

    def consented(self, media_type: MediaType, purpose: str) -> bool:
        """Their own consent, not withdrawn, covers this media type and purpose (read in Python
        for pages; the gate asks the same in SQL, ``OutsideConsent.in_force``)."""
        return any(c.media_type is media_type and c.purpose == purpose and c.in_force for c in self.consents)


class OutsideConsent(Model):
    """The own consent of someone from outside the school for one media type and purpose, recorded
    by an administrator from the signed paper (its scan optional, stored cleaned as a JPEG). It
    holds until it is withdrawn; withdrawing keeps the row (and who withdrew, when)."""

    __tablename__ = "outside_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    outside_person_id: Mapped[int] = mapped_column(ForeignKey("outside_person.id", ondelete="CASCADE"), index=True)
    media_type: Mapped[MediaType] = mapped_column(enum_column(MediaType, "outside_consent_media_type"))
    purpose: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The storage key of the cleaned scan of the signed paper (``app.media.storage.scan_key``).
    scan_key: Mapped[str | None] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    outside_person: Mapped[OutsidePerson] = relationship(back_populates="consents")

    @hybrid_property
    def in_force(self) -> bool:
        return self.withdrawn_at is None

    @in_force.inplace.expression
    @classmethod
    def _in_force_expression(cls) -> ColumnElement[bool]:
        return cls.withdrawn_at.is_(None)
