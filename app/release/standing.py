"""Where a page of library items stands: per item the channels it is cleared for now, and why it is
not cleared for the others, in the gate's own words (``app.release.clearance``), with a short word
for each reason that fits under a thumbnail ("consent withdrawn", "waiting for approval").

Computed, never stored, so a withdrawal shows at once: one ``clear`` of the whole page per enabled
channel (a few statements each, whatever the number of items), nothing per item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.release.clearance import Blocker, clear
from app.release.models import Channel

# The short word for each blocker (a ``no_consent`` blocker by its cause); the message says it in full.
SHORT = {
    "tags_incomplete": _l("tags incomplete"),
    "face_unresolved": _l("face not resolved"),
    "quarantined": _l("held back"),
    "approval_pending": _l("waiting for approval"),
    "outside_person": _l("someone from outside the school"),
    "no_consent:withdrawn": _l("consent withdrawn"),
    "no_consent:refused": _l("consent refused"),
    "no_consent:expired": _l("consent expired"),
    "no_consent:never": _l("no consent"),
}


def short_reason(blocker: Blocker) -> str:
    key = f"{blocker.code}:{blocker.cause}" if blocker.code == "no_consent" else blocker.code
    return str(SHORT.get(key) or SHORT.get(blocker.code) or _l("blocked"))


@dataclass
class Reason:
    """One reason an item is blocked, with the channels it blocks it for (a consent purpose is
    shared by channels, and a face or a quarantine blocks many at once: said once)."""

    code: str
    short: str
    message: str
    channels: list[str] = field(default_factory=list)


@dataclass
class Standing:
    cleared: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def shorts(self) -> list[str]:
        """The short words of the reasons, each once, in the order the gate names them."""
        return list(dict.fromkeys(reason.short for reason in self.reasons))


def standing_of(ids: list[int], enabled: list[Channel], explained: list[Channel]) -> dict[int, Standing]:
    """Per item of ``ids``: the names of the ``enabled`` channels it is cleared for, and the reasons
    it is blocked for each channel of ``explained`` (a subset of ``enabled``)."""
    answer: dict[int, Standing] = {i: Standing() for i in ids}
    explain = {channel.id for channel in explained}
    for channel in enabled if ids else []:
        for item_id, clearance in clear(ids, channel).items():
            standing = answer[item_id]
            if clearance.cleared:
                standing.cleared.append(channel.name)
            elif channel.id in explain:
                _add_reasons(standing, clearance.blockers, channel.name)
    return answer


def _add_reasons(standing: Standing, blockers: list[Blocker], channel: str) -> None:
    for blocker in blockers:
        short = short_reason(blocker)
        same = next(
            (r for r in standing.reasons if (r.code, r.short, r.message) == (blocker.code, short, blocker.message)),
            None,
        )
        if same is None:
            same = Reason(blocker.code, short, blocker.message)
            standing.reasons.append(same)
        if channel not in same.channels:
            same.channels.append(channel)
