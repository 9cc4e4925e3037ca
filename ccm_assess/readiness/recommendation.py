"""In-house vs managed vs hybrid: a choice made on economics and execution capacity
(docs/model.md "Recommendation"); the launch plan for the chosen model is `plan.py`.

The choice follows the first rule in `RULES` whose condition holds:

| rule | when | choice |
|---|---|---|
| R1 | no model earns money over the horizon | none: don't start now (`start_now` False) |
| R2 | hours set aside cover under 40% of what the panel needs (not assessed = 0) | managed |
| R3 | hours cover 80%+ and operations are ready | the model with the highest horizon net |
| R4 | hours cover 40-80% and operations are ready | in-house if it nets most, else hybrid |
| R5 | hours cover 40%+ but operations are not ready | hybrid |

Operations are ready when ownership, documentation and monthly workflow each score 60+ (a
domain not assessed is not ready). If the chosen model loses money over the horizon while
another earns, the highest-earning model is chosen instead. Money is the Monte Carlo median
(`p50_horizon_net`, ...) where the scenario has it, else the value at the defaults; it is the
net after the value of the practitioners' time (the cash figure is shown beside it). Before the
Monte Carlo decision is known, confidence is "high" with no caveat, "medium" with one, "low"
with two or more (always "low" under R1); caveats: the choice does not net the most; its P10
horizon net is below zero; capacity was not assessed; under half of the questions were
assessed. `with_decision` then sets it from the share of simulations in which the choice beats
the runner-up. Thresholds are our assumptions [A].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ccm_assess.finance.decision import Decision
from ccm_assess.finance.model import ScenarioResult
from ccm_assess.readiness.scoring import Readiness, round_score

MODELS = ("in_house", "managed", "hybrid")
MODEL_NAMES = {"in_house": "in-house", "managed": "managed", "hybrid": "hybrid"}
PRODUCTIVE_HOURS_PER_FTE = 2080 * 0.80  # paid hours x productive share [A], 1664 h/year
COVERED_SHARE = 0.8  # [A] hours set aside / hours needed for "covered"
PARTLY_COVERED_SHARE = 0.4  # [A]
OPERATIONS_READY_SCORE = 60.0  # [A] ownership, documentation, workflow each at least this
OPERATIONS = ("ownership", "documentation", "monthly_workflow")
CONFIDENCE = ("high", "medium", "low")
CONFIDENT_WIN_SHARE = 0.8  # [A] the choice wins in 8 of 10 simulations or more: high
LIKELY_WIN_SHARE = 0.6  # [A] 6 of 10 or more: medium


@dataclass(frozen=True)
class Facts:
    """What the rules look at."""

    coverage: float  # hours set aside / hours needed; 0 when not assessed
    operations_ready: bool
    best: str  # model with the highest horizon net
    earning: frozenset[str]  # models with a positive horizon net


@dataclass(frozen=True)
class Rule:
    id: str
    when: str
    then: str
    applies: Callable[[Facts], bool]
    choose: Callable[[Facts], str]


RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "No model earns money over the horizon (after the practitioners' time)",
        "don't start now",
        lambda f: not f.earning,
        lambda f: f.best,
    ),
    Rule(
        "R2",
        f"Staff hours set aside cover under {PARTLY_COVERED_SHARE:.0%} of the need "
        "(not assessed counts as none)",
        "managed",
        lambda f: f.coverage < PARTLY_COVERED_SHARE,
        lambda f: "managed",
    ),
    Rule(
        "R3",
        f"Hours cover {COVERED_SHARE:.0%}+ and operations are ready",
        "the model that nets most",
        lambda f: f.coverage >= COVERED_SHARE and f.operations_ready,
        lambda f: f.best,
    ),
    Rule(
        "R4",
        "Hours partly covered and operations are ready",
        "in-house if it nets most, otherwise hybrid",
        lambda f: f.operations_ready,
        lambda f: "in_house" if f.best == "in_house" else "hybrid",
    ),
    Rule(
        "R5",
        "Hours at least partly covered but operations are not ready",
        "hybrid",
        lambda f: True,
        lambda f: "hybrid",
    ),
)


@dataclass(frozen=True)
class Recommendation:
    """The option to take (`option`: a delivery model, or "none" when no model pays: don't
    start now), the model to start with when the practice does start (`choice`), why, and
    what would change the choice."""

    choice: str  # in_house | managed | hybrid
    rule: str
    reasons: tuple[str, ...]
    would_change: tuple[str, ...]
    confidence: str
    hours_needed_per_week: float
    hours_available_per_week: float | None  # None = not assessed
    decision_sentences: tuple[str, ...] = ()  # win share and tipping points (finance/decision.py)
    start_now: bool = True
    why: tuple[str, ...] = ()  # three sentences an owner can repeat (`owner_why`)

    @property
    def option(self) -> str:
        """The decision among the four options: the chosen model, or "none"."""
        return self.choice if self.start_now else "none"


def hours_per_week(
    ftes: float, productive_hours_per_fte: float = PRODUCTIVE_HOURS_PER_FTE
) -> float:
    """Clinical staff hours a week for `ftes` full-time staff (productive hours / 52 weeks)."""
    return ftes * productive_hours_per_fte / 52


def _money(amount: float) -> str:
    text = f"${abs(amount):,.0f}"
    return f"a loss of {text}" if amount < 0 else text


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def _score(readiness: Readiness, domain: str) -> str:
    score = round_score(readiness.domains[domain].score)
    return "not assessed" if score is None else f"{score}/100"


def _net(scenario: ScenarioResult) -> float:
    """The horizon net the choice is made on: the Monte Carlo median where simulated (USD)."""
    return scenario.central("horizon_net") or 0.0


def _net_text(scenario: ScenarioResult) -> str:
    """'$168,411 in cash, a loss of $62,191 after your practitioners' time' (medians)."""
    cash = _money(scenario.central("cash_horizon_net") or 0.0)
    return f"{cash} in cash, {_money(_net(scenario))} after your practitioners' time"


