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


class Validity(enum.StrEnum):
    SCHOOL_YEAR = "school_year"
    UNTIL_WITHDRAWN = "until_withdrawn"


# The purposes are not listed here: each consent form declares its own (``app.consent.purposes``).
