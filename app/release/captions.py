"""The text of a post (its caption): checked before an export, and refused when it names a pupil.

Protocol A4/C1: no personal information in posts. A caption names a pupil when, after folding
case and accents (casefold, Unicode NFKD, combining marks and invisible format characters
removed), it holds one of these forms of a pupil's name as whole words, with any spaces or
punctuation between the words:

- first name and family name: "Sem de Vries", "SEM DE VRÏES", "sem-de-vries";
- first name and the family name without its prefix, or with the prefix written together:
  "Sem Vries", "Sem deVries" (a reader still knows who is meant);
- the whole name written as one word, as in a hashtag: "#SemdeVries";
- first name and an initial: a single letter, the first of the prefix or of the main part of the
  family name, optionally with a dot ("Sem d.", "Sem V"), or the initials of every part of the
  family name ("Sem dV", "Sem d.V."). Only spaces may stand between the first name and the
  initial, and no apostrophe may follow it, so "Anna's" and "Sem, D" are not initials.

A first name alone is not a match (too many ordinary words and other children share it), nor is a
family name alone. The school may allow names in captions (``BEELDRECHT_CAPTION_NAMES=allow``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import DomainError
from app.extensions import db
from app.release.clearance import Blocker
from app.school.models import Group, Person, PersonKind, group_pupil

# Instagram's limit; the strictest of the channels a school posts to.
MAX_CAPTION = 2_200
NAMES_ALLOWED = "allow"
# The code of a caption's blockers: it refuses the post as a whole, whichever items are in it.
CAPTION_NAMES_PUPIL = "caption_names_pupil"

# Prefixes of Dutch (and some neighbouring) family names, written as separate words.
PREFIXES = frozenset(
    {
        *("aan", "al", "bij", "d", "da", "dal", "das", "de", "del", "della", "den", "der", "des", "di", "do", "dos"),
        *("du", "el", "het", "in", "la", "le", "lo", "op", "s", "t", "te", "ten", "ter", "thoe", "tot", "uit"),
        *("uijt", "van", "vande", "vanden", "vander", "von", "vd", "voor", "zu", "zum", "zur"),
    }
)
_WORD = re.compile(r"[^\W_]+")
# Dropped before matching: combining marks (the accents left by NFKD) and invisible format
# characters (zero-width spaces and joiners, soft hyphens) that would otherwise split a name.
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
# Text direction overrides and isolates can show a name that is not in the text ("Trojan source").
_DIRECTION_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_APOSTROPHES = "'`\u2018\u2019"  # after folding; typewriter, backtick, curly


class CaptionError(DomainError):
    """A caption that cannot be stored: too long, or with control characters."""


def check_caption(text: str | None) -> str | None:
    """The caption as it will be stored (line breaks as ``\\n``, spaces around it removed), or None
    when there is none. Refuses more than ``MAX_CAPTION`` characters and control characters other
    than line breaks and tabs."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if len(text) > MAX_CAPTION:
        raise CaptionError(
            "caption_too_long",
            _(
                "The text of the post is %(n)s characters long; Instagram takes at most %(max)s.",
                n=format_number(len(text)),
                max=format_number(MAX_CAPTION),
            ),
        )
    if any(_is_control(c) for c in text):
        raise CaptionError(
            "caption_control_characters",
            _("The text of the post contains control characters; only line breaks and tabs are allowed."),
        )
    return text


def _is_control(char: str) -> bool:
    if char in "\n\t":
        return False
    return unicodedata.category(char) in {"Cc", "Cs"} or char in _DIRECTION_CONTROLS


class Pupil(NamedTuple):
    id: int
    first_name: str
    last_name: str
    group: str | None = None

    def label(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return name + (f" ({_('group')} {self.group})" if self.group else "")


@dataclass(frozen=True)
class _Word:
    text: str
    spaced_before: bool  # only whitespace between this word and the one before
    apostrophe_after: bool


def fold(text: str) -> str:
    """Case and accents folded: "VRÏES" and "vries" are the same word."""
    if text.isascii():
        return text.lower()  # the same as below, five times faster: most names are plain ASCII
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) not in _DROPPED_CATEGORIES)


