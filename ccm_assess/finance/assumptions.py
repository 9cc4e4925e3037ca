"""Every number the program model uses, as one typed registry with defaults, ranges and sources.

The defaults live in `data/assumptions.csv` (docs/model.md, "Starting defaults"). Each
row has a plausible range (`low`-`high`, used by the tornado and the Monte Carlo and printed in
the appendix) and an allowed range (`min`-`max`, what an override may set). A practice may know
a figure outside the plausible range (Becker's reports 75% consent), so only the allowed range
is enforced; `Assumptions.outside_plausible()` lists such values for the report.

Basis tags: [P] primary source, [S] secondary, [V] vendor claim, [A] our assumption.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import yaml

from ccm_assess import yamlsafe
from ccm_assess.errors import AssumptionsError
from ccm_assess.reference import data_path

ASSUMPTIONS_FILE = "assumptions.csv"
KINDS = ("float", "int", "bool", "choice")
GROUPS = ("enrolment", "billing", "payer", "staffing", "costs", "vendor", "model")
BASES = ("[P]", "[S]", "[V]", "[A]")

Value = float | int | bool | str


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
        return self.kind in ("float", "int") and self.low is not None and self.low < self.high

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
        if not self.minimum <= value <= self.maximum:
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


def _check_together(values: Mapping[str, Value]) -> None:
    """Rules that tie assumptions together."""
    extra = values["share_99439_one"] + values["share_99439_two"]
    if extra > 1:
        raise AssumptionsError(
            f"share_99439_one + share_99439_two = {extra:g}, but they are shares of the same "
            "billed months and must add up to 1 or less."
        )


class Assumptions(Mapping[str, Value]):
    """An immutable mapping name -> value over the whole registry (defaults where not set)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Value] | None = None) -> None:
        specs = registry()
        merged = {name: spec.default for name, spec in specs.items()}
        for name, value in (values or {}).items():
            merged[name] = _spec(name).check(value)
        _check_together(merged)
        self._values = MappingProxyType(merged)

    def __getitem__(self, name: str) -> Value:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Assumptions({self.changed()!r})"

    def __reduce__(self) -> tuple[type[Assumptions], tuple[dict[str, Value]]]:
        """Pickled as the changed values (the run hands its assessment to the notebook)."""
        return Assumptions, (self.changed(),)

    def spec(self, name: str) -> Assumption:
        """The registry entry for `name`."""
        return _spec(name)

    def with_values(self, **changes: Value) -> Assumptions:
        """A new object with `changes` applied (checked like a file override)."""
        return Assumptions({**self.changed(), **changes})

    def changed(self) -> dict[str, Value]:
        """The values that differ from the defaults."""
        specs = registry()
        return {n: v for n, v in self._values.items() if v != specs[n].default}

    def outside_plausible(self) -> list[str]:
        """Names set outside their plausible low-high range (allowed, but worth a note)."""
        return [
            name
            for name, spec in registry().items()
            if spec.low is not None and not spec.low <= self._values[name] <= spec.high
        ]

    def table(self) -> pd.DataFrame:
        """The appendix table: one row per assumption, in registry order."""
        specs = registry().values()
        return pd.DataFrame(
            {
                "name": [s.name for s in specs],
                "group": [s.group for s in specs],
                "label": [s.label for s in specs],
                "value": pd.Series([self._values[s.name] for s in specs], dtype=object),
                "default": pd.Series([s.default for s in specs], dtype=object),
                "unit": [s.unit for s in specs],
                "low": [s.low for s in specs],
                "high": [s.high for s in specs],
                "basis": [s.basis for s in specs],
                "source": [s.source for s in specs],
            }
        )

    def to_yaml(self, changed_only: bool = True) -> str:
        """YAML that `load_assumptions` reads back; each line commented with label and range."""
        names = self.changed() if changed_only else self._values
        lines = []
        for name in names:
            spec = _spec(name)
            scalar = yaml.safe_dump(self._values[name], default_flow_style=True)
            scalar = scalar.removesuffix("\n...\n").strip()
            span = (
                f", plausible {_number_text(spec.low)}-{_number_text(spec.high)}"
                if spec.varies
                else ""
            )
            lines.append(f"{name}: {scalar}  # {spec.label} ({spec.unit}{span}) {spec.basis}")
        return "\n".join(lines) + ("\n" if lines else "")


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


def _read_yaml(path: Path) -> dict[str, Value]:
    """name -> value from a YAML mapping, errors naming the file line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AssumptionsError(
            f"Cannot read the assumptions file {path}: {error.strerror}."
        ) from None
    try:
        data, root = yamlsafe.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
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
    values: dict[str, Value] = {}
    for key, value in data.items():
        where = f" (line {lines.get(str(key), '?')} of {path})"
        values[str(key)] = _spec(str(key), where).check(value, where)
    return values


def load_assumptions(
    path: str | Path | None = None, overrides: Mapping[str, object] | None = None
) -> Assumptions:
    """Defaults, then the YAML file at `path` (name: value), then `overrides` (CLI/notebook)."""
    values: dict[str, Value] = {}
    if path is not None:
        values.update(_read_yaml(Path(path)))
    for name, value in (overrides or {}).items():
        values[name] = _spec(name, " (override)").check(value, " (override)")
    return Assumptions(values)


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
