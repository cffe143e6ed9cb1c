"""Consent form versions and the append-only table of decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.consent.vocabulary import Action, Audience, CampaignMailKind, Means, MediaType, Validity
from app.db_types import enum_column
from app.extensions import Model
from app.school.models import Group, Person
from app.timestamps import DatabaseClock, utcnow


class ConsentForm(Model):
    """One published version of a consent form, exactly as its TOML file held it."""

    __tablename__ = "consent_form"
    __table_args__ = (UniqueConstraint("form_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column()
    validity: Mapped[Validity] = mapped_column(enum_column(Validity, "validity"))
    school_year: Mapped[str | None] = mapped_column(String(20))
    # Decisions under this version count until the end of this day; None: until withdrawn.
    valid_until: Mapped[date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def purposes(self) -> list[str]:
        return [p["key"] for p in self.content["purposes"]]

    @property
    def media_types(self) -> list[MediaType]:
        return [MediaType(m) for m in self.content["media_types"]]

    def title(self, locale: str) -> str:
        return str(self.content["title"].get(locale) or self.content["title"]["nl"])

    def text(self, locale: str) -> str:
        return str(self.content["text"].get(locale) or self.content["text"]["nl"])

    def purpose_label(self, key: str, locale: str) -> str:
        for purpose in self.content["purposes"]:
            if purpose["key"] == key:
                return str(purpose["label"].get(locale) or purpose["label"]["nl"])
        return key

    def purpose_explanation(self, key: str, locale: str) -> str:
        """What the purpose means, in the form's words ("" for a version that explains none)."""
        for purpose in self.content["purposes"]:
            if purpose["key"] == key:
                explanation = purpose.get("explanation", {})
                return str(explanation.get(locale) or explanation.get("nl") or "").strip()
        return ""


class Decision(Model):
    """One grant, refusal or withdrawal. Never updated or deleted in place (erasure excepted)."""

    __tablename__ = "decision"
    __table_args__ = (
        # Fits the "latest decision per decider" query of app.consent.queries.
        Index("ix_decision_lookup", "subject_id", "media_type", "purpose", "decided_by_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    media_type: Mapped[MediaType] = mapped_column(enum_column(MediaType, "media_type"))
    purpose: Mapped[str] = mapped_column(String(32))
    action: Mapped[Action] = mapped_column(enum_column(Action, "decision_action"))
    # The person whose decision it is: a guardian, or the subject themself.
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # The account that entered it (the parent themself, or an administrator for a paper form).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    means: Mapped[Means] = mapped_column(enum_column(Means, "decision_means"))
    form_id: Mapped[int] = mapped_column(ForeignKey("consent_form.id", ondelete="RESTRICT"), index=True)
    # The database's clock when it was recorded online; noon of the signing day for a paper form.
    decided_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=DatabaseClock())
    # What the administrator wrote down when taking a withdrawal by phone, at the desk or by letter.
    note: Mapped[str | None] = mapped_column(String(500))

    subject: Mapped[Person] = relationship(foreign_keys=[subject_id])
    decided_by: Mapped[Person] = relationship(foreign_keys=[decided_by_id])
    form: Mapped[ConsentForm] = relationship()


class LatestDecision(Model):
    """The latest decision (by ``decided_at``, then ``id``) of each decider per subject, media type
    and purpose: what the consent rules need about "now", read without scanning the history.

    Kept in the same transaction as every decision by ``app.consent.operations`` (the one writer)
    and emptied for an erased person by ``app.privacy.erasure``; a bulk load that bypasses them
    calls ``app.consent.operations.rebuild_latest_decisions``. It holds no rule: which of these
    decisions count, and what they add up to, is ``app.consent.rules`` alone.
    """

    __tablename__ = "decision_latest"

    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    media_type: Mapped[MediaType] = mapped_column(enum_column(MediaType, "media_type"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    decided_by_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # No cascade: a decision that is still someone's latest cannot silently disappear.
    decision_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("decision.id"), unique=True
    )
    # Copied from the decision, which is never updated: what the rules read (so "now" needs no
    # look-up in the history), and the time a newcomer is compared with.
    action: Mapped[Action] = mapped_column(enum_column(Action, "decision_action"))
    decided_at: Mapped[datetime] = mapped_column()
    form_id: Mapped[int] = mapped_column(ForeignKey("consent_form.id", ondelete="RESTRICT"))


class Campaign(Model):
    """An administrator asks an audience to answer the form version in force before a deadline.

    Open from its start until the end of its deadline; ``app.consent.campaigns`` works out who
    answered (nothing about the answers is stored here) and sends the reminders."""

    __tablename__ = "consent_campaign"
    __table_args__ = (
        CheckConstraint("(audience = 'group') = (group_id IS NOT NULL)", name="group_iff_group_audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("consent_form.id", ondelete="RESTRICT"), index=True)
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "campaign_audience"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("school_group.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[date] = mapped_column(Date)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=DatabaseClock())

    form: Mapped[ConsentForm] = relationship()
    group: Mapped[Group | None] = relationship()


class CampaignMail(Model):
    """One mail a campaign sent to one person on one school day: reminders are spaced by it, an
    escalation (with the group it was about) goes once, a resend is limited to one a day."""

    __tablename__ = "consent_campaign_mail"
    __table_args__ = (Index("ix_consent_campaign_mail_lookup", "campaign_id", "recipient_id", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("consent_campaign.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CampaignMailKind] = mapped_column(enum_column(CampaignMailKind, "campaign_mail_kind"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("school_group.id", ondelete="CASCADE"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)  # the school's day, by the database's clock
    sent_at: Mapped[datetime] = mapped_column(default=DatabaseClock())


class PaperCode(Model):
    """The code printed on the paper form of one person for one form version (``app.consent.paper_codes``):
    random, so it reveals and lets no one guess anything; the same code on every reprint."""

    __tablename__ = "paper_code"
    __table_args__ = (UniqueConstraint("subject_id", "form_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("consent_form.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject: Mapped[Person] = relationship()
    form: Mapped[ConsentForm] = relationship()


# The decisions a returned paper form made (a decision comes from at most one paper).
paper_return_decision = Table(
    "paper_return_decision",
    Model.metadata,
    Column(
        "decision_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("decision.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_return_id", ForeignKey("paper_return.id", ondelete="CASCADE"), index=True, nullable=False),
)


class PaperReturn(Model):
    """A signed paper form as the school entered it: who signed, on which day, by which printed code
    (if it was one the system printed), and the scan of the paper (never public: administrators only)."""

    __tablename__ = "paper_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("consent_form.id", ondelete="RESTRICT"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("paper_code.id", ondelete="SET NULL"), index=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The stored scan (``app.media.storage.scan_key``) and its type, decided from its bytes.
    scan_key: Mapped[str | None] = mapped_column(String(120))
    scan_mime: Mapped[str | None] = mapped_column(String(40))

    decisions: Mapped[list[Decision]] = relationship(secondary=paper_return_decision)