def _economics(scenarios: Mapping[str, ScenarioResult], choice: str, years: str) -> list[str]:
    nets = ", ".join(f"{MODEL_NAMES[m]} {_net_text(scenarios[m])}" for m in MODELS)
    chosen = scenarios[choice]
    month = chosen.central("break_even_month")
    month = None if month is None else int(month)
    low, _ = chosen.band("horizon_net")
    paid_back = (
        f"pays back its start-up costs in month {month}"
        if month
        else (f"does not pay back within {years}")
    )
    return [
        f"Net over {years} (the middle of our simulations): {nets}; not starting nets $0.",
        f"The {MODEL_NAMES[choice]} model {paid_back}; in a bad case (1 run in 10 does worse) "
        f"it nets {_money(low or 0.0)}.",
    ]


def _compliance(readiness: Readiness, choice: str) -> list[str]:
    out = []
    if readiness.has_24_7_access is False:
        fix = (
            "ask the vendor whether its nurses cover nights and weekends"
            if choice == "managed"
            else "budget for an on-call rota or answering service with chart access"
        )
        out.append(
            f"Patients cannot yet reach a clinician who sees their care plan 24/7, which "
            f"CMS requires before billing: {fix}."
        )
    if readiness.has_certified_ehr is False:
        out.append(
            "CCM must be recorded in a certified EHR; that gap has to close whichever "
            "model you choose."
        )
    return out


