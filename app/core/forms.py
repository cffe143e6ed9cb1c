"""Small bridges between WTForms and typed code, used by every module's views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from wtforms import Field, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

if TYPE_CHECKING:
    # WTForms 3.2's own option type (plain tuples are deprecated); types-WTForms does not know it yet.
    class SelectChoice(NamedTuple):
        value: Any
        label: str

else:
    from wtforms.fields.choices import SelectChoice

# One option of a select or radio field.
Choice = SelectChoice
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Filled(Protocol[T_co]):
    name: str

    @property
    def data(self) -> T_co | None: ...


def required(field: _Filled[T]) -> T:
    """The value of a field its validators require (DataRequired, InputRequired): after a
    successful validation it is never None, and this says so to the type checker."""
    if field.data is None:
        raise ValueError(f"the form field {field.name!r} has no value; validate the form first")
    return field.data


def add_error(field: Field, message: str) -> None:
    """Show ``message`` at ``field`` when the form is rendered again (an operation refused it)."""
    field.errors = [*field.errors, message]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (roles, teachers), easier on a phone than
    a multi-select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"class": "form-check-list"})  # no bullets (app.css)
        super().__init__(*args, **kwargs)
