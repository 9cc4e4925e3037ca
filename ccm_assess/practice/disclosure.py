"""Every patient count a run publishes, the relations between them, and what is hidden.

One `Published` plan per run (`Assessment.published`): summary.json, the report, the workbook
and the batch summaries all read their counts from it, so a count hidden in one is hidden in
all (privacy.plan_suppression; docs/privacy.md).

Cells (dotted paths; those of summary.json are its own keys):
- `panel.*` rows and patients: the panel itself, public.
- `excluded.<reason>`, `conditions.<category>`, `eligibility.<count>`,
  `eligibility.<count>_by_payer.<class>`, `eligibility.apcm_tiers.<tier>`.
- `chronic_count.<n>` (0-5, `6+`): analysed patients by number of chronic conditions.
- `provider.<name>`, `location.<name>`: CCM-eligible patients per provider/location.
- `billable_by_provider.<name>`, `billable_visits_by_provider.<name>` and their total
  `providers.billable_visits`: the by-provider table (practice/providers.py).
- `quality.unknown_payers`, `quality.ccir_unknown`: patients behind data-quality findings.
- `unpublished.<difference>`: patients between two condition lists (standard not strict,
  broad not standard): shown nowhere, derivable by subtraction, so protected too.

Relations (`privacy.Relation`): billable = its payer classes of the eligible; eligible = the
chosen level; standard = strict + standard-not-strict; broad = standard + broad-not-standard
(each difference >= its top categories); patients = analysed + exclusions; analysed = the
chronic-count bins; eligible = bins 2+ (>= under the broad list) = each by-payer table = each
by-provider/location table; PCM <= bin 1, PCM = its by-payer table; complex = its by-payer
table, each cell <= the eligible one; APCM G0557 + G0558 = Medicare eligible, G0556 >= Medicare
PCM; condition counts sum to at least 1 x bin 1 + 2 x bin 2 + ... + 6 x bin 6+; every subgroup
<= analysed.

To publish a new count: add its cell in `run_counts` and its relations in `run_relations`;
a number an output computes from published cells (a sum, a share) is shown only when every
cell it uses is shown, so it needs no declaration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ccm_assess.clinical.eligibility import Eligibility
from ccm_assess.errors import PanelError
from ccm_assess.intake.panel import Panel
from ccm_assess.intake.payers import MEDICARE_CLASSES, PAYER_CLASSES
from ccm_assess.privacy import (
    SMALL_CELL_LIMIT,
    Relation,
    mask,
    partition,
    plan_suppression,
    subset,
    suppressed_summary,
)

CHRONIC_BINS = ("0", "1", "2", "3", "4", "5", "6+")
"""Labels of the chronic-condition-count bins (the last holds 6 or more)."""
GROUP_ROLES = ("provider", "location")
NOT_RECORDED = "Not recorded"
"""The group of patients with a blank provider or location."""
BY_PAYER = ("ccm_eligible", "complex_ccm_candidates", "pcm_candidates")
"""Eligibility counts that summary.json also breaks down by payer class."""
PUBLIC = ("panel.rows_read", "panel.rows_used", "panel.rows_skipped", "panel.rows_rejected")
"""Counts of the file and of the whole panel: not a subgroup, never hidden."""
LATENT = "unpublished."
"""Counts no output shows but an attacker could derive (the patients between two condition
lists): always hidden, and protected like a published small count."""
LEVEL_DIFFERENCES = {
    "standard_not_strict": ("ccm_eligible_standard", "ccm_eligible_strict"),
    "broad_not_standard": ("ccm_eligible_broad", "ccm_eligible_standard"),
}
"""Latent count -> (wider level, narrower level) columns of `Eligibility.patients`."""
AVOID = ("panel.patients_analysed", "eligibility.ccm_eligible")
"""Hidden only when nothing else protects: the denominators every page is read against."""


def refuse_identifying_groups(panel: Panel) -> None:
    """PanelError when a provider or location column holds (almost) one value per patient:
    more than 10 patients, and more than half of those with a value, alone in their group. Such
    a column names patients, not providers (`--map provider="Patient Name"`); its group labels
    would publish them. The message names the column by its header, never a value."""
    for role in GROUP_ROLES:
        if not panel.has(role):
            continue
        names = panel.patients[role].astype("string").str.strip()
        names = names[names.notna() & names.ne("")]
        alone = int(names.value_counts().eq(1).sum())
        if alone > max(SMALL_CELL_LIMIT - 1, len(names) / 2):
            headers = " + ".join(f'"{h}"' for h in panel.mapping.get(role, [])) or "(by content)"
            raise PanelError(
                f"The {role} column {headers} has a different value for {alone:,} of the "
                f"{len(names):,} patients with one: it looks like a patient identifier or name, "
                f"not a {role}, and its values would appear in the report. Map the {role} "
                f'column with --map {role}="Header", or remove the column from the export.'
            )


def chronic_bins(eligibility: Eligibility) -> dict[str, int]:
    """Analysed patients by number of chronic conditions, bins `CHRONIC_BINS`."""
    frame = eligibility.patients
    count = frame.loc[frame["analysed"].to_numpy(dtype=bool), "chronic_count"].clip(upper=6)
    bins = count.value_counts().reindex(range(7), fill_value=0)
    return {label: int(n) for label, n in zip(CHRONIC_BINS, bins, strict=True)}


def eligible_by_group(panel: Panel, eligibility: Eligibility, role: str) -> dict[str, int]:
    """CCM-eligible patients per provider or location (every group, zeros included), largest
    first; blanks are `NOT_RECORDED`."""
    names = group_labels(panel.patients[role].reindex(eligibility.patients.index))
    eligible = names[eligibility.patients["ccm_eligible"].to_numpy(dtype=bool)].value_counts()
    eligible = eligible.reindex(pd.unique(names), fill_value=0)
    return {str(k): int(v) for k, v in eligible.sort_values(ascending=False, kind="stable").items()}


def group_labels(groups: pd.Series) -> pd.Series:
    """Provider or location per patient as a label: blanks are `NOT_RECORDED`."""
    names = groups.astype("string").str.strip().fillna("")
    return names.where(names.ne(""), NOT_RECORDED).astype(str)


def provider_table_counts(panel: Panel, eligibility: Eligibility) -> dict[str, int]:
    """The by-provider table's counts (one "Not recorded" group without a provider column):
    billable patients per provider and, when the panel has last visits, those of them needing
    an initiating visit (with their total)."""
    frame = eligibility.patients
    if "ccm_billable" not in frame:
        return {}
    billable = frame["ccm_billable"].fillna(False).to_numpy(dtype=bool)
    visits = frame["needs_initiating_visit"].fillna(False).to_numpy(dtype=bool) & billable
    names = group_labels(panel.patients["provider"].reindex(frame.index)).to_numpy()
    table = pd.DataFrame({"billable": billable, "visits": visits}).groupby(names).sum()
    cells = {f"billable_by_provider.{n}": int(v) for n, v in table["billable"].items()}
    if panel.has("last_visit_date"):
        cells |= {f"billable_visits_by_provider.{n}": int(v) for n, v in table["visits"].items()}
        cells["providers.billable_visits"] = int(table["visits"].sum())
    return cells


def _flat(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            out |= _flat(path, value)
        elif value is None or isinstance(value, int | float):
            out[path] = None if value is None else int(value)
    return out


def run_counts(
    panel: Panel, eligibility: Eligibility, counts: Mapping[str, Any]
) -> dict[str, int | None]:
    """Every patient count the run publishes, by dotted path (exact values)."""
    cells: dict[str, int | None] = {}
    for part in ("panel", "excluded", "conditions", "eligibility"):
        cells |= _flat(part, counts[part])
    cells |= {f"chronic_count.{k}": v for k, v in chronic_bins(eligibility).items()}
    for role in GROUP_ROLES:
        if panel.has(role):
            groups = eligible_by_group(panel, eligibility, role)
            cells |= {f"{role}.{name}": n for name, n in groups.items()}
    cells |= provider_table_counts(panel, eligibility)
    frame = eligibility.patients
    for name, (wide, narrow) in LEVEL_DIFFERENCES.items():
        if {wide, narrow} <= set(frame.columns):
            cells[f"{LATENT}{name}"] = int((frame[wide] & ~frame[narrow]).sum())
    quality = panel.quality.unknown_payers
    cells["quality.unknown_payers"] = int(quality["count"].sum()) if len(quality) else 0
    ccir = eligibility.ccir_unknown
    cells["quality.ccir_unknown"] = int(ccir["count"].sum()) if len(ccir) else 0
    return cells


def _under(cells: Iterable[str], prefix: str) -> tuple[str, ...]:
    return tuple(c for c in cells if c.startswith(prefix))


def run_relations(
    cells: Mapping[str, int | None],
    billed: Sequence[str] = ("medicare_ffs", "medicare_advantage"),
    level: str = "standard",
) -> list[Relation]:
    """The linear relations between the run's counts (see the module docstring); `billed`: the
    payer classes in `ccm_billable`, `level`: the condition list `ccm_eligible` counts by."""
    e = "eligibility."
    bins = [f"chronic_count.{b}" for b in CHRONIC_BINS]
    relations = [
        partition(f"{e}ccm_billable", tuple(f"{e}ccm_eligible_by_payer.{c}" for c in billed)),
        partition(f"{e}ccm_eligible", (f"{e}ccm_eligible_{level}",)),
        partition(
            f"{e}ccm_eligible_standard", (f"{e}ccm_eligible_strict", f"{LATENT}standard_not_strict")
        ),
        partition(
            f"{e}broad_ccm_eligible", (f"{e}ccm_eligible_standard", f"{LATENT}broad_not_standard")
        ),
        *(
            subset(f"{LATENT}{name}", (cell,))
            for name in LEVEL_DIFFERENCES
            for cell in _under(cells, f"{e}{name}_top.")
        ),
        partition("panel.patients", ("panel.patients_analysed", *_under(cells, "excluded."))),
        partition("panel.patients_analysed", bins),
        Relation((f"{e}ccm_eligible",), tuple(bins[2:]), exact=level != "broad"),
        subset(bins[1], (f"{e}pcm_candidates",)),
        subset(f"{e}ccm_eligible", (f"{e}complex_ccm_candidates",)),
        subset(f"{e}ccm_eligible", (f"{e}needs_initiating_visit",)),
        Relation(
            _under(cells, "conditions."),
            tuple(bins[1:]),
            exact=False,
            weights=tuple(float(n) for n in range(1, 7)),
        ),
    ]
    for key in BY_PAYER:
        relations.append(partition(f"{e}{key}", _under(cells, f"{e}{key}_by_payer.")))
    for payer in PAYER_CLASSES:
        relations.append(
            subset(
                f"{e}ccm_eligible_by_payer.{payer}",
                (f"{e}complex_ccm_candidates_by_payer.{payer}",),
            )
        )
    medicare = sorted(MEDICARE_CLASSES)
    tiers = f"{e}apcm_tiers."
    relations += [
        Relation(
            tuple(f"{e}ccm_eligible_by_payer.{c}" for c in medicare),
            (f"{tiers}G0557", f"{tiers}G0558")
            if cells.get(f"{tiers}G0558") is not None
            else (f"{tiers}G0557",),
        ),
        Relation(
            (f"{tiers}G0556",),
            tuple(f"{e}pcm_candidates_by_payer.{c}" for c in medicare),
            exact=False,
        ),
    ]
    for role in GROUP_ROLES:
        groups = _under(cells, f"{role}.")
        if groups:
            relations.append(partition(f"{e}ccm_eligible", groups))
    billable, visits = "billable_by_provider.", "billable_visits_by_provider."
    relations += [
        partition(f"{e}ccm_billable", _under(cells, billable)),
        partition("providers.billable_visits", _under(cells, visits)),
        subset(f"{e}needs_initiating_visit", ("providers.billable_visits",)),
        subset(f"{e}ccm_billable", ("providers.billable_visits",)),
        *(subset(f"provider.{c[len(billable) :]}", (c,)) for c in _under(cells, billable)),
        *(subset(f"{billable}{c[len(visits) :]}", (c,)) for c in _under(cells, visits)),
    ]
    subgroups = [
        *_under(cells, "conditions."),
        f"{e}broad_ccm_eligible",
        f"{e}ccm_eligible",
        f"{e}pcm_candidates",
    ]
    relations += [subset("panel.patients_analysed", (cell,)) for cell in subgroups]
    return [r for r in relations if r.parts and r.totals and all(c in cells for c in r.cells)]


@dataclass(frozen=True)
class Published:
    """The run's counts as published: exact values, their relations and the hidden paths."""

    exact: dict[str, int | None]
    relations: tuple[Relation, ...]
    hidden: frozenset[str]

    def shown(self, path: str) -> Any:
        """A count as published: the exact value, its marker ("<11" or `WITHHELD`) when
        hidden, None when unknown."""
        return mask(self.exact[path], path in self.hidden)

    def group(self, prefix: str) -> dict[str, Any]:
        """The shown counts of the cells under `prefix` ("eligibility.ccm_eligible_by_payer"),
        keyed by the rest of their path, in declaration order."""
        start = prefix + "."
        return {p[len(start) :]: self.shown(p) for p in self.exact if p.startswith(start)}

    def counts(self, exact_counts: Mapping[str, Any]) -> dict[str, Any]:
        """summary.json's `panel`, `excluded`, `conditions`, `eligibility` parts as shown
        (hidden counts as their marker), for the report and the workbook."""

        def walk(prefix: str, node: Any) -> Any:
            if isinstance(node, Mapping):
                return {k: walk(f"{prefix}.{k}", v) for k, v in node.items()}
            return mask(node, prefix in self.hidden)

        return {key: walk(key, exact_counts[key]) for key in exact_counts}

    def summary(self, summary: Mapping[str, Any]) -> dict[str, Any]:
        """summary.json with hidden counts null and listed under `suppressed`."""
        return suppressed_summary(summary, self.hidden)

    def estimates(self) -> dict[str, float | None]:
        """Every count as the model may use it, computed from published counts only: a shown
        count as it is; a hidden part of an exact relation whose total is known, the share of
        that total the known parts leave, split equally among the hidden parts; a hidden total
        whose parts are known, their sum; else None (unknown). Relations are walked in
        declaration order until nothing changes, so the result depends on nothing hidden."""
        value: dict[str, float | None] = {
            path: None if path in self.hidden or count is None else float(count)
            for path, count in self.exact.items()
        }
        plain = [
            r
            for r in self.relations
            if r.exact and not r.weights and len(r.totals) == 1
            if all(self.exact[c] is not None for c in r.cells)
        ]
        changed = True
        while changed:
            changed = False
            for relation in plain:
                total = value[relation.totals[0]]
                missing = [c for c in relation.parts if value[c] is None]
                known = sum(value[c] or 0.0 for c in relation.parts if c not in missing)
                if total is not None and missing:
                    share = max(total - known, 0.0) / len(missing)
                    value |= dict.fromkeys(missing, share)
                    changed = True
                elif total is None and not missing:
                    value[relation.totals[0]] = known
                    changed = True
        return value

    def model_counts(self, exact_counts: Mapping[str, Any]) -> dict[str, Any]:
        """summary.json's count parts with every hidden count replaced by its `estimates`
        value: what the finance model runs on, so that no published dollar, rate or enrolment
        depends on a hidden count (docs/privacy.md)."""
        estimate = self.estimates()

        def walk(prefix: str, node: Any) -> Any:
            if isinstance(node, Mapping):
                return {k: walk(f"{prefix}.{k}", v) for k, v in node.items()}
            return estimate.get(prefix) if prefix in self.hidden else node

        return {key: walk(key, exact_counts[key]) for key in exact_counts}

    def groups(self, role: str) -> pd.Series:
        """CCM-eligible patients per provider/location as shown (object Series, largest first)."""
        return pd.Series(self.group(role), dtype=object)


def published(panel: Panel, eligibility: Eligibility, counts: Mapping[str, Any]) -> Published:
    """The run's suppression plan over every count it publishes (PanelError for a provider or
    location column that identifies patients)."""
    refuse_identifying_groups(panel)
    cells = run_counts(panel, eligibility, counts)
    relations = run_relations(cells, eligibility.billed_payer_classes, eligibility.conditions_level)
    public = (*PUBLIC, "panel.patients")
    latent = [c for c in cells if c.startswith(LATENT)]
    hidden = plan_suppression(cells, relations, public=public, avoid=AVOID, unpublished=latent)
    return Published(cells, tuple(relations), hidden)
