"""The auditor's replay of proof-of-concept projects: the ledger of a real project passes,
and correctly hashed events the rules would never have allowed are reported."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.audit import rule_books
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.replay import RuleViolation
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.poc.replay import PocProjects
from tests.conftest import START
from tests.ledger.helpers import export_lines, public_key
from tests.poc.helpers import active, judge, setting, step


async def _verify(client: httpx.AsyncClient) -> None:
    verifier = Verifier.parse(await public_key(client))
    verify_export(await export_lines(client), verifier, rule_books=rule_books())


async def test_the_replay_refuses_a_forged_verdict_on_a_closed_project(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    project = await active(client, s, (10_000_000, 10_000_000))
    await judge(client, s, project, 1, "not_met")
    await step(client, s.centre, f"{project['id']}/close", {"outcome": "failed"})
    await _verify(client)  # the real project keeps every rule

    forged = await ledger.append(
        session,
        "poc.milestone_judged",
        f"poc/{project['id']}",
        {
            "project_id": project["id"],
            "milestone_id": project["milestones"][1]["id"],
            "verdict": "met",
            "evidence_sha256": "0" * 64,
            "tranche_fen": 10_000_000,
            "line_id": s.line_id,
            "by_user_id": s.centre.user.id,
        },
        START,
    )
    await session.commit()
    with pytest.raises(VerificationFailed) as failed:
        await _verify(client)
    assert failed.value.index == forged
    assert "the project is failed: verdicts are for active ones" in failed.value.message


def _feed(book: PocProjects, *events: tuple[str, dict[str, Any]]) -> None:
    for index, (type_, data) in enumerate(events):
        book.feed(index, {"type": type_, "data": data})


APPLIED = ("poc.applied", {"project_id": 1, "centre_id": 10, "applicant_id": 20, "trl": 4})
LINE = ("poc.funding_line", {"centre_id": 10, "line_id": 5, "name": "基金", "amount_fen": 100})
ACCEPTED = ("poc.screened", {"project_id": 1, "accepted": True})
PLANNED = (
    "poc.planned",
    {"project_id": 1, "milestones": [{"milestone_id": 7, "line_id": 5, "tranche_fen": 50}]},
)
MET = ("poc.milestone_judged", {"project_id": 1, "milestone_id": 7, "verdict": "met"})


def _closed(outcome: str, before: int, after: int | None) -> tuple[str, dict[str, Any]]:
    data = {"project_id": 1, "outcome": outcome, "trl_before": before, "trl_after": after}
    return ("poc.closed", data)


def test_a_tranche_from_a_line_the_centre_never_declared_is_refused() -> None:
    other_line = ("poc.funding_line", {**LINE[1], "centre_id": 11})
    with pytest.raises(RuleViolation, match="funding line 5 is not one of the centre's"):
        _feed(PocProjects(), other_line, APPLIED, ACCEPTED, PLANNED)


def test_only_a_passed_project_changes_the_trl() -> None:
    _feed(PocProjects(), LINE, APPLIED, ACCEPTED, PLANNED, MET, _closed("passed", 4, 7))
    with pytest.raises(RuleViolation, match="only a passed project changes the TRL"):
        _feed(PocProjects(), LINE, APPLIED, ACCEPTED, PLANNED, MET, _closed("stopped", 4, 7))


def test_a_project_closes_only_once() -> None:
    with pytest.raises(RuleViolation, match="already closed passed"):
        _feed(
            PocProjects(),
            LINE,
            APPLIED,
            ACCEPTED,
            PLANNED,
            MET,
            _closed("passed", 4, 7),
            _closed("stopped", 7, None),
        )


def test_a_verdict_needs_an_agreed_plan() -> None:
    with pytest.raises(RuleViolation, match="milestone 7 is not in the project's plan"):
        _feed(PocProjects(), LINE, APPLIED, ACCEPTED, MET)
