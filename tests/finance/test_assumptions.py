from __future__ import annotations

import csv
import dataclasses
import typing

import numpy as np
import pytest

from ccm_assess.errors import AssumptionsError
from ccm_assess.finance.assumptions import (
    BASES,
    GROUPS,
    AssumptionFields,
    Assumptions,
    Values,
    load_assumptions,
    registry,
)
from ccm_assess.finance.model import stack_values
from ccm_assess.reference import data_path

# Every row of the "Starting defaults" table in docs/model.md, by registry name, with its
# default (rows revised after review take the sourced value: docs/honest_numbers.md).
SPEC_DEFAULTS = {
    "consent_rate": 0.35,
    "already_enrolled_elsewhere": 0.03,
    "monthly_attrition": 0.025,
    "billable_month_rate": 0.70,
    "share_99439_one": 0.20,
    "share_99439_two": 0.05,
    "complex_lane_share": 0.5,
    "g0506_share": 0.5,
    "clinical_minutes_per_patient_month": 35,
    "outreach_minutes_per_attempt": 15,
    "productive_share": 0.80,
    "wage_rn": 93600,
    "wage_lpn": 62340,
    "wage_ma": 44200,
    "benefits_load": 0.29,
    "software_per_patient_month": 5,
    "startup_cost": 15000,
    "vendor_revenue_share": 0.50,
    "vendor_fee_per_patient_month": 35,
    "hybrid_fee_per_patient_month": 15,
    "denial_rate": 0.05,
    "sequestration": 0.02,
    "coinsurance": 0.20,
    "secondary_cover_share": 0.80,
    "uncollected_share": 0.50,
    "ma_pays_ccm": True,
    "ma_rate_factor": 0.68,
    "horizon_months": 36,
}


def test_defaults_match_the_spec_table():
    values = Assumptions()
    assert {name: values.value(name) for name in SPEC_DEFAULTS} == SPEC_DEFAULTS
    assert isinstance(values.horizon_months, int)
    assert values.ma_pays_ccm is True


