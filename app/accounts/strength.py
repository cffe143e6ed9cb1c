"""How easy a password is to guess: zxcvbn's estimate with Dutch words, common passwords and the
school's own words added as ranked dictionaries.

The word lists are data files in ``wordlists/`` (see its README: where they come from, their
licence, how to refresh them). They are read once per process; a check then takes a few
milliseconds. zxcvbn's own ``zxcvbn()`` stores the user inputs in a module-level dictionary shared
by every thread, so this module runs its matchers on a dictionary of its own instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from zxcvbn import matching, scoring

# zxcvbn's score 3: "safely unguessable", at least 10^8 guesses.
MIN_GUESSES = 10**8

# The data files and the dictionary name each is matched under, most guessable words first.
WORD_LISTS = {
    "nl_common_words": "nl-be-commonWords.json",
    "nl_wikipedia": "nl-be-wikipedia.json",
    "nl_boys_first_names": "nl-be-boysFirstnames.json",
    "nl_girls_first_names": "nl-be-girlsFirstnames.json",
    "nl_last_names": "nl-be-lastnames.json",
    "common_passwords": "common-passwords.json",
    "common_diceware": "common-diceware.json",
}
SCHOOL_WORDS = "school-words.txt"

_DECORATION = re.compile(r"^[\W\d_]*(?P<core>.*?)[\W\d_]*$")


def _read(name: str) -> str:
    return (files("app.accounts") / "wordlists" / name).read_text(encoding="utf-8")


def _school_words() -> list[str]:
    lines = (line.strip().lower() for line in _read(SCHOOL_WORDS).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def ranked_dictionaries() -> dict[str, dict[str, int]]:
    """zxcvbn's own dictionaries (English words, names, passwords) and ours, built once."""
    ours = {name: matching.build_ranked_dict(json.loads(_read(file))) for name, file in WORD_LISTS.items()}
    ours["school_words"] = matching.build_ranked_dict(_school_words())
    return {**matching.RANKED_DICTIONARIES, **ours}


def estimated_guesses(password: str, personal_words: Iterable[str] = ()) -> float:
    """zxcvbn's estimate of the guesses an attacker needs, knowing every word list and the
    ``personal_words`` (the account's address, the person's names)."""
    dictionaries = {
        **ranked_dictionaries(),
        "user_inputs": matching.build_ranked_dict([w.lower() for w in personal_words if w]),
    }
    matches = matching.omnimatch(password, dictionaries)
    return float(scoring.most_guessable_match_sequence(password, matches)["guesses"])


def is_decorated_word(password: str, personal_words: Iterable[str] = ()) -> bool:
    """One known word with digits or symbols around it ("Welkom2026!", "emma2019"): the first
    pattern every cracking rule set tries, whatever zxcvbn's estimate of the digits."""
    match = _DECORATION.match(password)
    core = match.group("core").lower() if match else ""
    if not core.isalpha():
        return False
    personal = {w.lower() for w in personal_words}
    return core in personal or any(core in words for words in ranked_dictionaries().values())


def easy_to_guess(password: str, personal_words: Iterable[str] = ()) -> bool:
    words = list(personal_words)
    return is_decorated_word(password, words) or estimated_guesses(password, words) < MIN_GUESSES
