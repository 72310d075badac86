"""Three-colour risk grading (三色风险分级管控): every colour rule lives here.

A confirmed violation moves a shop to red (or up one level, as configured); a run of clean
inspections moves it down one level. Every change comes back as a :class:`ColourChange` that
names its cause, for the caller to record. Nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


#: Lowest risk first.
LEVELS: tuple[Colour, ...] = (Colour.GREEN, Colour.YELLOW, Colour.RED)


class Cause(StrEnum):
    CONFIRMED_VIOLATION = "confirmed_violation"  # a case confirmed by the command centre
    INSPECTION_VIOLATION = "inspection_violation"  # an officer found a violation on site
    CLEAN_RUN = "clean_run"  # N clean inspections in a row


class InspectionResult(StrEnum):
    CLEAN = "clean"  # every checklist item passed
    ISSUES = "issues"  # something failed that is not a violation: breaks a clean run
    VIOLATION = "violation"  # a violation item failed (e.g. out-of-shop trading)


class ColourRules(BaseModel):
    """How colours move. Configurable; the defaults follow the domain document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_violation: Literal["red", "up_one"] = Field(
        "red", description="A confirmed violation sets red, or raises the colour one level."
    )
    clean_run_to_step_down: int = Field(
        3, ge=1, le=100, description="This many clean inspections in a row lower it one level."
    )
    inspection_violation_counts: bool = Field(
        True, description="A violation found by an inspection moves the colour like a case."
    )


@dataclass(frozen=True)
class RiskState:
    """A shop's colour and its current run of clean inspections."""

    colour: Colour
    clean_run: int = 0


@dataclass(frozen=True)
class ColourChange:
    before: Colour
    after: Colour
    cause: Cause


def _level(colour: Colour) -> int:
    return LEVELS.index(colour)


def on_violation(
    state: RiskState, rules: ColourRules, cause: Cause = Cause.CONFIRMED_VIOLATION
) -> tuple[RiskState, ColourChange | None]:
    """A violation: colour up (to red or one level) and the clean run starts again."""
    if rules.on_violation == "red":
        after = Colour.RED
    else:
        after = LEVELS[min(_level(state.colour) + 1, len(LEVELS) - 1)]
    change = ColourChange(state.colour, after, cause) if after != state.colour else None
    return RiskState(after, 0), change


def on_inspection(
    state: RiskState, result: InspectionResult, rules: ColourRules
) -> tuple[RiskState, ColourChange | None]:
    """An inspection's effect on the colour and on the run of clean inspections."""
    if result is InspectionResult.VIOLATION:
        if rules.inspection_violation_counts:
            return on_violation(state, rules, Cause.INSPECTION_VIOLATION)
        return RiskState(state.colour, 0), None
    if result is InspectionResult.ISSUES:
        return RiskState(state.colour, 0), None
    run = state.clean_run + 1
    if run < rules.clean_run_to_step_down:
        return RiskState(state.colour, run), None
    if state.colour is Colour.GREEN:  # already lowest: keep counting up to the threshold
        return RiskState(state.colour, run), None
    after = LEVELS[_level(state.colour) - 1]
    return RiskState(after, 0), ColourChange(state.colour, after, Cause.CLEAN_RUN)
