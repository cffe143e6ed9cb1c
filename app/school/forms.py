"""Forms of the school administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import Choice, MultiCheckboxField, SelectChoice
from app.school.models import PersonKind

KIND_LABELS = {
    PersonKind.PUPIL: _l("Pupil"),
    PersonKind.GUARDIAN: _l("Guardian"),
    PersonKind.STAFF: _l("Staff"),
    PersonKind.VOLUNTEER: _l("Volunteer"),
}


def kind_choices() -> list[Choice]:
    return [SelectChoice(kind.value, str(label)) for kind, label in KIND_LABELS.items()]


def _int_or_none(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None  # type: ignore[call-overload]


class LocationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save"))


class SchoolYearForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=20)], description=_l("For example 2026-2027.")
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    submit = SubmitField(_l("Save"))


class GroupForm(FlaskForm):
    name = StringField(_l("Group"), validators=[DataRequired(), Length(max=40)], description=_l("For example 5b."))
    location_id = SelectField(_l("Location"), coerce=int, validators=[DataRequired()])
    school_year_id = SelectField(_l("School year"), coerce=int, validators=[DataRequired()])
    teacher_ids = MultiCheckboxField(_l("Teachers"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Save"))


class PersonForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices, validators=[DataRequired()])
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(), Length(max=100)], description=_l("With prefix, e.g. de Vries.")
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()], description=_l("Required for pupils."))
    external_id = StringField(
        _l("External id"),
        validators=[Optional(), Length(max=64)],
        description=_l("The pupil's number in the pupil administration."),
    )
    email = EmailField(_l("Email address"), validators=[Optional(), Email(), Length(max=254)])
    group_id = SelectField(_l("Group"), coerce=_int_or_none, validators=[Optional()], description=_l("For pupils."))
    submit = SubmitField(_l("Save"))


class GuardianForm(FlaskForm):
    email = EmailField(
        _l("Guardian's email address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("An existing guardian with this address is linked; otherwise a new one is created."),
    )
    first_name = StringField(_l("First name (new guardian)"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name (new guardian)"), validators=[Optional(), Length(max=100)])
    has_parental_authority = BooleanField(_l("Has parental authority"), default=True)
    submit = SubmitField(_l("Add guardian"))


class AuthorityForm(FlaskForm):
    has_parental_authority = BooleanField(_l("Has parental authority"))
    submit = SubmitField(_l("Save"))


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


class EraseForm(FlaskForm):
    # The values of ``app.privacy.erasure.MediaChoice``; the protective one first and by default.
    media = RadioField(
        _l("Photos, films and sound recordings that show this person"),
        choices=[
            SelectChoice(
                "keep_blurred",
                _l("Keep them, held back for every use, with this person pixelated wherever their place is known"),
            ),
            SelectChoice("delete_alone", _l("Delete the items that show nobody else; keep the others as above")),
        ],
        default="keep_blurred",
        validators=[DataRequired()],
    )
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("For example: request by the parent by email of 3 March."),
    )
    confirm = BooleanField(
        _l("I understand that this removes the person, their account and all their consent decisions for good."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Erase this person"))
