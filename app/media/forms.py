"""WTForms of the media pages that are more than a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField
from wtforms.validators import DataRequired

from app.consent.labels import MEDIA_LABELS
from app.consent.vocabulary import MediaType
from app.core.forms import Choice, MultiCheckboxField
from app.media import formats


class OutsideConsentForm(FlaskForm):
    """The own consent of someone from outside the school, from the paper they signed. The
    purposes (public ones only) are set by the view, with the words of the form in force."""

    media_types = MultiCheckboxField(_l("Which media"))
    purposes = MultiCheckboxField(_l("Which public uses"))
    given_on = DateField(_l("Signed on"), validators=[DataRequired()])
    scan = FileField(
        _l("Scan or photo of the signed paper (optional)"),
        description=_l(
            "A photo (%(formats)s). It is stored without its metadata and shown to administrators only.",
            formats=formats.labels(MediaType.PHOTO),
        ),
    )

    def __init__(self, purposes: list[Choice], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.media_types.choices = [Choice(m.value, str(label)) for m, label in MEDIA_LABELS.items()]
        self.purposes.choices = purposes


class WithdrawOutsideConsentForm(FlaskForm):
    pass
