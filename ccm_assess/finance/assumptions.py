"""Every number the program model uses, as one typed registry with defaults, ranges and sources.

The defaults live in `data/assumptions.csv` (docs/model.md, "Starting defaults"). Each
row has a plausible range (`low`-`high`, used by the tornado and the Monte Carlo and printed in
the appendix) and an allowed range (`min`-`max`, what an override may set). A practice may know
a figure outside the plausible range (Becker's reports 75% consent), so only the allowed range
is enforced; `Assumptions.outside_plausible()` lists such values for the report.

`AssumptionFields` declares one typed attribute per row of the CSV (same names, same order;
tests/finance/test_assumptions.py checks they agree). `Assumptions` holds the values in use
(`assumptions.consent_rate` is a float); `Values` holds them as arrays of shape (draws,) for
the vectorised model (model.stack_values). Code names an assumption as an attribute; where the
name is data (the registry, a YAML file, the Monte Carlo) `value(name)` reads it.

Longer than 400 lines because the typed fields (one per registry row) must sit beside the
registry, its checks and the YAML reader that fill them: one concept, the model's inputs.

Basis tags: [P] primary source, [S] secondary, [V] vendor claim, [A] our assumption.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Generic, Literal, TypeVar

import numpy as np
import pandas as pd
import yaml

from ccm_assess import yamlsafe
from ccm_assess.errors import AssumptionsError
from ccm_assess.intake.files import read_input
from ccm_assess.reference import data_path

ASSUMPTIONS_FILE = "assumptions.csv"
KINDS = ("float", "int", "bool", "choice")
GROUPS = ("enrolment", "billing", "payer", "staffing", "costs", "vendor", "model")
BASES = ("[P]", "[S]", "[V]", "[A]")

Value = float | int | bool | str
Role = Literal["RN", "LPN", "MA"]
VendorPricing = Literal["revenue_share", "per_enrolled_month", "per_billed_code"]


def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@dataclass(frozen=True)
class Assumption:
    """One named model input: default, unit, plausible and allowed range, basis and source."""

    name: str
    kind: str
    default: Value
    unit: str
    low: float | None
    high: float | None
    minimum: float | None
    maximum: float | None
    choices: tuple[str, ...]
    group: str
    label: str
    basis: str
    source: str

    @property
    def varies(self) -> bool:
        """True when the tornado and the Monte Carlo move it (a number with low < high)."""
        return self.low is not None and self.high is not None and self.low < self.high

    def plausible_range(self) -> tuple[float, float]:
        """(low, high) of a number; AssumptionsError for a true/false or choice assumption."""
        if self.low is None or self.high is None:
            raise AssumptionsError(f"{self.name} is not a number: it has no plausible range.")
        return self.low, self.high

    def allowed_range(self) -> tuple[float, float]:
        """(minimum, maximum) of a number; AssumptionsError for a true/false or choice one."""
        if self.minimum is None or self.maximum is None:
            raise AssumptionsError(f"{self.name} is not a number: it has no allowed range.")
        return self.minimum, self.maximum

    def allowed(self) -> str:
        """The allowed values in words, for error messages."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        whole = "a whole number" if self.kind == "int" else "a number"
        return f"{whole} from {_number_text(self.minimum)} to {_number_text(self.maximum)}"

    def check(self, value: object, where: str = "") -> Value:
        """Return `value` coerced to this assumption's type, or raise AssumptionsError."""
        if isinstance(value, str) and self.kind != "choice":
            value = _parse_text(value, self.unit)
        problem = f"{self.name} = {value!r}{where} is not valid: it must be {self.allowed()}"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise AssumptionsError(problem + ".")
            return value
        if self.kind == "choice":
            text = str(value).strip().lower()
            for choice in self.choices:
                if choice.lower() == text:
                    return choice
            raise AssumptionsError(problem + ".")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AssumptionsError(problem + ".")
        if self.kind == "int":
            if float(value) != int(value):
                raise AssumptionsError(problem + ".")
            value = int(value)
        else:
            value = float(value)
        minimum, maximum = self.allowed_range()
        if not minimum <= value <= maximum:
            plausible = f"{_number_text(self.low)}-{_number_text(self.high)}"
            raise AssumptionsError(
                f"{problem} ({self.unit}; plausible range {plausible}, {self.label.lower()})."
            )
        return value


def _parse_text(text: str, unit: str) -> object:
    """A value given as text (CLI, form): YAML scalar rules, and '35%' for a share."""
    stripped = text.strip()
    if unit.startswith("share") and stripped.endswith("%"):
        try:
            return float(stripped[:-1]) / 100
        except ValueError:
            return text
    try:
        return yamlsafe.load(stripped)[0]
    except yaml.YAMLError:
        return text


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _row_default(row: Mapping[str, str]) -> Value:
    kind, text = row["kind"], row["default"]
    if kind == "bool":
        return text.strip().lower() == "true"
    if kind == "choice":
        return text
    return int(text) if kind == "int" else float(text)


