"""The rules of a proof-of-concept project, pure (no I/O): the service applies them at each
step and the offline verifier's replay (``poc.replay``) applies them to the ledger.

A project is applied for, screened (accepted or declined, 项目遴选), planned (milestones,
each with a funding tranche from one of the centre's declared lines), its milestones
judged met or not met, and closed once: passed, failed or stopped."""

from __future__ import annotations

import hashlib
from enum import StrEnum


class ProjectStatus(StrEnum):
    applied = "applied"
    accepted = "accepted"  # screened in, plan not yet agreed
    declined = "declined"
    active = "active"  # plan agreed: milestones are being shown
    passed = "passed"
    failed = "failed"
    stopped = "stopped"


class Verdict(StrEnum):
    met = "met"
    not_met = "not_met"


class Outcome(StrEnum):
    passed = "passed"
    failed = "failed"
    stopped = "stopped"


CLOSED = frozenset({ProjectStatus.passed, ProjectStatus.failed, ProjectStatus.stopped})
# Where each step may start from.
SCREENABLE = frozenset({ProjectStatus.applied})
PLANNABLE = frozenset({ProjectStatus.accepted})
JUDGEABLE = frozenset({ProjectStatus.active})
CLOSABLE = {
    Outcome.passed: frozenset({ProjectStatus.active}),
    Outcome.failed: frozenset({ProjectStatus.active}),
    # A centre may stop a project it accepted before a plan was agreed.
    Outcome.stopped: frozenset({ProjectStatus.accepted, ProjectStatus.active}),
}

# Ledger event types, one per step.
APPLIED = "poc.applied"
SCREENED = "poc.screened"
PLANNED = "poc.planned"
JUDGED = "poc.milestone_judged"
CLOSED_EVENT = "poc.closed"
PROFILE = "poc.centre_profile"
LINE = "poc.funding_line"

MAX_TRL = 9


class Refusal(Exception):
    """A step the rules do not allow; ``code`` is the stable error code the service raises."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def screen(status: ProjectStatus, accept: bool) -> ProjectStatus:
    if status not in SCREENABLE:
        raise Refusal(
            "poc_not_applied", f"the project is {status}: only an application is screened"
        )
    return ProjectStatus.accepted if accept else ProjectStatus.declined


def plan(
    status: ProjectStatus, line_ids: set[int], tranches: list[tuple[int, int]]
) -> ProjectStatus:
    """Agree the plan: ``tranches`` are (line id, fen) of each milestone, every one from a
    line the centre declared."""
    if status not in PLANNABLE:
        raise Refusal("poc_not_accepted", f"the project is {status}: a plan follows acceptance")
    if not tranches:
        raise Refusal("poc_plan_empty", "a plan has at least one milestone")
    for line_id, fen in tranches:
        if line_id not in line_ids:
            raise Refusal("poc_unknown_line", f"funding line {line_id} is not one of the centre's")
        if fen < 0:
            raise Refusal("poc_unknown_line", "a tranche is not negative")
    return ProjectStatus.active


def judge(status: ProjectStatus, verdict: Verdict | None) -> None:
    """A milestone's verdict: only on an active project, and only once."""
    if status not in JUDGEABLE:
        raise Refusal("poc_not_active", f"the project is {status}: verdicts are for active ones")
    if verdict is not None:
        raise Refusal("poc_milestone_judged", f"the milestone was already judged {verdict}")


def close(
    status: ProjectStatus,
    outcome: Outcome,
    verdicts: list[Verdict | None],
    trl_before: int,
    trl_after: int | None,
) -> ProjectStatus:
    """Close once. Passed needs every milestone met and may raise the TRL (never lower it);
    failed and stopped change no TRL."""
    if status in CLOSED:
        raise Refusal("poc_closed", f"the project was already closed {status}")
    if status not in CLOSABLE[outcome]:
        raise Refusal("poc_not_active", f"the project is {status}: it cannot close {outcome}")
    if outcome == Outcome.passed:
        if any(v != Verdict.met for v in verdicts):
            raise Refusal("poc_milestones_unmet", "passed needs every milestone met")
        if trl_after is not None and not trl_before <= trl_after <= MAX_TRL:
            raise Refusal("poc_trl_change", f"the TRL goes from {trl_before} up to at most 9")
    elif trl_after is not None:
        raise Refusal("poc_trl_change", "only a passed project changes the TRL")
    return ProjectStatus(outcome.value)


def commit_text(text: str, salt: str) -> str:
    """The salted SHA-256 commitment to a confidential text (evidence, reasons) that the
    ledger records without showing: its parties can later prove what was written."""
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()