def _csv_rows() -> list[dict[str, str]]:
    with data_path("assumptions.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _kind(hint: object) -> tuple[str, tuple[str, ...]]:
    """The registry kind (and choices) an AssumptionFields annotation stands for."""
    if typing.get_origin(hint) is typing.Literal:
        return "choice", typing.get_args(hint)
    kinds = {"FloatT": "float", "IntT": "int", "bool": "bool"}
    return kinds[getattr(hint, "__name__", "")], ()


def test_typed_fields_match_the_registry_rows():
    # one attribute per CSV row, same order, kind and choices; defaults typed by kind
    rows = _csv_rows()
    hints = typing.get_type_hints(AssumptionFields)
    fields = [f.name for f in dataclasses.fields(AssumptionFields)]
    assert fields == [row["name"] for row in rows]
    for row in rows:
        choices = tuple(row["choices"].split("|")) if row["choices"] else ()
        assert _kind(hints[row["name"]]) == (row["kind"], choices), row["name"]
    defaults = Assumptions()
    python_type = {"float": float, "int": int, "bool": bool, "choice": str}
    for row in rows:
        value = getattr(defaults, row["name"])
        assert type(value) is python_type[row["kind"]], row["name"]
        assert str(value).lower() == row["default"].lower() or value == float(row["default"])
    # the typed views: floats and ints for the values in use, arrays for the model
    assert typing.get_args(Assumptions.__orig_bases__[0]) == (float, int)
    assert typing.get_args(Values.__orig_bases__[0]) == (np.ndarray, np.ndarray)


def test_stacked_values_are_arrays_per_draw():
    values = stack_values(Assumptions(), draws=3, varied={"consent_rate": [0.2, 0.3, 0.4]})
    assert values.consent_rate.tolist() == [0.2, 0.3, 0.4]
    assert values.horizon_months.tolist() == [36.0, 36.0, 36.0]
    assert values.array("wage_rn").tolist() == [93600.0] * 3
    assert values.ma_pays_ccm is True and values.care_manager_role == "LPN"
    with pytest.raises(AssumptionsError, match="not a number"):
        values.array("care_manager_role")
    with pytest.raises(AssumptionsError, match="Did you mean consent_rate"):
        stack_values(Assumptions(), varied={"consent_rat": [0.2]})


def test_every_row_is_complete_and_consistent():
    for spec in registry().values():
        assert spec.basis in BASES, spec.name
        assert spec.group in GROUPS, spec.name
        assert spec.label and spec.source and spec.unit, spec.name
        if spec.kind in ("float", "int"):
            assert spec.minimum <= spec.low <= spec.default <= spec.high <= spec.maximum, spec.name
        if spec.kind == "choice":
            assert spec.default in spec.choices
    # the unsourced ones say so
    assert registry()["startup_cost"].basis == "[A]"
    assert "no published" in registry()["software_per_patient_month"].source


def test_defaults_sit_between_10_and_90_percent_of_their_range():
    # A default at the edge of its own range is a bias (docs/honest_numbers.md).
    # Exempt: fixed values (low = high) and an effect switched off at 0 on a range from 0.
    edge = []
    for spec in registry().values():
        if not spec.varies or (spec.default == 0 and spec.low == 0):
            continue
        where = (spec.default - spec.low) / (spec.high - spec.low)
        if not 0.1 <= where <= 0.9:
            edge.append(f"{spec.name} {spec.default} in {spec.low}-{spec.high}")
    assert edge == []
    # the rule can fail: a default at the top of its range is caught
    billable = registry()["billable_month_rate"]
    assert (billable.high - billable.low) * 0.9 + billable.low < 0.95


def test_wages_cite_the_bls_handbook():
    for role in ("rn", "lpn", "ma"):
        spec = registry()[f"wage_{role}"]
        assert spec.basis == "[P]" and "bls.gov/ooh" in spec.source and "May 2024" in spec.source


def test_yaml_file_and_overrides(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("# practice X\nconsent_rate: 0.5\nma_pays_ccm: false\nhorizon_months: 24\n")
    values = load_assumptions(path, overrides={"billable_month_rate": "60%", "wage_rn": "90000"})
    assert values.consent_rate == 0.5
    assert values.ma_pays_ccm is False
    assert values.horizon_months == 24
    assert values.billable_month_rate == pytest.approx(0.60)
    assert values.wage_rn == 90000.0
    assert load_assumptions(overrides={"care_manager_role": "lpn"}).care_manager_role == "LPN"
    assert values.changed() == {
        "consent_rate": 0.5,
        "ma_pays_ccm": False,
        "horizon_months": 24,
        "billable_month_rate": pytest.approx(0.60),
        "wage_rn": 90000.0,
    }


def test_empty_file_gives_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing changed\n")
    assert load_assumptions(path) == Assumptions()


def test_unknown_name_suggests_and_gives_the_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("consent_rate: 0.4\nbillable_month_rat: 0.7\n")
    with pytest.raises(AssumptionsError, match=r"billable_month_rat.*line 2.*billable_month_rate"):
        load_assumptions(path)


def test_unknown_name_without_close_match_lists_names():
    with pytest.raises(AssumptionsError, match="Valid names.*consent_rate"):
        load_assumptions(overrides={"zzz": 1})


def test_out_of_range_names_the_range_and_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("\n\nconsent_rate: 1.5\n")
    with pytest.raises(AssumptionsError, match=r"consent_rate = 1.5 \(line 3 .*from 0 to 1"):
        load_assumptions(path)


def test_plausible_range_is_advice_not_a_limit():
    # Becker's reports 75% consent: allowed, but flagged for the report.
    values = Assumptions().with_values(consent_rate=0.75)
    assert values.consent_rate == 0.75
    assert values.outside_plausible() == ["consent_rate"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("horizon_months", 36.5, "whole number"),
        ("ma_pays_ccm", "maybe", "true or false"),
        ("consent_rate", True, "a number"),
        ("vendor_pricing", "flat", "revenue_share, per_enrolled_month, per_billed_code"),
        ("care_manager_role", "NP", "RN, LPN, MA"),
    ],
)
def test_wrong_type_or_choice(name, value, message):
    with pytest.raises(AssumptionsError, match=message):
        Assumptions().with_values(**{name: value})


def test_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("consent_rate: 0.4\nbillable_month_rate: [0.8\n")
    with pytest.raises(AssumptionsError, match="not valid YAML at line 3"):
        load_assumptions(path)


def test_not_a_mapping_and_duplicates_and_missing_file(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("- consent_rate\n")
    with pytest.raises(AssumptionsError, match="mapping"):
        load_assumptions(path)
    path.write_text("consent_rate: 0.4\nconsent_rate: 0.5\n")
    with pytest.raises(AssumptionsError, match="lines 1 and 2"):
        load_assumptions(path)
    with pytest.raises(AssumptionsError, match="assumptions file .* does not exist"):
        load_assumptions(tmp_path / "missing.yaml")


def test_shares_of_the_same_months_must_not_exceed_one():
    # 0.6 + 0.5 = 1.1 > 1 (each within its own allowed range 0-1)
    with pytest.raises(AssumptionsError, match="add up to 1"):
        Assumptions().with_values(share_99439_one=0.6, share_99439_two=0.5)


def test_immutable_and_with_values_returns_a_new_object():
    base = Assumptions()
    changed = base.with_values(consent_rate=0.4)
    assert base.consent_rate == 0.35 and changed.consent_rate == 0.4
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.consent_rate = 0.5  # type: ignore[misc]
    assert changed.value("consent_rate") == 0.4
    with pytest.raises(AssumptionsError, match="Did you mean consent_rate"):
        changed.value("consent_rat")
    # changes accumulate
    assert changed.with_values(denial_rate=0.1).changed() == {
        "consent_rate": 0.4,
        "denial_rate": 0.1,
    }


def test_table_and_yaml_round_trip(tmp_path):
    values = Assumptions().with_values(consent_rate=0.45, vendor_pricing="per_billed_code")
    table = values.table()
    assert list(table.columns) == [
        "name", "group", "label", "value", "default", "unit", "low", "high", "basis", "source",
    ]  # fmt: skip
    assert len(table) == len(registry())
    row = table.set_index("name").loc["consent_rate"]
    assert (row["value"], row["default"], row["low"], row["high"]) == (0.45, 0.35, 0.2, 0.6)
    text = values.to_yaml()
    assert text.splitlines()[0].startswith("consent_rate: 0.45  # ")
    path = tmp_path / "back.yaml"
    path.write_text(text)
    assert load_assumptions(path) == values
    full = tmp_path / "full.yaml"
    full.write_text(values.to_yaml(changed_only=False))
    assert load_assumptions(full) == values
    assert len(values.to_yaml(changed_only=False).splitlines()) == len(registry())