@functools.cache
def registry() -> Mapping[str, Assumption]:
    """All assumptions by name, in the order of `data/assumptions.csv`."""
    with data_path(ASSUMPTIONS_FILE).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    specs = {
        row["name"]: Assumption(
            name=row["name"],
            kind=row["kind"],
            default=_row_default(row),
            unit=row["unit"],
            low=_optional_float(row["low"]),
            high=_optional_float(row["high"]),
            minimum=_optional_float(row["min"]),
            maximum=_optional_float(row["max"]),
            choices=tuple(row["choices"].split("|")) if row["choices"] else (),
            group=row["group"],
            label=row["label"],
            basis=row["basis"],
            source=row["source"],
        )
        for row in rows
    }
    return MappingProxyType(specs)


FloatT = TypeVar("FloatT")
IntT = TypeVar("IntT")


@dataclass(frozen=True, init=False)
class AssumptionFields(Generic[FloatT, IntT]):
    """One attribute per row of data/assumptions.csv, in its order: `FloatT` for its "float"
    rows, `IntT` for "int", bool for "bool" and a Literal of the choices for "choice"."""

    # enrolment
    consent_rate: FloatT
    setup_months_in_house: IntT
    setup_months_managed: IntT
    setup_months_hybrid: IntT
    claims_lag_months: FloatT
    already_enrolled_elsewhere: FloatT
    outreach_hours_per_month: FloatT
    outreach_approach_months: FloatT
    vendor_pace_factor: FloatT
    outreach_attempts_per_patient: FloatT
    outreach_minutes_per_attempt: FloatT
    consent_minutes_per_enrolment: FloatT
    needs_initiating_visit_share: FloatT
    initiating_visit_lag_months: IntT
    monthly_attrition: FloatT
    annual_mortality: FloatT
    pool_growth_per_year: FloatT
    reoffer_after_months: FloatT
    reoffer_consent_share: FloatT
    # billing
    billable_month_rate: FloatT
    share_99439_one: FloatT
    share_99439_two: FloatT
    complex_candidate_share: FloatT
    complex_lane_share: FloatT
    share_99489: FloatT
    physician_lane_share: FloatT
    share_99437: FloatT
    g0506_share: FloatT
    denial_rate: FloatT
    # payer
    sequestration: FloatT
    coinsurance: FloatT
    secondary_cover_share: FloatT
    uncollected_share: FloatT
    ma_pays_ccm: bool
    ma_rate_factor: FloatT
    qmb_share: FloatT
    cf_change_2027: FloatT
    cf_change_per_year_after_2027: FloatT
    # staffing
    clinical_minutes_per_patient_month: FloatT
    clinical_minutes_per_unbilled_month: FloatT
    complex_extra_minutes: FloatT
    supervision_minutes_per_patient_month: FloatT
    practitioner_minutes_per_enrolment: FloatT
    productive_share: FloatT
    fte_step: FloatT
    hiring_lead_months: IntT
    care_manager_role: Role
    outreach_role: Role
    wage_rn: FloatT
    wage_lpn: FloatT
    wage_ma: FloatT
    benefits_load: FloatT
    program_owner_hours_per_month: FloatT
    managed_oversight_hours_per_month: FloatT
    practitioner_cost_per_hour: FloatT
    coordination_on_eligible_share: FloatT
    # costs
    software_per_patient_month: FloatT
    software_fixed_per_month: FloatT
    after_hours_cost_per_month: FloatT
    startup_cost: FloatT
    hybrid_startup_share: FloatT
    billing_overhead_share: FloatT
    # vendor
    vendor_pricing: VendorPricing
    vendor_revenue_share: FloatT
    vendor_fee_per_patient_month: FloatT
    vendor_fee_per_code: FloatT
    vendor_onboarding_fee: FloatT
    vendor_covers_billing: bool
    vendor_covers_after_hours: bool
    vendor_covers_software: bool
    hybrid_fee_per_patient_month: FloatT
    # staffing (program comparison)
    apcm_minutes_per_patient_month: FloatT
    # model
    horizon_months: IntT

    def value(self, name: str) -> FloatT | IntT | bool | str:
        """The value of the assumption `name` (for names that are data; AssumptionsError for
        an unknown one). In code, read the attribute."""
        value: FloatT | IntT | bool | str = getattr(self, _spec(name).name)
        return value

    def as_dict(self) -> dict[str, FloatT | IntT | bool | str]:
        """name -> value, in registry order."""
        return {name: self.value(name) for name in registry()}


