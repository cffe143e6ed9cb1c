"""Forms of the consent pages. Choices are validated by ``operations.decide`` against the form
in force; these classes carry the CSRF token and the posted values."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.validators import DataRequired, InputRequired

from app.core.forms import SelectChoice


class DecideForm(FlaskForm):
    media_type = HiddenField(validators=[DataRequired()])
    purpose = HiddenField(validators=[DataRequired()])
    decision = HiddenField(validators=[DataRequired()])


class DecideAllForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])


class DecideMediaTypeForm(FlaskForm):
    """Yes or no to every purpose of one media type."""

    media_type = HiddenField(validators=[DataRequired()])
    decision = HiddenField(validators=[DataRequired()])


class ConfirmChangesForm(FlaskForm):
    """The confirm button under a list of changes: ``plan`` is the list shown
    (``previews.plan_code``); without ``confirm`` the list is shown (again)."""

    decision = HiddenField()
    plan = HiddenField()
    confirm = HiddenField()


def answer_form_class(cells: list[tuple[str, str, str]], yes: str, no: str, required: str) -> type[FlaskForm]:
    """A form with one explicit yes/no question per (media type, purpose): nothing pre-ticked."""

    class AnswerForm(FlaskForm):
        pass

    for media, purpose, label in cells:
        field = RadioField(
            label,
            choices=[SelectChoice("grant", yes), SelectChoice("refuse", no)],
            validators=[InputRequired(required)],
        )
        setattr(AnswerForm, f"{media}__{purpose}", field)
    return AnswerForm
