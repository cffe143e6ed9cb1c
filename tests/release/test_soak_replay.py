"""The safety check of ``bench/soak.py`` (its replay of decisions, tags and exports in commit order)
finds what it is there to find: a benchmark that reports "0 exports after a withdrawal" must be able
to see one. Plain data, no database: the audit rows as the soak reads them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

PUPIL, OTHER_PUPIL = 10, 11
MUM, DAD, OTHER_PARENT = 100, 101, 102
ITEM = 5
DECISIONS = {1: (MUM, "grant"), 2: (MUM, "withdraw"), 3: (DAD, "refuse"), 4: (OTHER_PARENT, "grant")}
DECIDERS = {PUPIL: {MUM, DAD}, OTHER_PUPIL: {OTHER_PARENT}}


@pytest.fixture(scope="module")
def check_exports() -> Any:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_soak", BENCH / "soak.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_soak"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module.check_exports


def decided(audit_id: int, decision: int, at: float, subject: int = PUPIL) -> tuple[Any, ...]:
    return (
        audit_id,
        "consent.decided",
        decision,
        {"subject_id": subject, "media_type": "photo", "purpose": "newsletter"},
        at,
    )


def tagged(audit_id: int, people: list[int], at: float) -> tuple[Any, ...]:
    return (audit_id, "media.tags_changed", ITEM, {"people": people}, at)


def exported(audit_id: int, export_id: int, at: float) -> tuple[Any, ...]:
    return (audit_id, "release.exported", export_id, {"channel": "newsletter", "media_ids": [ITEM]}, at)


def replay(check_exports: Any, events: list[tuple[Any, ...]], evidence: dict[Any, set[int]] | None = None) -> Any:
    return check_exports(events, DECISIONS, DECIDERS, {ITEM: "photo"}, {"newsletter": "newsletter"}, evidence or {})


def test_an_export_with_consent_passes(check_exports):
    result = replay(
        check_exports, [decided(1, 1, 0), tagged(2, [PUPIL], 0), exported(3, 900, 100)], {(900, ITEM): {PUPIL}}
    )
    assert (result.released, result.after_withdrawal, result.without_consent, result.evidence_mismatch) == (
        1,
        [],
        [],
        [],
    )
    assert result.close_calls == 0


def test_an_export_after_a_withdrawal_is_found(check_exports):
    result = replay(check_exports, [decided(1, 1, 0), tagged(2, [PUPIL], 0), decided(3, 2, 1), exported(4, 901, 2)])
    assert len(result.after_withdrawal) == 1
    assert "export 901" in result.after_withdrawal[0]
    assert result.close_calls == 1


def test_the_other_guardians_refusal_blocks(check_exports):
    result = replay(check_exports, [decided(1, 1, 0), tagged(2, [PUPIL], 0), decided(3, 3, 1), exported(4, 902, 2)])
    assert len(result.after_withdrawal) == 1


def test_a_withdrawal_committed_after_the_export_does_not_count(check_exports):
    result = replay(check_exports, [decided(1, 1, 0), tagged(2, [PUPIL], 0), exported(3, 903, 1), decided(4, 2, 2)])
    assert result.after_withdrawal == []


def test_someone_tagged_without_any_decision_is_found(check_exports):
    events = [decided(1, 1, 0), tagged(2, [PUPIL, OTHER_PUPIL], 0), exported(3, 904, 1)]
    result = replay(check_exports, events, {(904, ITEM): {PUPIL}})
    assert len(result.without_consent) == 1
    assert len(result.evidence_mismatch) == 1


def test_only_the_entitled_count(check_exports):
    """A grant by someone who is not the pupil's guardian does not clear the pupil."""
    events = [decided(1, 4, 0, subject=PUPIL), tagged(2, [PUPIL], 0), exported(3, 905, 1)]
    assert len(replay(check_exports, events).without_consent) == 1
