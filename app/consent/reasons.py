"""Why an answer is what it is, in words, without naming who decided ("refused by a guardian on
2 November 2026"): for staff, who need the reason but not the family's names, and for the export
gate's blockers. The one wording of a ``rules.Consent``'s explanation."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from app.consent.rules import Consent, Rule
from app.consent.vocabulary import Action


def reason_in_words(consent: Consent | None) -> str:
    """The rule and the decision the answer rests on, dated; ``None`` (nobody asked) is "never decided"."""
    if consent is None or consent.rule is Rule.NO_DECISION:
        return _("never decided")
    if consent.rule is Rule.EXPIRED:
        last = max((e.valid_until for e in consent.relied_on if e.valid_until), default=None)
        return _("the consent expired on %(day)s", day=format_date(last, "long")) if last else _("the consent expired")
    event = max(consent.relied_on, key=lambda e: e.order)
    day = format_date(event.decided_at, "long")
    by_guardian = consent.decided_by_guardians
    if event.action is Action.GRANT:
        return _("granted by a guardian on %(day)s", day=day) if by_guardian else _("granted on %(day)s", day=day)
    if event.action is Action.WITHDRAW:
        return _("withdrawn by a guardian on %(day)s", day=day) if by_guardian else _("withdrawn on %(day)s", day=day)
    return _("refused by a guardian on %(day)s", day=day) if by_guardian else _("refused on %(day)s", day=day)


def reason_kind(consent: Consent | None) -> str:
    """Which of ``reason_in_words``'s kinds of answer it is, as a word for programs: ``never``
    (never decided), ``expired``, ``granted``, ``withdrawn`` or ``refused`` (the latest decision
    the answer rests on)."""
    if consent is None or consent.rule is Rule.NO_DECISION:
        return "never"
    if consent.rule is Rule.EXPIRED:
        return "expired"
    event = max(consent.relied_on, key=lambda e: e.order)
    return {Action.GRANT: "granted", Action.WITHDRAW: "withdrawn"}.get(event.action, "refused")