def _would_change(
    choice: str,
    facts: Facts,
    needed: float,
    scenarios: Mapping[str, ScenarioResult],
    readiness: Readiness,
    years: str,
) -> list[str]:
    net = {m: _net(scenarios[m]) for m in MODELS}
    weak = [
        readiness.domains[d].title.lower()
        for d in OPERATIONS
        if (readiness.domains[d].score or 0) < OPERATIONS_READY_SCORE
    ]
    if not facts.earning:
        return [
            f"Don't start now: no model pays back within {years} once your practitioners' time "
            "is counted. Higher enrolment, lower costs or practitioners with room in their "
            "schedules would change that; rerun the assessment with the practice's own figures."
        ]
    if choice == "managed":
        out = []
        hours = f"Setting aside about {needed * COVERED_SHARE:.0f} clinical staff hours a week"
        if net["hybrid"] > net["managed"]:
            out.append(
                f"{hours} would make hybrid workable (your staff give the care, a partner "
                f"runs the operations); it would keep about "
                f"{_money(net['hybrid'] - net['managed'])} more over {years}."
            )
        if net["in_house"] > net["managed"]:
            ready = (
                ""
                if facts.operations_ready
                else (f" once {_join(weak)} reach {OPERATIONS_READY_SCORE:.0f}/100")
            )
            out.append(
                f"{hours} would make in-house workable{ready}; it would keep about "
                f"{_money(net['in_house'] - net['managed'])} more over {years}."
            )
        return out or [
            "Managed also nets the most here, so only higher vendor fees or lower "
            "staff costs would change the choice."
        ]
    if choice == "hybrid":
        out = [
            f"If fewer than {needed * PARTLY_COVERED_SHARE:.0f} staff hours a week can be set "
            "aside, managed becomes the safer choice."
        ]
        if net["in_house"] > net["hybrid"]:
            out.insert(
                0,
                f"If {_join(weak) or 'operations'} reached "
                f"{OPERATIONS_READY_SCORE:.0f}/100 and {needed * COVERED_SHARE:.0f}+ staff "
                f"hours a week were set aside, in-house would keep about "
                f"{_money(net['in_house'] - net['hybrid'])} more over {years}.",
            )
        return out
    runner = max((m for m in MODELS if m != choice), key=net.__getitem__)
    return [
        f"If the hours set aside fall below {needed * COVERED_SHARE:.0f} a week or the CCM owner "
        "leaves, switch to hybrid so the operations keep running.",
        f"{MODEL_NAMES[choice].capitalize()} nets {_money(net[choice] - net[runner])} more than "
        f"{MODEL_NAMES[runner]} over {years}; if costs ran that much above plan, "
        f"{MODEL_NAMES[runner]} would be the better choice.",
    ]


def recommend(
    readiness: Readiness,
    scenarios: Mapping[str, ScenarioResult],
    ftes_needed: float,
    *,
    productive_hours_per_fte: float = PRODUCTIVE_HOURS_PER_FTE,
    horizon_months: int = 36,
    hours_needed_per_week: float | None = None,
) -> Recommendation:
    """Choose in-house, managed or hybrid by `RULES` from the readiness answers, each model's
    result (`finance.model.ScenarioResult`, its Monte Carlo medians where simulated; money in
    USD over `horizon_months`) and the steady-state FTEs the panel needs (or, better,
    `hours_needed_per_week` from the model's monthly hours series: the in-house staff hours
    besides the billing practitioner's)."""
    missing = [m for m in MODELS if m not in scenarios]
    if missing:
        raise ValueError(f"recommend() needs the results of {', '.join(missing)}")
    if hours_needed_per_week is None:
        needed = hours_per_week(ftes_needed, productive_hours_per_fte)
    else:  # the model's own monthly hours series; FTEs shown at the productive share in use
        needed = hours_needed_per_week
        ftes_needed = needed * 52 / productive_hours_per_fte
    available = readiness.dedicated_hours_per_week
    net = {m: _net(scenarios[m]) for m in MODELS}
    facts = Facts(
        coverage=(available or 0) / needed if needed > 0 else float("inf"),
        operations_ready=all(
            (readiness.domains[d].score or 0) >= OPERATIONS_READY_SCORE for d in OPERATIONS
        ),
        best=max(MODELS, key=net.__getitem__),
        earning=frozenset(m for m in MODELS if net[m] > 0),
    )
    rule = next(r for r in RULES if r.applies(facts))
    choice = rule.choose(facts)
    if choice not in facts.earning and facts.earning:
        choice = facts.best
    years = f"{horizon_months / 12:g} years"

    have = (
        "was not assessed, so we counted none"
        if available is None
        else f"is {available:.0f} hours a week ({facts.coverage:.0%} of the need)"
    )
    reasons = [
        f"Run in-house, your eligible patients need about {needed:.0f} staff hours a week in the "
        f"final year ({ftes_needed:.1f} full-time staff: care, enrolment and the program owner; "
        f"the billing practitioner's time comes on top); the time you can set aside {have}.",
        f"Ownership scores {_score(readiness, 'ownership')}, documentation "
        f"{_score(readiness, 'documentation')} and the monthly workflow "
        f"{_score(readiness, 'monthly_workflow')}: the day-to-day running of the program is "
        + ("in place." if facts.operations_ready else "not in place yet."),
        *_economics(scenarios, choice, years),
        *_compliance(readiness, choice),
    ]
    caveats = [
        choice != facts.best,
        (scenarios[choice].band("horizon_net")[0] or 0.0) < 0,
        available is None,
        readiness.score is None,  # too few questions assessed for an overall score
    ]
    level = len(CONFIDENCE) - 1 if rule.id == "R1" else min(sum(caveats), len(CONFIDENCE) - 1)
    return Recommendation(
        choice=choice,
        rule=rule.id,
        reasons=tuple(reasons),
        would_change=tuple(_would_change(choice, facts, needed, scenarios, readiness, years)),
        confidence=CONFIDENCE[level],
        hours_needed_per_week=needed,
        hours_available_per_week=available,
        start_now=rule.id != "R1",
    )


