"""Fixtures of the consent tests live in tests/conftest.py (forms_dir, published_form)."""

from tests.conftest import SHIPPED, form_text  # noqa: F401  (re-exported for the tests)
