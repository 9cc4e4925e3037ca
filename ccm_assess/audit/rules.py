"""Per patient and calendar month: minutes, supported units, findings and dollars.

The rules are docs/audit.md ("Per patient and calendar month") over the CMS time thresholds of
docs/audit.md ("Billing rules used", with their sources):

- minutes count only on or after the consent date (CMS: consent before services start); the
  billing practitioner's own minutes count toward the clinical-staff lanes too (CPT), and a
  minute counts toward one lane only because one lane is audited per family;
- lanes (`LANES`): 99490 at 20 staff minutes + 99439 per further full 20 (at most 2);
  99487 at 60 + 99489 per further full 30 (complex flag set); 99491 at 30 practitioner minutes
  + 99437 per further full 30; PCM 99426 at 30 staff minutes + 99427 per further 30, 99424 at
  30 practitioner minutes + 99425 per further 30;
- the lanes of the codes billed are the ones audited; with nothing billed, the one lane that
  supports the most revenue.

`audit_months` returns one row per patient-month (index patient_id, month) with every measure,
finding flag and dollar amount (integer cents). Which findings could be assessed (claims and
register given or not) is `Assessed`; a finding that could not be assessed is never "clean".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccm_assess.audit.inputs import care_codes


@dataclass(frozen=True)
class Lane:
    """A time lane: base code at `first` minutes, add-on per further full `step` (`cap` max)."""

    name: str
    program: str  # CCM or PCM
    minutes: str  # "staff" (clinical staff + practitioner) or "practitioner"
    base: str
    first: int
    addon: str
    step: int
    cap: int | None = None


LANES: tuple[Lane, ...] = (
    Lane("ccm", "CCM", "staff", "99490", 20, "99439", 20, 2),
    Lane("complex", "CCM", "staff", "99487", 60, "99489", 30),
    Lane("physician", "CCM", "practitioner", "99491", 30, "99437", 30),
    Lane("pcm_staff", "PCM", "staff", "99426", 30, "99427", 30),
    Lane("pcm_practitioner", "PCM", "practitioner", "99424", 30, "99425", 30),
)
CCM_CODES = tuple(c for lane in LANES[:3] for c in (lane.base, lane.addon))
PCM_CODES = tuple(c for lane in LANES[3:] for c in (lane.base, lane.addon))
TIMED_CODES = CCM_CODES + PCM_CODES
LANE_OF = {code: lane.name for lane in LANES for code in (lane.base, lane.addon)}

FINDINGS = (
    "unsupported_claims",
    "missed_billing",
    "near_threshold",
    "no_consent",
    "no_care_plan",
    "conflicts",
    "billed_after_disenrolment",
    "no_initiating_visit",
)
NEEDS_CLAIMS = frozenset(FINDINGS) - {"near_threshold"}
NEEDS_REGISTER = frozenset(FINDINGS) - {"unsupported_claims", "conflicts"}
CONFLICTS = (
    "conflict_same_ccm_pcm",
    "conflict_apcm",
    "conflict_two_practitioners",
    "conflict_two_lanes",
)
"""The four kinds of conflict (docs/audit.md, findings)."""
HARD_FINDINGS = ("no_consent", "no_care_plan", "conflicts", "billed_after_disenrolment")
"""Findings that put every billed line of the patient-month at risk (docs/audit.md, Dollars)."""
NEAR_THRESHOLD_MINUTES = (15, 20)
"""Staff minutes [15, 20): one more call would have reached 99490."""


@dataclass(frozen=True)
class Assessed:
    """Which inputs the audit had: findings needing a missing input are not assessed."""

    claims: bool
    register: bool
    initiating_visit: bool
    care_plan: bool = True
    """The register has a care-plan date column (else `no_care_plan` is not assessed)."""
    disenrolment: bool = True
    """The register has a disenrolment date column (else `billed_after_disenrolment` is not
    assessed: without the column nobody can be known to have left)."""

    def finding(self, name: str) -> bool:
        column = {
            "no_initiating_visit": self.initiating_visit,
            "no_care_plan": self.care_plan,
            "billed_after_disenrolment": self.disenrolment,
        }
        if not column.get(name, True):
            return False
        return (self.claims or name not in NEEDS_CLAIMS) and (
            self.register or name not in NEEDS_REGISTER
        )


def lane_units(minutes: pd.Series, lane: Lane) -> tuple[pd.Series, pd.Series]:
    """(base units, add-on units) the minutes support in one lane (whole minutes or not)."""
    base = minutes.ge(lane.first).astype(int)
    addon = np.floor((minutes - lane.first) / lane.step).clip(lower=0).astype(int) * base
    if lane.cap is not None:
        addon = addon.clip(upper=lane.cap)
    return base, addon


def month_bounds(months: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last day of each `YYYY-MM` month."""
    period = pd.PeriodIndex(months, freq="M")
    return (
        pd.Series(period.start_time, index=months.index),
        pd.Series(period.end_time.normalize(), index=months.index),
    )


