"""Password hashing (Argon2id) and the password policy.

Policy (OWASP ASVS 5.0 / NIST 800-63B): at least 8 characters, at most 64, not on a list of
common passwords, not easy to guess from Dutch and English words, names, the school's own words or
the person's own names and address (``strength``), no composition rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

from app.accounts import strength


def _hasher() -> PasswordHasher:
    """Argon2id with the configured cost (defaults: argon2-cffi's RFC 9106 low-memory profile).
    Raising the cost makes ``needs_rehash`` true for older hashes, which are then re-hashed at
    the next sign-in."""
    config = current_app.config
    return _hasher_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _dummy_hash() -> str:
    return _dummy_for(_hasher())


@lru_cache(maxsize=4)
def _dummy_for(hasher: PasswordHasher) -> str:
    return hasher.hash("beeldrecht-no-such-account")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches. Without a stored hash a dummy hash is verified, so an
    unknown email takes as long as a wrong password."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def password_problem(password: str, *, email: str | None = None, names: Iterable[str] = ()) -> str | None:
    """Why this password is not acceptable, or None. ``names`` are the person's own names."""
    low, high = current_app.config["PASSWORD_MIN_LENGTH"], current_app.config["PASSWORD_MAX_LENGTH"]
    if len(password) < low:
        return str(_("Use at least %(n)d characters.", n=low))
    if len(password) > high:
        return str(_("Use at most %(n)d characters.", n=high))
    if email and password.lower() == email.lower():
        return str(_("Do not use your email address as your password."))
    personal = [*_words_of(email or ""), *(word for name in names for word in _words_of(name))]
    if strength.easy_to_guess(password, personal):
        return str(
            _(
                "This password is too easy to guess: it is a common password, or a word or name with "
                "numbers or symbols added. Choose another one, for example a short sentence of three "
                "or four words."
            )
        )
    return None


def _words_of(text: str) -> list[str]:
    """The parts of an address or a name a guesser would try: the whole, each word, and the words
    written together ("de Vries" gives "de vries", "de", "vries" and "devries")."""
    parts = [p for p in re.split(r"[\W_]+", text.lower()) if p]
    return [text.lower(), *parts, "".join(parts)] if parts else []
