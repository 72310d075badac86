"""Colour rules: violations move up, clean runs move down, every change names its cause."""

from __future__ import annotations

import pytest

from streetorder.mobile_api.domain.checklist import Answer, ChecklistError, judge
from streetorder.mobile_api.domain.risk import (
    Cause,
    Colour,
    ColourRules,
    InspectionResult,
    RiskState,
    on_inspection,
    on_violation,
)
from streetorder.mobile_api.settings import DEFAULT_CHECKLIST, MobileSettings

G, Y, R = Colour.GREEN, Colour.YELLOW, Colour.RED
CLEAN, ISSUES, VIOLATION = (
    InspectionResult.CLEAN,
    InspectionResult.ISSUES,
    InspectionResult.VIOLATION,
)


@pytest.mark.parametrize(
    ("mode", "before", "after"),
    [
        ("red", G, R),
        ("red", Y, R),
        ("red", R, R),
        ("up_one", G, Y),
        ("up_one", Y, R),
        ("up_one", R, R),
    ],
)
def test_confirmed_violation_moves_up(mode: str, before: Colour, after: Colour) -> None:
    state, change = on_violation(RiskState(before, clean_run=2), ColourRules(on_violation=mode))
    assert state == RiskState(after, 0)
    if before == after:
        assert change is None
    else:
        assert change is not None
        assert (change.before, change.after, change.cause) == (
            before,
            after,
            Cause.CONFIRMED_VIOLATION,
        )


def run(results: list[InspectionResult], start: Colour, rules: ColourRules):
    state, changes = RiskState(start), []
    for result in results:
        state, change = on_inspection(state, result, rules)
        if change:
            changes.append(change)
    return state, changes


def test_clean_run_steps_down_one_level_at_a_time() -> None:
    rules = ColourRules(clean_run_to_step_down=3)
    state, changes = run([CLEAN] * 2, R, rules)
    assert state == RiskState(R, 2) and changes == []
    state, changes = run([CLEAN] * 3, R, rules)
    assert state == RiskState(Y, 0)
    assert [(c.before, c.after, c.cause) for c in changes] == [(R, Y, Cause.CLEAN_RUN)]
    state, changes = run([CLEAN] * 6, R, rules)
    assert state.colour is G and [c.after for c in changes] == [Y, G]
    state, changes = run([CLEAN] * 9, R, rules)
    assert state.colour is G and len(changes) == 2  # green is the floor


@pytest.mark.parametrize("breaker", [ISSUES, VIOLATION])
def test_a_run_must_be_unbroken(breaker: InspectionResult) -> None:
    rules = ColourRules(clean_run_to_step_down=3, on_violation="up_one")
    state, _ = run([CLEAN, CLEAN, breaker, CLEAN, CLEAN], Y, rules)
    assert state.clean_run == 2
    assert state.colour is (Y if breaker is ISSUES else R)


def test_inspection_violation_cause_and_switch() -> None:
    state, change = on_inspection(RiskState(G), VIOLATION, ColourRules())
    assert state.colour is R and change is not None
    assert change.cause is Cause.INSPECTION_VIOLATION
    state, change = on_inspection(
        RiskState(G, 2), VIOLATION, ColourRules(inspection_violation_counts=False)
    )
    assert state == RiskState(G, 0) and change is None


def test_checklist_judgement() -> None:
    ok = {item.key: Answer.PASS for item in DEFAULT_CHECKLIST}
    assert judge(DEFAULT_CHECKLIST, ok) is CLEAN
    assert judge(DEFAULT_CHECKLIST, ok | {"waste_sorted": Answer.FAIL}) is ISSUES
    assert judge(DEFAULT_CHECKLIST, ok | {"out_of_shop_trading": Answer.FAIL}) is VIOLATION
    assert judge(DEFAULT_CHECKLIST, ok | {"frontage_clean": Answer.NOT_APPLICABLE}) is CLEAN
    with pytest.raises(ChecklistError, match="'bogus'"):
        judge(DEFAULT_CHECKLIST, ok | {"bogus": Answer.PASS})
    partial = dict(ok)
    del partial["signboard_safe"]
    with pytest.raises(ChecklistError, match="'signboard_safe' is not answered"):
        judge(DEFAULT_CHECKLIST, partial)


def test_settings_refuse_a_checklist_without_violation_items() -> None:
    with pytest.raises(ValueError, match="at least one violation item"):
        MobileSettings(checklist=({"key": "tidy", "label": "整洁"},))
    with pytest.raises(ValueError, match="unique"):
        MobileSettings(checklist=DEFAULT_CHECKLIST + DEFAULT_CHECKLIST[:1])
