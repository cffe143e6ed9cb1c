"""The purposes of the form the tests publish (the school's version 1, see ``form_text`` in conftest)."""

from __future__ import annotations

import tomllib
from pathlib import Path

SHIPPED = Path(__file__).parents[1] / "consent_forms" / "beeldgebruik-2026-2027-v1.toml"
FORM_PURPOSES: tuple[str, ...] = tuple(p["key"] for p in tomllib.loads(SHIPPED.read_text("utf-8"))["purposes"])
