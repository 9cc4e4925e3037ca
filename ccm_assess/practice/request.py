"""The run options of one assessment, the same from every entry point.

`AssessmentRequest` holds what a consultant chooses for a run besides the input files: the
as-of date, the practice name, the fee schedule year, the Medicare locality, the rate setting,
the list of chronic conditions and the horizon. `ccm-assess run`, `check` (as-of date and
conditions), `batch`, the report notebook's parameters and the scenario explorer each build one
and hand it to `assessment.assess`, so an option cannot be lost on the way (issue 23:
`run --conditions` was accepted and never used).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ccm_assess.clinical.eligibility import LEVELS, Eligibility, assess_eligibility
from ccm_assess.errors import AssumptionsError, CcmAssessError
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.intake.panel import Panel

SETTINGS = {"office": "non_facility", "facility": "facility", "rhc_fqhc": "non_facility"}
"""--setting -> the fee schedule column: office (non-facility) rates; facility rates for
hospital-based clinics; rhc_fqhc: rural health clinics and FQHCs, paid for care management at
the national non-facility PFS amount (no locality adjustment) outside their all-inclusive rate,
coinsurance applying (42 CFR 405.2464(c); G0511 not payable from 1 Oct 2025:
docs/honest_numbers.md)."""
HORIZON_YEARS = (3, 5)
"""--years: the horizons the report is written for (years; the model runs 12 x years months)."""


def paid_locality(locality: str | None, setting: str) -> str | None:
    """The locality whose rates a setting is paid at: none (national) for RHCs and FQHCs
    (`SETTINGS`), else `locality`."""
    return None if setting == "rhc_fqhc" else locality


@dataclass(frozen=True)
class AssessmentRequest:
    """The options of one assessment (`ccm-assess run --help` documents each).

    `locality` is the text the user gave ("TX 99", "Austin, TX"; None: national rates);
    `conditions` a level of `eligibility.LEVELS`; `setting` a key of `SETTINGS`; `years` the
    horizon in years (`HORIZON_YEARS`), None for the assumptions' `horizon_months` (36 months,
    3 years, unless an assumptions file sets another); `start` the launch plan's decision date.
    """

    as_of: dt.date = field(default_factory=dt.date.today)
    practice: str = ""
    year: int = 2026
    locality: str | None = None
    conditions: str = "standard"
    setting: str = "office"
    years: int | None = None
    start: dt.date | None = None
    """The decision date: week 1 of the launch plan starts on it (None: the day it is made)."""

    def __post_init__(self) -> None:
        if self.conditions not in LEVELS:
            raise CcmAssessError(
                f"--conditions must be one of {', '.join(LEVELS)}, not {self.conditions!r}"
            )
        if self.setting not in SETTINGS:
            raise CcmAssessError(
                f"--setting must be one of {', '.join(SETTINGS)}, not {self.setting!r}"
            )
        if self.years is not None and self.years not in HORIZON_YEARS:
            raise CcmAssessError(
                f"--years must be {' or '.join(map(str, HORIZON_YEARS))}, not {self.years!r}"
            )

    @property
    def rates_locality(self) -> str | None:
        """The locality whose rates apply (`paid_locality`)."""
        return paid_locality(self.locality, self.setting)

    def eligibility(
        self, panel: Panel, assumptions: Assumptions, *, evidence_text: bool = True
    ) -> Eligibility:
        """Who qualifies on the request's as-of date and list of conditions: what `check`
        prints and `assess` models, from this one call (`evidence_text`: as
        `assess_eligibility`)."""
        return assess_eligibility(
            panel,
            self.as_of,
            ma_pays_ccm=assumptions.ma_pays_ccm,
            conditions=self.conditions,
            evidence_text=evidence_text,
        )

    def horizon(self, assumptions: Assumptions) -> Assumptions:
        """`assumptions` with `horizon_months` = 12 x `years` (unchanged when `years` is None).

        AssumptionsError when the assumptions already set another horizon: the run would
        otherwise overrule one of the two without saying so.
        """
        if self.years is None or assumptions.horizon_months == 12 * self.years:
            return assumptions
        if "horizon_months" in assumptions.changed():
            raise AssumptionsError(
                f"--years {self.years} asks for {12 * self.years} months, but the assumptions "
                f"set horizon_months to {assumptions.horizon_months}: drop one of the two"
            )
        return assumptions.with_values(horizon_months=12 * self.years)

    def parameters(self) -> dict[str, object]:
        """The request as the report notebook's papermill parameters (`from_parameters`)."""
        return {
            "as_of": self.as_of.isoformat(),
            "practice": self.practice,
            "year": self.year,
            "locality": self.locality or "",
            "conditions_level": self.conditions,
            "setting": self.setting,
            "years": self.years or 0,
            "start": self.start.isoformat() if self.start else "",
        }

    @classmethod
    def from_parameters(
        cls,
        *,
        as_of: str = "",
        practice: str = "",
        year: int = 2026,
        locality: str = "",
        conditions_level: str = "standard",
        setting: str = "office",
        years: int = 0,
        start: str = "",
    ) -> AssessmentRequest:
        """A request from notebook parameters, texts as papermill passes them: "" (and years
        0) mean not given (as_of and start: today; locality: national; years: the
        assumptions')."""
        return cls(
            as_of=dt.date.fromisoformat(as_of) if as_of else dt.date.today(),
            practice=practice,
            year=int(year),
            locality=locality or None,
            conditions=conditions_level,
            setting=setting,
            years=int(years) or None,
            start=dt.date.fromisoformat(start) if start else None,
        )
