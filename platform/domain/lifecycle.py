"""A small declared state machine for the case's companions (work orders, SMS messages).

Like the case workflow (``workflow.py``): one table of transitions per lifecycle, each naming its
source states, its target (``None``: stays), the roles allowed and guards that return the reason
they refuse. :meth:`Lifecycle.apply` checks all of that, sets the new state and returns the
audit record the caller writes in the same transaction; :meth:`Lifecycle.allowed` tells a UI
which buttons to show. Guards read the subject and ``facts`` (what the caller knows besides the
subject, e.g. the state of its case).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from streetorder.i18n import Reason
from streetorder.i18n.reasons import term, terms
from streetorder.platform.domain.errors import Forbidden, InvalidTransition
from streetorder.platform.domain.roles import Actor, Role


class Stateful(Protocol):
    state: str


Guard = Callable[[Any, Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Step:
    """One transition: ``event`` from any of ``sources`` to ``target``, by one of ``roles``."""

    event: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    description: str = ""


def step(
    event: str, sources: Iterable[str], target: str | None, roles: Iterable[Role], *,
    guards: tuple[Guard, ...] = (), description: str = "",
) -> Step:  # fmt: skip
    return Step(event, frozenset(sources), target, frozenset(roles), guards, description)


@dataclass(frozen=True)
class LifecycleRecord:
    """What the caller writes to ``lifecycle_events`` in the same transaction."""

    subject: str
    event: str
    from_state: str | None
    to_state: str
    actor: Actor
    at: datetime
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


#: The console's label kind of each subject's states, for reasons in the reader's words.
STATE_LABELS = {"work_order": "order_state", "sms": "sms_state"}


class Lifecycle:
    """The transition table of one kind of subject (``work_order``, ``sms``)."""

    def __init__(
        self, subject: str, noun: str, states: Iterable[str], initial: Iterable[str],
        steps: Iterable[Step],
    ) -> None:  # fmt: skip
        self.subject, self.noun = subject, noun
        self.states = frozenset(states)
        self.initial = frozenset(initial)
        self.steps = {s.event: s for s in steps}
        for s in self.steps.values():
            unknown = (s.sources | {s.target or next(iter(s.sources))}) - self.states
            if unknown:
                raise ValueError(f"{subject}.{s.event}: unknown states {sorted(unknown)}")

    def refusal(
        self, state: str, event: str, role: Role, subject: Any = None,
        facts: Mapping[str, Any] | None = None,
    ) -> tuple[type[Exception], str] | None:  # fmt: skip
        """Why ``event`` cannot happen now (error class and reason), or ``None`` if it can."""
        s = self.steps[event]
        if state not in s.sources:
            kind = STATE_LABELS.get(self.subject)
            return InvalidTransition, Reason(
                "refusal.subject_state", event=term("event", event), noun=term("noun", self.noun),
                state=term(kind, state) if kind else state,
            )  # fmt: skip
        if role not in s.roles:
            allowed = terms("role", sorted(r.value for r in s.roles))
            return Forbidden, Reason(
                "refusal.role", role=term("role", role), event=term("event", event), allowed=allowed
            )
        for guard in s.guards:
            reason = guard(subject, facts or {})
            if reason:
                return InvalidTransition, Reason(
                    "refusal.guard", event=term("event", event), reason=reason
                )
        return None

    def allowed(
        self, state: str, role: Role, subject: Any = None, facts: Mapping[str, Any] | None = None
    ) -> list[str]:
        """The events this role may trigger now, in table order (for UI buttons)."""
        return [
            e for e in self.steps if self.refusal(state, e, role, subject, facts) is None
        ]  # fmt: skip

    def start(
        self, subject: Stateful, state: str, actor: Actor, *, now: datetime, note: str = "",
        data: dict[str, Any] | None = None,
    ) -> LifecycleRecord:  # fmt: skip
        """A new subject begins in ``state`` (one of the initial states)."""
        if state not in self.initial:
            raise ValueError(f"a {self.subject} cannot start as {state}")
        subject.state = state
        return LifecycleRecord(self.subject, "create", None, state, actor, now, note, data or {})

    def apply(
        self, subject: Stateful, event: str, actor: Actor, *, now: datetime, note: str = "",
        data: dict[str, Any] | None = None, facts: Mapping[str, Any] | None = None,
    ) -> LifecycleRecord:  # fmt: skip
        """Check and perform ``event``; return the audit record to persist with the change.

        Raises:
            InvalidTransition: wrong state or a guard refused (HTTP 409, with the reason).
            Forbidden: the actor's role may not trigger this event.
        """
        before = subject.state
        refusal = self.refusal(before, event, actor.role, subject, facts)
        if refusal is not None:
            error, reason = refusal
            raise error(reason)
        target = self.steps[event].target
        if target is not None:
            subject.state = target
        return LifecycleRecord(
            self.subject, event, before, subject.state, actor, now, note.strip(), data or {}
        )
