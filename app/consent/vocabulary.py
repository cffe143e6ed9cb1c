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
