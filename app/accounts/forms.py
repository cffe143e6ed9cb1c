"""Forms of sign-in, invitations, password reset and account administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional

from app.accounts.models import Role
from app.core.forms import Choice, MultiCheckboxField, SelectChoice
from app.ids import MAX_ID

ROLE_LABELS = {
    Role.PARENT: _l("Parent or guardian"),
    Role.TEACHER: _l("Teacher"),
    Role.COMMUNICATIONS: _l("Communications"),
    Role.LEADERSHIP: _l("School leadership"),
    Role.ADMIN: _l("Administrator"),
    Role.PUPIL: _l("Pupil (16 or older)"),
}
LANGUAGE_LABELS = {"nl": "Nederlands", "en": "English"}


def _role_choices() -> list[Choice]:
    return [SelectChoice(role.value, str(label)) for role, label in ROLE_LABELS.items()]


def _language_choices() -> list[Choice]:
    return [SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("At least 8 characters. A short sentence is easy to remember and hard to guess."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    submit = SubmitField(_l("Save password"))


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=_language_choices)
    next = HiddenField()
    submit = SubmitField(_l("Save"))


class SignOutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=254)])
    roles = MultiCheckboxField(_l("Roles"), validators=[InputRequired(_l("Choose at least one role."))])
    person_id = IntegerField(
        _l("Person number"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
        description=_l("The person in the school's records this account belongs to (a guardian or staff member)."),
    )
    locale = SelectField(_l("Language of the invitation"), choices=_language_choices)
    submit = SubmitField(_l("Send invitation"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()


class UserEditForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), validators=[InputRequired(_l("Choose at least one role."))])
    active = BooleanField(_l("Account enabled"))
    person_id = IntegerField(_l("Person number"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()


class ResendInvitationForm(FlaskForm):
    submit = SubmitField(_l("Send a new invitation"))