@dataclass(frozen=True, init=False)
class Assumptions(AssumptionFields[float, int]):
    """The values in use: the registry's defaults, with `values` (name -> value) checked and
    applied, and `ranges` (name -> (low, high)): the user's own range for the Monte Carlo
    draws of a number (sensitivity.draw_range). Immutable; `with_values` gives a changed copy."""

    range_items: tuple[tuple[str, tuple[float, float]], ...]
    """The user's ranges as (name, (low, high)) pairs, hashable; read them as `ranges`.
    """

    def __init__(
        self,
        values: Mapping[str, object] | None = None,
        ranges: Mapping[str, tuple[object, object]] | None = None,
    ) -> None:
        merged: dict[str, object] = {n: spec.default for n, spec in registry().items()}
        for name, value in (values or {}).items():
            merged[name] = _spec(name).check(value)
        for name, value in merged.items():
            object.__setattr__(self, name, value)
        checked = {
            _spec(n).name: _check_range(_spec(n), pair) for n, pair in (ranges or {}).items()
        }
        object.__setattr__(self, "range_items", tuple(sorted(checked.items())))
        extra = self.share_99439_one + self.share_99439_two
        if extra > 1:
            raise AssumptionsError(
                f"share_99439_one + share_99439_two = {extra:g}, but they are shares of the "
                "same billed months and must add up to 1 or less."
            )

    def __repr__(self) -> str:
        return f"Assumptions({self.changed()!r})"

    @property
    def ranges(self) -> Mapping[str, tuple[float, float]]:
        """name -> (low, high): the user's own range for the draws of a number."""
        return MappingProxyType(dict(self.range_items))

    def __reduce__(
        self,
    ) -> tuple[type[Assumptions], tuple[dict[str, Value], dict[str, tuple[float, float]]]]:
        """Pickled as the changed values and ranges (the run hands its assessment on)."""
        return Assumptions, (self.changed(), dict(self.ranges))

    def spec(self, name: str) -> Assumption:
        """The registry entry for `name`."""
        return _spec(name)

    def with_values(self, **changes: object) -> Assumptions:
        """A new object with `changes` applied (checked like a file override)."""
        return Assumptions({**self.changed(), **changes}, self.ranges)

    def changed(self) -> dict[str, Value]:
        """The values that differ from the defaults."""
        specs = registry()
        return {n: v for n, v in self.as_dict().items() if v != specs[n].default}

    def outside_plausible(self) -> list[str]:
        """Names set outside their plausible low-high range (allowed, but worth a note)."""
        outside = []
        for name, spec in registry().items():
            value = self.value(name)
            if spec.low is None or isinstance(value, bool | str):
                continue
            low, high = spec.plausible_range()
            if not low <= value <= high:
                outside.append(name)
        return outside

    def table(self) -> pd.DataFrame:
        """The appendix table: one row per assumption, in registry order."""
        specs = registry().values()
        return pd.DataFrame(
            {
                "name": [s.name for s in specs],
                "group": [s.group for s in specs],
                "label": [s.label for s in specs],
                "value": pd.Series([self.value(s.name) for s in specs], dtype=object),
                "default": pd.Series([s.default for s in specs], dtype=object),
                "unit": [s.unit for s in specs],
                "low": [s.low for s in specs],
                "high": [s.high for s in specs],
                "basis": [s.basis for s in specs],
                "source": [s.source for s in specs],
            }
        )

    def to_yaml(self, changed_only: bool = True) -> str:
        """YAML that `load_assumptions` reads back; each line commented with label and range
        (a value with the user's own range as {value, low, high})."""
        values: dict[str, object] = dict(self.changed() if changed_only else self.as_dict())
        for name, (low, high) in self.ranges.items():
            values[name] = {"value": self.value(name), "low": low, "high": high}
        lines = []
        for name, value in values.items():
            spec = _spec(name)
            scalar = yaml.safe_dump(value, default_flow_style=True, sort_keys=False)
            scalar = scalar.removesuffix("\n...\n").strip()
            span = (
                f", plausible {_number_text(spec.low)}-{_number_text(spec.high)}"
                if spec.varies
                else ""
            )
            lines.append(f"{name}: {scalar}  # {spec.label} ({spec.unit}{span}) {spec.basis}")
        return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True, eq=False)
class Values(AssumptionFields[np.ndarray, np.ndarray]):
    """The assumptions for the vectorised model (model.stack_values): every number an array
    of shape (draws,), true/false and choice assumptions as in `Assumptions`."""

    def array(self, name: str) -> np.ndarray:
        """The array of the numeric assumption `name` (a name held as data)."""
        value = self.value(name)
        if not isinstance(value, np.ndarray):
            raise AssumptionsError(f"{name} is not a number: it has no array of draws.")
        return value


