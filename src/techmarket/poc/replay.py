"""Ledger replay of proof-of-concept projects: every step follows ``poc.rules``, with the
centre's funding lines and each project's milestones re-derived from the ledger alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from techmarket.ledger.replay import RuleViolation
from techmarket.poc import rules
from techmarket.poc.rules import Outcome, ProjectStatus, Verdict


@dataclass
class _Project:
    centre_id: int
    status: ProjectStatus = ProjectStatus.applied
    verdicts: dict[int, Verdict | None] = field(default_factory=dict)


class PocProjects:
    families: tuple[str, ...] = ("poc.",)

    def __init__(self) -> None:
        self.lines: dict[int, set[int]] = {}  # centre id -> its declared funding lines
        self.projects: dict[int, _Project] = {}

    def feed(self, index: int, body: dict[str, Any]) -> None:
        try:
            self._apply(body["type"], body["data"])
        except rules.Refusal as refusal:
            raise RuleViolation(index, f"{body['type']}: {refusal.message}") from None
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleViolation(index, f"malformed {body['type']}: {exc!r}") from None

    def _project(self, data: dict[str, Any]) -> _Project:
        found = self.projects.get(data["project_id"])
        if found is None:
            raise ValueError(f"project {data['project_id']} was never applied for")
        return found

    def _apply(self, type_: str, data: dict[str, Any]) -> None:
        if type_ == rules.PROFILE:
            self.lines.setdefault(data["centre_id"], set())
        elif type_ == rules.LINE:
            self.lines.setdefault(data["centre_id"], set()).add(data["line_id"])
        elif type_ == rules.APPLIED:
            if data["project_id"] in self.projects:
                raise ValueError(f"project {data['project_id']} applied for twice")
            self.projects[data["project_id"]] = _Project(data["centre_id"])
        elif type_ == rules.SCREENED:
            project = self._project(data)
            project.status = rules.screen(project.status, data["accepted"] is True)
        elif type_ == rules.PLANNED:
            project = self._project(data)
            milestones = data["milestones"]
            tranches = [(m["line_id"], m["tranche_fen"]) for m in milestones]
            lines = self.lines.get(project.centre_id, set())
            project.status = rules.plan(project.status, lines, tranches)
            project.verdicts = {m["milestone_id"]: None for m in milestones}
        elif type_ == rules.JUDGED:
            project = self._project(data)
            milestone = data["milestone_id"]
            if milestone not in project.verdicts:
                raise ValueError(f"milestone {milestone} is not in the project's plan")
            rules.judge(project.status, project.verdicts[milestone])
            project.verdicts[milestone] = Verdict(data["verdict"])
        elif type_ == rules.CLOSED_EVENT:
            project = self._project(data)
            project.status = rules.close(
                project.status,
                Outcome(data["outcome"]),
                list(project.verdicts.values()),
                data["trl_before"],
                data["trl_after"],
            )
        else:
            raise ValueError(f"unknown event type {type_}")

    def finish(self) -> None:
        pass
