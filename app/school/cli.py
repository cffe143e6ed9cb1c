"""``flask people ...``."""

from __future__ import annotations

from flask.cli import AppGroup

people_cli = AppGroup("people", help="People and groups: the CSV import.")