def with_decision(recommendation: Recommendation, decision: Decision) -> Recommendation:
    """The recommendation with its confidence from the Monte Carlo win share (high from
    `CONFIDENT_WIN_SHARE`, medium from `LIKELY_WIN_SHARE`, else low), the decision's plain
    sentences and the three-sentence `why`."""
    if decision.win_share < LIKELY_WIN_SHARE:
        confidence = "low"
    else:
        confidence = "high" if decision.win_share >= CONFIDENT_WIN_SHARE else "medium"
    return dataclasses.replace(
        recommendation,
        confidence=confidence,
        decision_sentences=decision.sentences,
        why=owner_why(decision),
    )


def owner_why(decision: Decision) -> tuple[str, ...]:
    """Why, in three sentences: what we recommend and what it brings in (cash, and after the
    practitioners' time: the Monte Carlo medians), how it compares with the next best option,
    and the first thing that would change the choice (none without the medians)."""
    chosen, runner = decision.recommended, decision.runner_up
    if chosen not in decision.medians or runner not in decision.medians:
        return ()
    label = {**MODEL_NAMES, "none": "not starting"}
    cash, after = decision.cash_medians, decision.medians
    if chosen == "none":
        first = (
            f"Don't start CCM now: the best way to start, {label[runner]}, would net "
            f"{_money(cash[runner])} in cash but {_money(after[runner])} once your "
            "practitioners' time is valued (the middle of our simulations)."
        )
        second = (
            f"It loses money after that time in {decision.win_share:.0%} of the simulations, "
            "and the other ways of starting do worse."
        )
    else:
        first = (
            f"Start with {label[chosen]}: over the plan it nets {_money(cash[chosen])} in cash "
            f"and {_money(after[chosen])} after the value of your practitioners' time (the "
            "middle of our simulations)."
        )
        second = (
            f"That is {_money(after[chosen] - after[runner])} more than "
            f"{label[runner]}, and it comes out ahead in {decision.win_share:.0%} of the "
            "simulations."
            if runner != "none"
            else f"It makes money in {decision.win_share:.0%} of the simulations, and the "
            "other ways of starting lose money."
        )
    changes = [t.sentence for t in decision.tipping_points if t.flips_at is not None]
    third = (changes or [t.sentence for t in decision.tipping_points] or [""])[0]
    return first, second, third
