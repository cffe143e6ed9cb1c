"""Where a page of library items stands: per item the channels it is cleared for now, and why it is
not cleared for the others, in the gate's own words (``app.release.clearance``), with a short word
for each reason that fits under a thumbnail ("consent withdrawn", "waiting for approval").

Computed, never stored, so a withdrawal shows at once: one ``clear`` of the whole page per enabled
channel (a few statements each, whatever the number of items), nothing per item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.consent.queries import now
from app.release.clearance import Blocker, Clearance, clear
from app.release.models import Channel

# The short word for each blocker (a ``no_consent`` blocker by its cause); the message says it in full.
SHORT = {
    "tags_incomplete": _l("tags incomplete"),
    "face_unresolved": _l("face not resolved"),
    "quarantined": _l("held back"),
    "approval_pending": _l("waiting for approval"),
    "outside_person": _l("someone from outside the school"),
    "twin_blocked": _l("not cleared in another album"),
    "processing": _l("still processing"),
    "refused": _l("file unreadable"),
    "rescan_needed": _l("to be scanned again"),
    "no_consent:withdrawn": _l("consent withdrawn"),
    "no_consent:refused": _l("consent refused"),
    "no_consent:expired": _l("consent expired"),
    "no_consent:never": _l("no consent"),
}


def short_reason(blocker: Blocker, words: dict[str, str] | None = None) -> str:
    """The short word for ``blocker``, from ``words`` (``SHORT`` translated once, as ``standing_of``
    does for a whole page) or translated now."""
    words = words if words is not None else _translated()
    key = f"{blocker.code}:{blocker.cause}" if blocker.code == "no_consent" else blocker.code
    return words.get(key) or words.get(blocker.code) or words["blocked"]


def _translated() -> dict[str, str]:
    return {key: str(word) for key, word in SHORT.items()} | {"blocked": str(_l("blocked"))}


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
    if not ids:
        return answer
    explain = {channel.id for channel in explained}
    words = _translated()
    moment = now()  # one moment for the whole page: every channel is judged at the same instant
    found: dict[int, dict[tuple[str, str, str], Reason]] = {i: {} for i in ids}
    judged: dict[tuple[str, bool], dict[int, Clearance]] = {}  # the gate reads a channel's purpose and publicness
    for channel in enabled:
        key = (channel.purpose, channel.public)
        if key not in judged:
            judged[key] = clear(ids, channel, moment)
        for item_id, clearance in judged[key].items():
            standing = answer[item_id]
            if clearance.cleared:
                standing.cleared.append(channel.name)
            elif channel.id in explain:
                _add_reasons(standing, found[item_id], clearance.blockers, channel.name, words)
    return answer


def _add_reasons(
    standing: Standing,
    found: dict[tuple[str, str, str], Reason],
    blockers: list[Blocker],
    channel: str,
    words: dict[str, str],
) -> None:
    for blocker in blockers:
        short = short_reason(blocker, words)
        key = (blocker.code, short, blocker.message)
        same = found.get(key)
        if same is None:
            same = found[key] = Reason(blocker.code, short, blocker.message)
            standing.reasons.append(same)
        if channel not in same.channels:
            same.channels.append(channel)
