"""The words people read for the consent vocabulary, in the request's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.consent.vocabulary import MediaType

MEDIA_LABELS = {MediaType.PHOTO: _l("Photos"), MediaType.FILM: _l("Films"), MediaType.AUDIO: _l("Sound recordings")}