def _words(text: str) -> list[_Word]:
    folded = fold(text)
    found = list(_WORD.finditer(folded))
    words = []
    for n, match in enumerate(found):
        before = folded[found[n - 1].end() : match.start()] if n else ""
        after = folded[match.end() : match.end() + 1]
        words.append(_Word(match.group(), bool(before) and before.isspace(), after != "" and after in _APOSTROPHES))
    return words


# A name form: its words, and the position of the word that is an initial (None for full names).
_Form = tuple[tuple[str, ...], int | None]


def name_forms(first_name: str, last_name: str) -> set[_Form]:
    """Every form of a pupil's name that counts as naming them (see the module's docstring)."""
    first = tuple(_WORD.findall(fold(first_name)))
    family = tuple(_WORD.findall(fold(last_name)))
    if not first or not family:
        return set()
    cut = 0
    while cut < len(family) - 1 and family[cut] in PREFIXES:
        cut += 1
    main = family[cut:]
    forms: set[_Form] = set()
    for given in {first, ("".join(first),)}:
        at = len(given)
        forms |= {((*given, *family), None), ((*given, "".join(family)), None), ((*given, *main), None)}
        forms |= {((*given, family[0][0]), at), ((*given, main[0][0]), at)}
        if len(family) > 1:
            initials = tuple(word[0] for word in family)
            forms |= {((*given, *initials), at), ((*given, "".join(initials)), at)}
    forms.add((("".join(first + family),), None))
    return forms


def names_in(caption: str, pupils: Iterable[Pupil]) -> list[Pupil]:
    """The pupils the caption names, each once, sorted by family name. One pass over the caption's
    words with a dictionary of the name forms of the pupils whose first name starts a word in it
    (every form begins with the first name's first word): no regular expression per pupil."""
    text = _words(caption)
    starts = {word.text[:n] for word in text for n in range(1, min(len(word.text), 100) + 1)}  # names: 100 at most
    index: dict[tuple[str, ...], list[tuple[Pupil, int | None]]] = {}
    for pupil in pupils:
        first = _WORD.search(fold(pupil.first_name))
        if first is None or first.group() not in starts:
            continue
        for words, initial in name_forms(pupil.first_name, pupil.last_name):
            index.setdefault(words, []).append((pupil, initial))
    lengths = sorted({len(words) for words in index})
    named: dict[int, Pupil] = {}
    for start in range(len(text)):
        for length in lengths:
            run = text[start : start + length]
            if len(run) < length:
                break
            for pupil, initial in index.get(tuple(w.text for w in run), ()):
                if initial is None or (run[initial].spaced_before and not run[-1].apostrophe_after):
                    named.setdefault(pupil.id, pupil)
    return sorted(named.values(), key=lambda p: (fold(p.last_name), fold(p.first_name), p.id))


def _pupils_named(caption: str) -> list[Pupil]:
    """Every pupil of the school (former pupils too) with a group name, in one statement."""
    groups = (
        select(group_pupil.c.person_id, func.max(Group.name).label("group_name"))
        .join(Group, Group.id == group_pupil.c.group_id)
        .group_by(group_pupil.c.person_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, groups.c.group_name)
        .outerjoin(groups, groups.c.person_id == Person.id)
        .where(Person.kind == PersonKind.PUPIL)
    )
    return names_in(caption, (Pupil(*row) for row in rows))


def pupils_named(caption: str) -> list[int]:
    """The ids of the pupils the caption names (by family name, sorted)."""
    return [pupil.id for pupil in _pupils_named(caption)]


def caption_blockers(caption: str | None, media_id: int) -> list[Blocker]:
    """One blocker per pupil the caption names, unless the school allows names. The caption belongs
    to the whole post; its blockers carry the first item's id (``media_id``) so every blocker has
    one, and are told apart by their code."""
    if caption is None or current_app.config["CAPTION_NAMES"] == NAMES_ALLOWED:
        return []
    return [
        Blocker(
            media_id,
            CAPTION_NAMES_PUPIL,
            pupil.id,
            _(
                "The text of the post names %(name)s; protocol A4/C1: no personal information in posts.",
                name=pupil.label(),
            ),
        )
        for pupil in _pupils_named(caption)
    ]
