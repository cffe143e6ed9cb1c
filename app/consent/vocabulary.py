"""The words of consent: media types, decisions and how they were made."""

from __future__ import annotations

import enum


class MediaType(enum.StrEnum):
    PHOTO = "photo"
    FILM = "film"
    AUDIO = "audio"


class Action(enum.StrEnum):
    GRANT = "grant"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"


class Means(enum.StrEnum):
    WEB = "web"
    PAPER = "paper"
    IMPORT = "import"
    API = "api"
    # A withdrawal someone made to the school and an administrator took down (never a grant:
    # consent must be demonstrable, on the portal or on signed paper).
    PHONE = "phone"
    DESK = "desk"
    LETTER = "letter"


# How a withdrawal reaches the school outside the portal (``app.consent.withdrawals``).
WITHDRAWAL_MEANS = (Means.PHONE, Means.DESK, Means.LETTER)


class Validity(enum.StrEnum):
    SCHOOL_YEAR = "school_year"
    UNTIL_WITHDRAWN = "until_withdrawn"


# The purposes are not listed here: each consent form declares its own (``app.consent.purposes``).


class Audience(enum.StrEnum):
    """Who a campaign asks (``app.consent.campaigns``)."""

    FAMILIES = "families"  # the guardians (or the pupil from 16) of every pupil of the current year
    GROUP = "group"  # the same, for the pupils of one group
    STAFF = "staff"
    VOLUNTEERS = "volunteers"


class CampaignMailKind(enum.StrEnum):
    """What a campaign sent someone; stored so reminders are spaced and escalations go once."""

    REMINDER = "reminder"
    INVITATION = "invitation"
    RESEND = "resend"
    ESCALATION = "escalation"  # a group's teachers: the non-responders a week before the deadline
