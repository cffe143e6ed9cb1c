"""The purposes consent is asked for. They belong to the consent form: each version's TOML file
declares its purposes (key, labels and explanations in Dutch and English, public or not, the
channels that serve it), and nothing in the code lists them.

"The purposes in force" are those of the governing form: the one parents decide under today or,
between two school years (last year's form expired, this year's not yet published), the newest
published form, so that channels, the gate and the register keep their meaning in August.
A later version may add or drop purposes; decisions on a dropped purpose stay in the history,
shown with the words of the version they were made under.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.consent.models import ConsentForm
from app.consent.queries import active_form
from app.extensions import db


@dataclass(frozen=True)
class Purpose:
    key: str
    public: bool
    labels: Mapping[str, str]
    explanations: Mapping[str, str]
    channels: tuple[str, ...]

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels["nl"]

    def explanation(self, locale: str) -> str:
        return self.explanations.get(locale) or self.explanations.get("nl", "")


def purposes_of_content(content: Mapping[str, Any]) -> list[Purpose]:
    """The purposes a form file declares, in the order parents see them."""
    return [
        Purpose(
            key=str(p["key"]),
            public=bool(p["public"]),
            labels={str(k): str(v) for k, v in p["label"].items()},
            explanations={str(k): str(v).strip() for k, v in p.get("explanation", {}).items()},
            channels=tuple(str(c) for c in p.get("channels", [])),
        )
        for p in content["purposes"]
    ]


@functools.lru_cache(maxsize=32)
def _purposes_of_version(form_id: int, published_at: datetime) -> tuple[Purpose, ...]:
    """A published version never changes: its purposes are read once per process."""
    return tuple(purposes_of_content(db.session.get_one(ConsentForm, form_id).content))


def purposes_of(form: ConsentForm) -> list[Purpose]:
    return list(_purposes_of_version(form.id, form.published_at))


def governing_form(day: date) -> ConsentForm | None:
    """The form whose purposes govern channels and the gate on ``day``: the one parents decide under
    (``queries.active_form``); when none is valid, the newest published one. (Deciding needs a form
    valid today: ``operations.form_in_force``.)"""
    return active_form(day) or db.session.scalar(
        select(ConsentForm).order_by(ConsentForm.published_at.desc(), ConsentForm.version.desc()).limit(1)
    )


def purposes_in_force(day: date) -> dict[str, Purpose]:
    """Key -> purpose of the form in force, in the form's order; empty before any form is published."""
    form = governing_form(day)
    return {p.key: p for p in purposes_of(form)} if form is not None else {}


def public_purposes(day: date) -> frozenset[str]:
    """The purposes of the form in force that put media in front of the public: exports there may
    need leadership's approval, and people from outside the school block them without their own consent."""
    return frozenset(key for key, purpose in purposes_in_force(day).items() if purpose.public)
