"""Readiness scores: questionnaire answers -> domain scores, gaps, maturity and CMS flags.

Weights, maturity thresholds and gap actions come from the questionnaire definition
(questionnaire.py, `data/questionnaire.yaml`; our assumptions [A], docs/readiness.md).
A blank answer is "not assessed": it is left out of the scores and never counted as yes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ccm_assess.readiness.questionnaire import (
    Answer,
    Answers,
    Question,
    Questionnaire,
    questionnaire_definition,
)


@dataclass(frozen=True)
class DomainScore:
    """A domain's score 0-100 over its assessed scored questions (None if none assessed)."""

    domain: str
    title: str
    weight: float
    score: float | None
    assessed: int
    questions: int


@dataclass(frozen=True)
class Gap:
    """An answer short of full marks, with the action that closes it.

    `impact` = points of the overall 0-100 score lost: 100 x domain weight x question weight /
    sum of the domain's question weights x shortfall (1 - the answer's score)."""

    question: str
    domain: str
    label: str
    answer: str
    shortfall: float
    impact: float
    cms_required: bool
    action: str
    owner: str
    weeks: tuple[int, int]
    why: str
    model_actions: Mapping[str, str] = field(default_factory=dict)

    def action_for(self, model: str | None) -> str:
        """The action phrased for a delivery model (in-house wording when none is given)."""
        return self.model_actions.get(model or "", self.action)

    @property
    def weeks_text(self) -> str:
        first, last = self.weeks
        return str(first) if first == last else f"{first}-{last}"


@dataclass(frozen=True)
class Readiness:
    """Scores, gaps (CMS-required first, then by impact), capacity numbers and CMS flags.
    Capacity and flags are None when the question was not assessed."""

    score: float | None
    maturity: str
    domains: Mapping[str, DomainScore]
    gaps: tuple[Gap, ...]
    not_assessed: tuple[str, ...]
    assessed_share: float
    dedicated_hours_per_week: float | None
    coordination_hours_per_week: float | None
    billing_practitioners: int | None
    staff_roles: str | None
    has_certified_ehr: bool | None
    has_24_7_access: bool | None
    answers: Answers


def _answer_score(question: Question, value: Answer, scale: Mapping[str, float]) -> float:
    """An assessed answer's score 0-1."""
    if question.type == "yes_partly_no":
        return scale[str(value)]
    if question.type == "choice":
        return next(o.score for o in question.options if o.key == value)
    return min(float(value) / question.full_at, 1.0) if question.full_at else 1.0  # type: ignore[arg-type]


def _answer_text(question: Question, value: Answer) -> str:
    if question.type == "choice":
        return next(o.label for o in question.options if o.key == value)
    return f"{value:g} {question.unit}" if question.type == "number" else str(value)


def _meets(question: Question, value: Answer) -> bool | None:
    """Whether a choice answer meets the CMS requirement; None when not assessed."""
    if value is None:
        return None
    return any(o.meets for o in question.options if o.key == value)


def _maturity(score: float | None, share: float, definition: Questionnaire) -> str:
    if share < definition.min_assessed_share:
        return "Not enough answers"
    return [label for label, low in definition.maturity if score >= low][-1]  # type: ignore[operator]


def score_readiness(answers: Answers) -> Readiness:
    """Domain scores (weighted mean of answer scores x 100 over assessed questions), overall
    score (domain-weighted mean over assessed domains; None when fewer than
    `min_assessed_share` of the questions are assessed), maturity label, ranked gaps."""
    definition = questionnaire_definition()
    values = answers.values
    domains: dict[str, DomainScore] = {}
    gaps: list[Gap] = []
    for domain in definition.domains.values():
        questions = [q for q in definition.questions if q.domain == domain.id]
        scored = [q for q in questions if q.weight > 0]
        total_weight = sum(q.weight for q in scored)
        assessed = [q for q in scored if values.get(q.id) is not None]
        points = {q.id: _answer_score(q, values[q.id], definition.scale) for q in assessed}
        weight = sum(q.weight for q in assessed)
        score = 100 * sum(q.weight * points[q.id] for q in assessed) / weight if weight else None
        domains[domain.id] = DomainScore(
            domain.id,
            domain.title,
            domain.weight,
            score,
            assessed=sum(values.get(q.id) is not None for q in questions),
            questions=len(questions),
        )
        gaps += [
            Gap(
                q.id,
                q.domain,
                q.label,
                _answer_text(q, values[q.id]),
                1 - points[q.id],
                100 * domain.weight * q.weight / total_weight * (1 - points[q.id]),
                q.cms_required,
                q.action,
                q.owner,
                q.weeks,
                q.why,
                q.model_actions,
            )
            for q in assessed
            if points[q.id] < 1
        ]
    share = 1 - len(answers.not_assessed) / len(definition.questions)
    rated = [(d.weight, d.score) for d in domains.values() if d.score is not None]
    rated_weight = sum(weight for weight, _ in rated)
    enough = bool(rated) and share >= definition.min_assessed_share
    overall = sum(weight * score for weight, score in rated) / rated_weight if enough else None
    order = {qid: i for i, qid in enumerate(definition.ids)}
    gaps.sort(key=lambda g: (not g.cms_required, -round(g.impact, 9), order[g.question]))

    def number(qid: str) -> float | None:
        value = values.get(qid)
        return None if value is None else float(value)

    practitioners = number("billing_practitioners")
    return Readiness(
        score=overall,
        maturity=_maturity(overall, share, definition),
        domains=domains,
        gaps=tuple(gaps),
        not_assessed=answers.not_assessed,
        assessed_share=share,
        dedicated_hours_per_week=number("dedicated_hours_per_week"),
        coordination_hours_per_week=number("coordination_hours_per_week"),
        billing_practitioners=None if practitioners is None else int(practitioners),
        staff_roles=values.get("staff_roles"),  # type: ignore[arg-type]
        has_certified_ehr=_meets(definition.question("certified_ehr"), values.get("certified_ehr")),
        has_24_7_access=_meets(definition.question("access_24_7"), values.get("access_24_7")),
        answers=answers,
    )


def round_score(value: float | None) -> int | None:
    """Round half up to an int (scores are shown as whole points)."""
    return None if value is None else int(math.floor(value + 0.5))


def readiness_summary(readiness: Readiness) -> dict[str, Any]:
    """The `readiness` key of summary.json (docs/outputs.md); unknown is None."""
    return {
        "score": round_score(readiness.score),
        "maturity": readiness.maturity,
        "assessed_share": round(readiness.assessed_share, 3),
        "domains": {
            key: {"score": round_score(d.score), "assessed": d.assessed, "questions": d.questions}
            for key, d in readiness.domains.items()
        },
        "gaps": [
            {
                "question": g.question,
                "domain": g.domain,
                "action": g.action,
                "owner": g.owner,
                "weeks": g.weeks_text,
                "why": g.why,
                "cms_required": g.cms_required,
                "impact": round(g.impact, 1),
            }
            for g in readiness.gaps
        ],
        "not_assessed": list(readiness.not_assessed),
        "capacity": {
            "dedicated_hours_per_week": readiness.dedicated_hours_per_week,
            "coordination_hours_per_week": readiness.coordination_hours_per_week,
            "billing_practitioners": readiness.billing_practitioners,
            "staff_roles": readiness.staff_roles,
        },
        "requirements": {
            "has_certified_ehr": readiness.has_certified_ehr,
            "has_24_7_access": readiness.has_24_7_access,
        },
    }