def _spec(name: str, where: str = "") -> Assumption:
    specs = registry()
    if name in specs:
        return specs[name]
    close = difflib.get_close_matches(str(name), list(specs), n=3, cutoff=0.6)
    hint = (
        f"Did you mean {' or '.join(close)}?"
        if close
        else f"Valid names (also in the report appendix): {', '.join(specs)}."
    )
    raise AssumptionsError(f"Unknown assumption {name!r}{where}. {hint}")


def _check_range(spec: Assumption, pair: tuple[object, object]) -> tuple[float, float]:
    """A user's (low, high) for the draws of `spec`, checked like a value (AssumptionsError)."""
    if spec.kind not in ("float", "int"):
        raise AssumptionsError(f"{spec.name} is not a number: it cannot have a low-high range.")
    low, high = (float(spec.check(end, " (range)")) for end in pair)
    if low > high:
        raise AssumptionsError(f"{spec.name}: low {low:g} is above high {high:g}.")
    return low, high


def _split_ranges(
    values: Mapping[str, object], where: str
) -> tuple[dict[str, object], dict[str, tuple[object, object]]]:
    """Values and ranges from name -> value or name -> {value, low, high} entries."""
    plain: dict[str, object] = {}
    ranges: dict[str, tuple[object, object]] = {}
    for name, value in values.items():
        if not isinstance(value, Mapping):
            plain[name] = value
            continue
        keys = set(value)
        if not {"low", "high"} <= keys <= {"value", "low", "high"}:
            raise AssumptionsError(
                f"{name}{where}: write a range as {{value: 20, low: 15, high: 30}} "
                "(value optional: the default)."
            )
        if "value" in value:
            plain[name] = value["value"]
        ranges[name] = (value["low"], value["high"])
    return plain, ranges


def _read_yaml(path: Path) -> dict[str, object]:
    """name -> value (or {value, low, high}) from a YAML mapping, errors naming the file line."""
    data = read_input(path, "assumptions file", 4 * yamlsafe.MAX_CHARS, error=AssumptionsError)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AssumptionsError(
            f"The assumptions file {path} is not a text file; write it as YAML (UTF-8)."
        ) from None
    try:
        data, root = yamlsafe.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = yamlsafe.problem_text(error)
        raise AssumptionsError(
            f"The assumptions file {path} is not valid YAML{line}: {problem}. Write one "
            "`name: value` per line, e.g. `consent_rate: 0.4`."
        ) from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise AssumptionsError(
            f"The assumptions file {path} must be a mapping of `name: value` lines "
            "(e.g. `consent_rate: 0.4`), not a list or a single value."
        )
    lines: dict[str, int] = {}
    for key_node, _ in root.value:
        name, line = str(key_node.value), key_node.start_mark.line + 1
        if name in lines:
            raise AssumptionsError(
                f"{name} is set twice in {path} (lines {lines[name]} and {line})."
            )
        lines[name] = line
    values: dict[str, object] = {}
    for key, value in data.items():
        where = f" (line {lines.get(str(key), '?')} of {path})"
        spec = _spec(str(key), where)
        values[str(key)] = value if isinstance(value, dict) else spec.check(value, where)
    return values


def load_assumptions(
    path: str | Path | None = None, overrides: Mapping[str, object] | None = None
) -> Assumptions:
    """Defaults, then the YAML file at `path` (name: value, or name: {value, low, high} to give
    the Monte Carlo range too), then `overrides` (CLI/notebook)."""
    values: dict[str, object] = {}
    if path is not None:
        values.update(_read_yaml(Path(path)))
    values.update(overrides or {})
    plain, ranges = _split_ranges(values, f" (in {path})" if path else "")
    for name, value in plain.items():
        plain[name] = _spec(name, " (override)").check(value, " (override)")
    return Assumptions(plain, ranges)


REPORT_KEYS = ("name", "label", "default", "unit", "low", "high", "basis", "source")


def assumptions_listing() -> list[dict[str, object]]:
    """Every assumption as a plain dict: name, label, default, unit, low, high, basis, source
    (the `ccm-assess assumptions --json` objects; the appendix shows the same registry)."""
    return [{key: getattr(spec, key) for key in REPORT_KEYS} for spec in registry().values()]


def assumptions_report(*, as_json: bool = False) -> str:
    """The text (or JSON) of `ccm-assess assumptions`: one block per assumption."""
    rows = assumptions_listing()
    if as_json:
        return json.dumps(rows, indent=2)
    blocks = []
    for row in rows:
        span = (
            ""
            if row["low"] is None
            else f"  range {_number_text(row['low'])}-{_number_text(row['high'])}"  # type: ignore[arg-type]
        )
        blocks.append(
            f"{row['name']} = {row['default']} {row['unit']}{span}  {row['basis']}\n"
            f"    {row['label']}\n    source: {row['source']}"
        )
    return "\n".join(blocks)