def month_of(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m")


def _minutes(time: pd.DataFrame, register: pd.DataFrame | None) -> pd.DataFrame:
    """Minutes per patient-month: counted ones by program and lane, before consent, other."""
    time = time.assign(month=month_of(time["date"]))
    if register is None:
        counted = pd.Series(True, index=time.index)
    else:
        consent = time["patient_id"].map(register["consent_date"])
        counted = time["date"].ge(consent).fillna(False).astype(bool)
    care = time["program"].isin(["CCM", "PCM"])
    key = time["program"].str.lower() + "_" + time["lane"]
    parts = {
        "all_minutes": time["minutes"],
        "before_consent": time["minutes"].where(care & ~counted, 0),
        **{
            name: time["minutes"].where(care & counted & key.eq(name), 0)
            for name in ("ccm_staff", "ccm_practitioner", "pcm_staff", "pcm_practitioner")
        },
    }
    frame = pd.DataFrame({"patient_id": time["patient_id"], "month": time["month"], **parts})
    return frame.groupby(["patient_id", "month"]).sum()


def _claim_lines(claims: pd.DataFrame) -> pd.DataFrame:
    family = claims["code"].map(
        dict(zip(care_codes()["code"], care_codes()["family"], strict=True))
    )
    return claims.assign(
        month=month_of(claims["date"]),
        ccm=claims["code"].isin(CCM_CODES),
        pcm=claims["code"].isin(PCM_CODES),
        apcm=family.eq("APCM"),
        lane=claims["code"].map(LANE_OF),
    )


def _billed(lines: pd.DataFrame) -> pd.DataFrame:
    """Units per code, practitioners and conflict flags per patient-month."""
    keys = ["patient_id", "month"]
    units = lines[lines["code"].isin(TIMED_CODES)].pivot_table(
        index=keys, columns="code", values="units", aggfunc="sum", fill_value=0
    )
    units = units.reindex(columns=list(TIMED_CODES), fill_value=0).add_prefix("b_")
    per = lines.groupby([*keys, "practitioner"])[["ccm", "pcm", "apcm"]].any()
    flags = (
        pd.DataFrame(
            {
                "ccm_and_pcm": per["ccm"] & per["pcm"],
                "apcm_and_other": per["apcm"] & (per["ccm"] | per["pcm"]),
                "ccm_practitioner": per["ccm"],
            }
        )
        .groupby(level=keys)
        .agg({"ccm_and_pcm": "any", "apcm_and_other": "any", "ccm_practitioner": "sum"})
    )
    ccm_lanes = lines[lines["ccm"]].groupby(keys)["lane"].nunique()
    out = pd.DataFrame(index=flags.index)
    out["conflict_same_ccm_pcm"] = flags["ccm_and_pcm"]
    out["conflict_apcm"] = flags["apcm_and_other"]
    out["conflict_two_practitioners"] = flags["ccm_practitioner"].ge(2)
    out["conflict_two_lanes"] = ccm_lanes.reindex(out.index, fill_value=0).ge(2)
    out["any_claim"] = True
    names = lines[[*keys, "practitioner"]].drop_duplicates().sort_values("practitioner")
    out["practitioners"] = names.groupby(keys)["practitioner"].agg("; ".join)
    return out.join(units.astype(np.int64), how="left")


def audit_months(
    time: pd.DataFrame,
    claims: pd.DataFrame | None,
    register: pd.DataFrame | None,
    rates_cents: dict[int, dict[str, int]],
    *,
    has_visit_column: bool = False,
    has_complex_column: bool = True,
    has_care_plan_column: bool = True,
    has_disenrolment_column: bool = True,
) -> tuple[pd.DataFrame, Assessed]:
    """One row per patient-month with time or a claim (module docstring).

    `time`: patient_id, date, minutes, lane (staff/practitioner), program. `claims`:
    patient_id, date, code, units, practitioner. `register`: one row per patient (index
    patient_id) with consent_date, care_plan_date, disenrolment_date, initiating_visit_date,
    complex, practitioner. `rates_cents`: service year -> code -> cents per unit. A register
    without a care-plan column leaves `no_care_plan` not assessed and does not hold billing
    back for want of a care plan (unknown is not "none"); likewise without a disenrolment
    column nobody counts as disenrolled and `billed_after_disenrolment` is not assessed.
    """
    assessed = Assessed(
        claims is not None,
        register is not None,
        has_visit_column,
        care_plan=has_care_plan_column,
        disenrolment=has_disenrolment_column,
    )
    minutes = _minutes(time, register)
    if claims is not None and len(claims):
        billed = _billed(_claim_lines(claims))
    else:
        billed = pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["patient_id", "month"]))
    pm = minutes.join(billed, how="outer").sort_index()
    keys = pm.index  # the columns are built on a plain index (cheaper), keyed at the end
    pm = pm.reset_index(drop=True)
    index = pm.index

    def take(name: str, fill: object, dtype: object) -> pd.Series:
        if name not in pm:
            return pd.Series(fill, index=index, dtype=dtype)
        return pm[name].fillna(fill).astype(dtype)

    col: dict[str, Any] = {name: take(name, 0.0, float) for name in minutes.columns}
    col.update({f"b_{c}": take(f"b_{c}", 0, np.int64) for c in TIMED_CODES})
    col.update({name: take(name, False, bool) for name in (*CONFLICTS, "any_claim")})
    col["practitioners"] = take("practitioners", "", object)
    patient = pd.Series(keys.get_level_values("patient_id"), index=index)
    month = pd.Series(keys.get_level_values("month"), index=index)
    start, end = month_bounds(month)
    reg = (
        register
        if register is not None
        else pd.DataFrame(
            columns=[
                "consent_date",
                "care_plan_date",
                "disenrolment_date",
                "initiating_visit_date",
                "complex",
                "practitioner",
            ]
        )
    )
    for column in ("consent_date", "care_plan_date", "disenrolment_date", "initiating_visit_date"):
        col[column] = pd.to_datetime(patient.map(reg[column]))
    col["in_register"] = patient.isin(reg.index)
    col["complex_flag"] = patient.map(reg["complex"]).astype("boolean")
    col["register_practitioner"] = patient.map(reg["practitioner"]).astype(object).fillna("")
    col["consented"] = col["consent_date"].le(end).fillna(False).astype(bool)
    col["care_plan"] = col["care_plan_date"].le(end).fillna(False).astype(bool)
    if not has_care_plan_column:
        col["care_plan"] = pd.Series(True, index=index)  # not known: never "no care plan"
    col["disenrolled"] = col["disenrolment_date"].lt(start).fillna(False).astype(bool)

    col["staff_minutes"] = col["ccm_staff"] + col["ccm_practitioner"]
    col["practitioner_minutes"] = col["ccm_practitioner"]
    col["pcm_staff_minutes"] = col["pcm_staff"] + col["pcm_practitioner"]
    col["pcm_practitioner_minutes"] = col["pcm_practitioner"]
    source = {
        "ccm": "staff_minutes",
        "complex": "staff_minutes",
        "physician": "practitioner_minutes",
        "pcm_staff": "pcm_staff_minutes",
        "pcm_practitioner": "pcm_practitioner_minutes",
    }
    complex_documented = col["complex_flag"].fillna(False).astype(bool)
    # without a register (or its complexity column) a billed 99487 is judged on time alone
    complex_known = register is not None and has_complex_column
    complex_ok = complex_documented if complex_known else pd.Series(True, index=index)
    year = pd.PeriodIndex(month, freq="M").year
    rate = (
        pd.DataFrame(
            {
                code: pd.Series(year, index=index).map({y: r[code] for y, r in rates_cents.items()})
                for code in TIMED_CODES
            }
        )
        .fillna(0)
        .astype(np.int64)
    )
    revenue = {}
    for lane in LANES:
        base, addon = lane_units(col[source[lane.name]], lane)
        if lane.name == "complex":
            base, addon = base * complex_ok, addon * complex_ok
        col[f"s_{lane.base}"], col[f"s_{lane.addon}"] = base, addon
        col[f"billed_{lane.name}"] = (col[f"b_{lane.base}"] + col[f"b_{lane.addon}"]).gt(0)
        revenue[lane.name] = base * rate[lane.base] + addon * rate[lane.addon]
    revenue_frame = pd.DataFrame(revenue)
    if register is not None:  # the best lane with nothing billed: complex only when documented
        revenue_frame["complex"] = revenue_frame["complex"].where(complex_documented, 0)
    billed_any = _stack(col, [f"billed_{lane.name}" for lane in LANES]).any(axis=1)
    best = revenue_frame.idxmax(axis=1).where(revenue_frame.max(axis=1).gt(0))
    for lane in LANES:
        audited = col[f"billed_{lane.name}"] | (~billed_any & best.eq(lane.name))
        col[f"audited_{lane.name}"] = audited
        for code in (lane.base, lane.addon):
            col[f"a_{code}"] = col[f"s_{code}"].where(audited, 0)
    col["audited_lanes"] = _joined(col, [lane.name for lane in LANES], "audited_", index)

    b = _stack(col, [f"b_{c}" for c in TIMED_CODES]).to_numpy()
    s = _stack(col, [f"s_{c}" for c in TIMED_CODES]).to_numpy()
    a = _stack(col, [f"a_{c}" for c in TIMED_CODES]).to_numpy()
    r = rate[list(TIMED_CODES)].to_numpy()
    excess = np.clip(b - s, 0, None)
    missing = np.clip(a - b, 0, None)
    billed_ccm = _stack(col, [f"b_{c}" for c in CCM_CODES]).sum(axis=1).gt(0)
    col["billed_care"] = billed_any
    col["conflicts"] = _stack(col, list(CONFLICTS)).any(axis=1)
    with_register = register is not None
    col["allowed"] = ~col["conflicts"] & (
        (col["consented"] & col["care_plan"] & ~col["disenrolled"]) if with_register else True
    )
    col["unsupported_claims"] = excess.sum(axis=1) > 0
    col["missed_billing"] = col["allowed"] & (missing.sum(axis=1) > 0)
    low, high = NEAR_THRESHOLD_MINUTES
    col["near_threshold"] = (
        col["consented"]
        & ~col["disenrolled"]
        & ~billed_any
        & (s.sum(axis=1) == 0)
        & col["staff_minutes"].ge(low)
        & col["staff_minutes"].lt(high)
    )
    col["no_consent"] = billed_any & ~col["consented"]
    col["no_care_plan"] = billed_ccm & ~col["care_plan"]
    col["billed_after_disenrolment"] = col["any_claim"] & col["disenrolled"]
    window_start = col["consent_date"] - pd.DateOffset(months=12)
    visit_ok = col["initiating_visit_date"].between(window_start, col["consent_date"])
    col["no_initiating_visit"] = billed_ccm & ~visit_ok.fillna(False).astype(bool)
    for name in FINDINGS:
        if not assessed.finding(name):
            col[name] = pd.Series(False, index=index)
    hard = _stack(col, list(HARD_FINDINGS)).any(axis=1)
    billed_cents = (b * r).sum(axis=1)
    col["billed_cents"] = billed_cents.astype(np.int64)
    col["supported_cents"] = np.where(col["allowed"], (a * r).sum(axis=1), 0)
    col["missed_cents"] = np.where(col["missed_billing"], (missing * r).sum(axis=1), 0)
    col["at_risk_cents"] = np.where(
        hard, billed_cents, np.where(col["unsupported_claims"], (excess * r).sum(axis=1), 0)
    )
    not_allowed = with_register & ~col["allowed"]
    col["would_be_at_risk_cents"] = np.where(not_allowed, (a * r).sum(axis=1), 0)
    col["near_value_cents"] = np.where(col["near_threshold"], rate["99490"], 0)
    col["supported_claim"] = billed_any & ~hard & ~col["unsupported_claims"]
    col["codes_billed_text"] = _units_text(col, "b_", index)
    col["codes_supported_text"] = _units_text(col, "a_", index)
    return pd.DataFrame(col, index=index).set_axis(keys), assessed


def _stack(col: dict[str, Any], names: list[str]) -> pd.DataFrame:
    """Some of the columns being built, as a frame."""
    return pd.DataFrame({name: col[name] for name in names})


def _joined(col: dict[str, Any], names: list[str], prefix: str, index: pd.Index) -> pd.Series:
    """`; `-joined names whose `prefix + name` flag is set, per row."""
    flags = _stack(col, [prefix + n for n in names]).to_numpy()
    text = np.where(flags, np.array([n + "; " for n in names], dtype=object), "")
    return pd.Series(text.sum(axis=1), index=index).str.rstrip("; ")


def _units_text(col: dict[str, Any], prefix: str, index: pd.Index) -> pd.Series:
    """`99490 x1; 99439 x2` from the unit columns `prefix + code` (empty when none)."""
    units = _stack(col, [prefix + c for c in TIMED_CODES]).to_numpy().astype(int)
    labels = np.char.add(np.array([f"{c} x" for c in TIMED_CODES]), units.astype(str))
    text = np.where(units > 0, np.char.add(labels, "; "), "").astype(object).sum(axis=1)
    return pd.Series(text, index=index, dtype="str").str.rstrip("; ")
