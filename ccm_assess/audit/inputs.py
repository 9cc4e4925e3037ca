"""Read the audit's three exports (docs/audit.md, Inputs) with the panel's tolerant reader.

Each file is loaded by `sources.read_grid` (xlsx/xls/csv/tsv, title rows, footers, encodings);
the header row is the one of the first 50 rows whose cells match most aliases of that input
(`ALIASES`, compared by `headers.header_key`: case, spaces and punctuation ignored), and
`--map [input.]role=Header` overrides them. A workbook holding the time log, claims and register
as sheets works as one `--time-log` argument: each input takes the sheet that looks most like it.

Roles the aliases miss are found by header words whose cells fit (`HINTS`: a `Care Plan Shared
With Patient` column of dates is the care-plan date, `Rendering Prov NPI` the practitioner). The
patient id is an identifier: MRN/account/chart headers outrank a bare `Patient`, and a column
of names is never the join (`_by_content`; refused when no identifier column exists).

Every row is accounted for in a ledger (`row`, `status` used/skipped/rejected, `reason`):
rows above the header, blank, repeated-header and footer rows are skipped; rows without a
patient id, date, minutes (`values.parse_minutes`: `25`, `0:25`, `00:22:41`, `22m`, `1h 5m`) or
code are rejected with the reason; rows outside the audited months, lines that are not care
management, reversal lines and the lines they cancel (`cancel_reversals`) are skipped with the
reason. An export with no usable row is refused. Reasons never quote a cell (no PHI).

Longer than 400 lines because the three exports share one header search, mapping, role
inference and row ledger, and each needs its own column rules and rejection reasons (claims:
reversals).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.errors import CcmAssessError, PanelError
from ccm_assess.intake.headers import header_key, headers_found, shown_header
from ccm_assess.intake.panel import _FOOTER, _NO_ID
from ccm_assess.intake.sources import SCAN_ROWS, RawGrid, cell_text, listing, read_grid
from ccm_assess.intake.values import parse_booleans, parse_dates, parse_minutes
from ccm_assess.reference import read_data_csv


class AuditInputError(CcmAssessError):
    """An audit export cannot be used (missing column, no rows, unreadable file)."""


KINDS = ("time_log", "claims", "register")
LABELS = {"time_log": "time log", "claims": "claims export", "register": "register"}

_PATIENT_ID = ("mrn", "patient mrn", "patient id", "medical record number", "chart number",
               "chart no", "chart", "account number", "patient account",
               "patient account number", "account no", "acct no", "acct", "account", "pt id",
               "person id", "person number", "member id", "member number", "enterprise id",
               "patient number", "patient")  # fmt: skip
"""Identifier headers first: a bare `Patient` header (often the name) comes last, so an MRN
or account column beside it wins (`_id_not_names` then checks the cells hold identifiers)."""
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "time_log": {
        "patient_id": _PATIENT_ID,
        "date": ("date", "activity date", "service date", "date of service", "dos",
                 "contact date", "log date", "entry date", "time date", "encounter date"),
        "minutes": ("minutes", "mins", "min", "duration", "duration minutes", "time spent",
                    "time minutes", "total minutes", "time spent minutes", "duration min"),
        "staff": ("staff", "staff member", "staff name", "user", "performed by", "care manager",
                  "logged by", "entered by", "clinician", "provider user", "team member"),
        "credential": ("credential", "credentials", "role", "staff role", "title", "license",
                       "licence", "staff type", "discipline", "staff credential"),
        "program": ("program", "service", "program type", "care program", "billing program",
                    "service type"),
    },
    "claims": {
        "patient_id": _PATIENT_ID,
        "date": ("date of service", "dos", "service date", "from date", "svc date",
                 "date of service from", "service from", "date"),
        "code": ("cpt", "cpt code", "hcpcs", "cpt hcpcs", "hcpcs code", "procedure code",
                 "procedure", "code", "cpt4", "billing code", "service code"),
        "units": ("units", "unit", "qty", "quantity", "units billed", "days or units"),
        "practitioner": ("rendering provider", "billing provider", "practitioner",
                         "billing practitioner", "provider", "rendering", "physician",
                         "rendering practitioner", "provider name", "rendering npi",
                         "billing npi", "rendering provider npi", "billing provider npi", "npi"),
        "payer": ("payer", "insurance", "primary payer", "plan", "payor"),
        "status": ("status", "claim status", "line status", "adjustment", "adj code",
                   "adjustment code", "claim status code", "adj reason", "reason code"),
        "paid": ("paid", "paid amount", "payment", "amount paid", "allowed"),
    },
    "register": {
        "patient_id": _PATIENT_ID,
        "consent_date": ("consent date", "consent", "date consented", "ccm consent",
                         "consent signed", "consent obtained", "consented", "consent on"),
        "care_plan_date": ("care plan date", "care plan", "care plan created",
                           "care plan established", "careplan date", "care plan on",
                           "care plan shared", "care plan shared on", "date care plan shared",
                           "care plan created on", "care plan signed"),
        "practitioner": ("billing practitioner", "practitioner", "billing provider", "provider",
                         "pcp", "physician", "rendering provider"),
        "complex": ("complex", "complex flag", "complexity", "complex ccm", "mdm",
                    "moderate or high mdm", "moderate high mdm", "complex mdm"),
        "disenrolment_date": ("disenrolment date", "disenrollment date", "disenrolled",
                              "disenrolled on", "end date", "ccm end date", "stopped",
                              "discharge date", "disenrollment"),
        "initiating_visit_date": ("last initiating visit", "initiating visit",
                                  "initiating visit date", "last initiating visit date",
                                  "last qualifying visit", "last visit"),
    },
}  # fmt: skip
"""Header spellings per input and role (compared by `header_key`), best first."""

_ID_HINTS = ("mrn", "account", "acct", "chart", "medicalrecord", "patientid", "memberid",
             "personid", "enterpriseid", "patientno", "patientnumber")  # fmt: skip
HINTS: dict[str, dict[str, tuple[str, ...]]] = {
    "time_log": {"patient_id": _ID_HINTS, "minutes": ("minute", "duration", "timespent"),
                 "date": ("date",)},
    "claims": {"patient_id": _ID_HINTS, "practitioner": ("npi", "rendering", "billingprov"),
               "date": ("dos", "dateofservice", "servicedate", "fromdate"),
               "code": ("cpt", "hcpcs", "procedure")},
    "register": {"patient_id": _ID_HINTS, "consent_date": ("consent",),
                 "care_plan_date": ("careplan",), "disenrolment_date": ("disenrol", "disenroll"),
                 "initiating_visit_date": ("initiat",)},
}  # fmt: skip
"""Header fragments (`header_key`) of a role when no alias matches: `Care Plan Shared With
Patient` is the care-plan date, `Rendering Prov NPI` the practitioner, `Pt Acct Ref` the
patient. A date role needs date cells, the patient id identifier cells (`_by_content`); a
header naming a birth date is never taken."""
DATE_ROLES = frozenset(
    {"date", "consent_date", "care_plan_date", "disenrolment_date", "initiating_visit_date"}
)
CONTENT_ROWS = 1_000
"""Rows below the header whose cells decide a role found by a header fragment."""
FIT_SHARE = 0.5
"""Share of a column's sampled cells that must fit the role (dates; ids with a digit)."""

REQUIRED = {
    "time_log": ("patient_id", "date", "minutes"),
    "claims": ("patient_id", "date", "code"),
    "register": ("patient_id", "consent_date"),
}
MAX_MINUTES = 1440
"""Minutes one time-log row may hold (one day); more is a typing error, rejected."""

PRACTITIONER_CREDENTIALS = frozenset(
    {"md", "do", "np", "pa", "pac", "cns", "cnm", "aprn", "fnp", "dnp", "physician", "doctor", "dr",
     "nursepractitioner", "physicianassistant", "provider", "mbbs", "agnp", "anp"}
)  # fmt: skip
CLINICAL_CREDENTIALS = frozenset(
    {"rn", "lpn", "lvn", "ma", "cma", "rma", "ccma", "nurse", "medicalassistant", "bsn",
     "registerednurse", "caremanager", "nursecaremanager", "clinicalstaff", "pharmacist",
     "pharmd", "msw", "lcsw", "cna", "rncm", "ccmrn"}
)  # fmt: skip
"""Credential keys (`header_key` of the cell) of billing practitioners and of clinical staff
(docs/audit.md: physicians, NPs, PAs, CNSs, CNMs bill; clinical staff time counts incident to)."""
PROGRAMS = {
    "ccm": "CCM", "chroniccaremanagement": "CCM", "chroniccare": "CCM", "complexccm": "CCM",
    "pcm": "PCM", "principalcaremanagement": "PCM", "principalcare": "PCM",
    "apcm": "APCM", "advancedprimarycaremanagement": "APCM", "bhi": "BHI", "rpm": "RPM",
    "remotepatientmonitoring": "RPM", "tcm": "TCM", "rtm": "RPM",
}  # fmt: skip
"""Program cell keys -> program; a blank program is CCM, an unknown one `other`."""
_VOID = frozenset({"void", "voided", "cancelled", "canceled", "reversed", "deleted", "withdrawn"})
_COMPLEX_WORDS = {"moderate": True, "high": True, "complex": True, "low": False,
                  "straightforward": False, "noncomplex": False}  # fmt: skip


@cache
def care_codes() -> pd.DataFrame:
    """Care-management codes the audit reads (`data/fee_codes.csv` families), with family."""
    codes = read_data_csv("fee_codes.csv", dtype={"code": str})
    keep = ["CCM", "complex CCM", "physician CCM", "PCM", "APCM", "BHI", "RPM", "TCM"]
    return codes.loc[codes["family"].isin(keep), ["code", "family"]].reset_index(drop=True)


@dataclass(frozen=True)
class AuditInput:
    """One export, read: `rows` (one per used row, `row` = file row), the row `ledger`,
    the header used per role (`mapping`), file and sheet, and notes."""

    kind: str
    path: Path
    sheet: str | None
    rows: pd.DataFrame
    ledger: pd.DataFrame
    mapping: dict[str, str]
    notes: tuple[str, ...] = field(default_factory=tuple)
    sheets: tuple[str, ...] = ()
    """Every sheet of the workbook the export came from (empty for text files)."""

    def counts(self) -> dict[str, int]:
        """Rows read, used, skipped and rejected."""
        status = self.ledger["status"].value_counts()
        return {
            "rows_read": len(self.ledger),
            **{f"rows_{s}": int(status.get(s, 0)) for s in ("used", "skipped", "rejected")},
        }

    def has(self, role: str) -> bool:
        return role in self.mapping


def _keys(kind: str) -> dict[str, str]:
    """Alias key -> role for one input."""
    return {header_key(alias): role for role, names in ALIASES[kind].items() for alias in names}


def _row_scores(head: pd.DataFrame, kind: str, wanted: list[str]) -> np.ndarray:
    """Per row of `head` (text cells): known headers of this input, mapped headers weigh 100."""
    keys, wanted_keys = _keys(kind), {header_key(w) for w in wanted}
    cells = head.stack().dropna()
    if cells.empty:
        return np.zeros(len(head))
    key = cells.map({v: header_key(v) for v in pd.unique(cells)})
    points = key.isin(list(keys)).astype(float) + 100 * key.isin(list(wanted_keys))
    return np.asarray(points.groupby(level=0).sum().reindex(head.index, fill_value=0))


def _score(kind: str) -> Callable[[pd.DataFrame], float]:
    """A `read_grid` sheet scorer: how much a sheet's first rows look like this input."""
    return lambda head: float(_row_scores(head, kind, []).max(initial=0))


def _header_row(text: pd.DataFrame, kind: str, wanted: list[str]) -> int:
    scores = _row_scores(text.iloc[:SCAN_ROWS], kind, wanted)
    return int(scores.argmax()) if len(scores) and scores.max() > 0 else -1


def _roles(
    kind: str,
    headers: list[str],
    mapping: Mapping[str, str],
    optional: frozenset[str],
    row: int = 1,
) -> dict[str, int]:
    """Role -> column position: best-ranked alias, then `mapping` on top (a mapped header not
    found is an error, unless its role is `optional`: a bare `--map role=` for every input)."""
    ranked: dict[str, tuple[int, int]] = {}
    for position, header in enumerate(headers):
        key = header_key(header)
        for role, names in ALIASES[kind].items():
            rank = (
                [header_key(n) for n in names].index(key) if key in map(header_key, names) else -1
            )
            if rank >= 0 and (role not in ranked or rank < ranked[role][0]):
                ranked[role] = (rank, position)
    roles = {role: position for role, (_, position) in ranked.items()}
    # one column, one role: a role keeps a column only when no better-ranked role took it
    for role, header in mapping.items():
        found = [p for p, h in enumerate(headers) if header_key(h) == header_key(header)]
        if not found and role in optional:
            continue
        if not found:
            raise AuditInputError(
                f"no column '{shown_header(header)}' for {role} in the {LABELS[kind]}; "
                f"{headers_found(headers, row)}; check --map"
            )
        roles = {r: p for r, p in roles.items() if p != found[0]}
        roles[role] = found[0]
    taken: dict[int, str] = {}
    for role in sorted(roles, key=lambda r: (r not in mapping, ranked.get(r, (0, 0))[0])):
        taken.setdefault(roles[role], role)
    return {role: p for p, role in taken.items()}


def _fits(role: str, cells: pd.Series) -> bool:
    """Whether sampled cells fit a role found by a header fragment: dates for a date role,
    identifiers (a digit in most cells) for the patient id."""
    if cells.empty:
        return False
    if role in DATE_ROLES:
        return bool(parse_dates(cells)[0].notna().mean() >= FIT_SHARE)
    if role == "patient_id":
        return holds_ids(cells)
    return True


def holds_ids(cells: pd.Series) -> bool:
    """Whether cells hold patient identifiers rather than names: most hold a digit (an MRN,
    account or chart number; names almost never do)."""
    digits = cells.str.contains(r"[0-9]", regex=True).fillna(False)
    return bool(digits.mean() >= FIT_SHARE)


def _by_content(
    kind: str, body: pd.DataFrame, headers: list[str], roles: dict[str, int], mapped: set[str]
) -> list[str]:
    """Roles still missing, from header fragments (`HINTS`) whose column's cells fit the role
    (`_fits`); then the patient id checked: a column of names is never the id (the audit joins
    its exports on ids only). Updates `roles` in place; returns notes. Raises when the patient
    column holds names and no identifier column is found."""
    keys = [header_key(h) for h in headers]
    sample = body.iloc[:CONTENT_ROWS]
    notes = []
    for role, fragments in HINTS[kind].items():
        if role in roles:
            continue
        taken = set(roles.values())
        for p, key in enumerate(keys):
            if p in taken or not any(f in key for f in fragments) or "birth" in key:
                continue
            if _fits(role, sample[p].dropna()):
                roles[role] = p
                notes.append(f"{role.replace('_', ' ')} read from column '{headers[p]}'")
                break
    if "patient_id" not in roles:
        return notes
    column = sample[roles["patient_id"]].dropna()
    if column.empty or holds_ids(column):
        return notes
    names = headers[roles["patient_id"]]
    del roles["patient_id"]
    _by_content(kind, body, headers, roles, mapped)
    if "patient_id" in roles and "patient_id" not in mapped:
        notes.append(
            f"column '{names}' holds names, not ids: patient id read from column "
            f"'{headers[roles['patient_id']]}' (the audit joins its exports on ids only)"
        )
        return notes
    raise AuditInputError(
        f"the patient column '{names}' of the {LABELS[kind]} holds names, not identifiers, "
        "and no MRN, account or chart number column was found: the audit joins its exports "
        "on patient ids only (two patients can share a name); export it with the MRN or "
        f"account number, or pass --map {kind}.patient_id=<header> naming the id column"
    )


def split_mapping(pairs: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """`--map` pairs -> per input {role: header}. `claims.code=Proc` names one input; a bare
    role applies to every input that has that role and that header (`read_inputs` checks that
    at least one has)."""
    out: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for key, header in pairs.items():
        kind, dot, role = key.partition(".")
        if dot:
            if kind not in KINDS or role not in ALIASES[kind]:
                raise AuditInputError(
                    f"--map {key}: use input.role with input one of "
                    f"{', '.join(KINDS)} and one of its roles"
                )
            out[kind][role] = header
            continue
        owners = [k for k in KINDS if key in ALIASES[k]]
        if not owners:
            roles = sorted({r for k in KINDS for r in ALIASES[k]})
            raise AuditInputError(f"--map {key}: unknown role; roles: {', '.join(roles)}")
        for kind in owners:
            out[kind][key] = header
    return out


def _ledger(
    text: pd.DataFrame, header: int, roles: dict[str, int], headers: list[str]
) -> pd.DataFrame:
    """Status and reason per row before the values are parsed."""
    n = len(text)
    position = np.arange(n)
    filled = text.notna().sum(axis=1).to_numpy()
    few = np.flatnonzero((filled > 0) & (filled <= 4))  # footers fill few cells
    cells = text.iloc[few].to_numpy()
    first = pd.Series(cells[np.arange(len(few)), pd.notna(cells).argmax(axis=1)], dtype="str")
    footer = np.zeros(n, dtype=bool)
    footer[few] = first.str.contains(_FOOTER, regex=True).fillna(False).to_numpy()
    role_cols = list(roles.values())
    same = sum(
        text.iloc[:, p].str.lower().eq(headers[p].lower()).fillna(False).to_numpy()
        for p in role_cols
    )
    pid = text.iloc[:, roles["patient_id"]]
    no_id = pid.isna() | pid.str.fullmatch(_NO_ID).fillna(False).astype(bool)
    body = position > header
    reasons = {
        "blank row": filled == 0,
        "title row above the header": position < header,
        "header row": position == header,
        "repeated header row": body & (same >= max(1, len(role_cols) // 2 + 1)),
        "footer or note row": body & footer,
        "no patient id": body & no_id.to_numpy(),
    }
    labels = [*reasons, ""]
    code = np.select(list(reasons.values()), list(range(len(reasons))), len(reasons))
    status = np.where(code == len(reasons), "used", "skipped").astype(object)
    status[code == labels.index("no patient id")] = "rejected"
    return pd.DataFrame(
        {"row": position + 1, "status": status, "reason": np.asarray(labels, dtype=object)[code]}
    )


def _reject(
    ledger: pd.DataFrame, rows: pd.Index, mask: pd.Series, status: str, reason: str
) -> None:
    """Mark the used rows `rows[mask]` as `status` with `reason` (in place)."""
    hit = ledger["row"].isin(rows[mask.to_numpy()]) & ledger["status"].eq("used")
    ledger.loc[hit, ["status", "reason"]] = [status, reason]


def _grid(kind: str, path: Path, sheet: str | None) -> RawGrid:
    """`read_grid`, its messages naming this export instead of "the panel"."""
    try:
        return read_grid(path, sheet=sheet, score=_score(kind))
    except PanelError as error:
        label = LABELS[kind]
        text = str(error).replace("panel file", f"{label} file").replace("panel", label)
        raise AuditInputError(text) from None


def read_input(
    kind: str,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    optional: frozenset[str] = frozenset(),
) -> AuditInput:
    """Read one export (`kind` in KINDS) into an `AuditInput` (module docstring); `optional`:
    mapped roles that may be absent from this export."""
    mapping = dict(mapping or {})
    raw = _grid(kind, path, sheet)
    text = pd.DataFrame({c: cell_text(raw.cells[c]) for c in raw.cells.columns})
    text.columns = range(text.shape[1])
    what = f"the {LABELS[kind]} '{Path(path).name}'" + (
        f" (sheet '{raw.sheet}')" if raw.sheet else ""
    )
    header = _header_row(text, kind, list(mapping.values()))
    headers = [] if header < 0 else text.iloc[header].fillna("").tolist()
    roles = _roles(kind, headers, mapping, optional, header + 1) if header >= 0 else {}
    found_notes = (
        _by_content(kind, text.iloc[header + 1 :], headers, roles, set(mapping))
        if header >= 0
        else []
    )
    missing = [r for r in REQUIRED[kind] if r not in roles]
    if missing:
        found = headers_found(headers, header + 1) if headers else "no headers found"
        raise AuditInputError(
            f"no column for {', '.join(missing)} in {what}; {found}; pass "
            f"--map {kind}.{missing[0]}=<header>"
        )
    ledger = _ledger(text, header, roles, headers)
    used = ledger["status"].eq("used").to_numpy()
    if not used.any():
        raise AuditInputError(f"no rows below the header (row {header + 1}) of {what}")
    cells = text.loc[used, list(roles.values())].set_axis(list(roles), axis=1)
    cells.index = pd.Index(ledger["row"].to_numpy()[used], name="row")
    cells["patient_id"] = cells["patient_id"].str.strip()
    rows, notes = _PARSERS[kind](cells, ledger)
    _refuse_if_nothing_used(ledger, what)
    kept = ledger.loc[ledger["status"].eq("used"), "row"]
    rows = rows.loc[rows.index.isin(kept)].reset_index()
    unused = [h for p, h in enumerate(headers) if h and p not in roles.values()]
    if unused:
        notes.append(f"columns not used: {listing(unused)}")
    return AuditInput(
        kind=kind,
        path=Path(path),
        sheet=raw.sheet,
        rows=rows,
        ledger=ledger,
        mapping={r: headers[p] for r, p in roles.items()},
        notes=(*raw.notes, *found_notes, *notes),
        sheets=raw.sheets,
    )


def _refuse_if_nothing_used(ledger: pd.DataFrame, what: str) -> None:
    """An export whose every row was rejected (durations, dates or codes unreadable) cannot be
    audited: reading it as "no time logged" or "nothing billed" would put every patient-month
    in the wrong. Refused with the reasons and their counts."""
    status = ledger["status"]
    if status.eq("used").any() or not status.eq("rejected").any():
        return
    reasons = ledger.loc[status.eq("rejected"), "reason"].value_counts()
    listed = "; ".join(f"{reason}: {count:,} rows" for reason, count in reasons.items())
    raise AuditInputError(
        f"no row of {what} could be used ({listed}); fix those cells (or --map the right "
        "column) and run again"
    )


def _dates(
    cells: pd.DataFrame, role: str, ledger: pd.DataFrame, notes: list[str], *, required: bool
) -> pd.Series:
    """Parsed dates of a role. Required: a blank or unreadable cell rejects the row. Optional:
    an unreadable cell reads as blank, and a note counts them."""
    if role not in cells:
        return pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    parsed, _ = parse_dates(cells[role])
    label = role.replace("_", " ")
    unreadable = parsed.isna() & cells[role].notna()
    if required:
        _reject(ledger, cells.index, parsed.isna() & cells[role].isna(), "rejected", f"no {label}")
        _reject(ledger, cells.index, unreadable, "rejected", f"{label} not readable as a date")
    elif unreadable.any():
        notes.append(
            f"{int(unreadable.sum()):,} {label} cell(s) not readable as a date were "
            "read as blank; write them as YYYY-MM-DD or MM/DD/YYYY"
        )
    return parsed


def _text(cells: pd.DataFrame, role: str, fill: str = "") -> pd.Series:
    if role not in cells:
        return pd.Series(fill, index=cells.index, dtype="str")
    return cells[role].fillna(fill).astype("str")


def credential_kind(text: str) -> str:
    """`practitioner`, `staff` or "" (not clinical, or blank) for a credential cell: the whole
    cell (`Nurse Practitioner`) or any word of it (`RN, BSN`, `Maria Alvarez MD`)."""
    words = {header_key(text), *re.split(r"[^a-z]+", str(text).lower())}
    if words & PRACTITIONER_CREDENTIALS:
        return "practitioner"
    return "staff" if words & CLINICAL_CREDENTIALS else ""


def _key_of(values: pd.Series) -> pd.Series:
    return values.map({v: header_key(v) for v in pd.unique(values)})


def _time_log(cells: pd.DataFrame, ledger: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    date = _dates(cells, "date", ledger, notes, required=True)
    number = parse_minutes(cells["minutes"])
    _reject(ledger, cells.index, number.isna(), "rejected", "minutes not readable as a duration")
    _reject(ledger, cells.index, number.lt(0), "rejected", "negative minutes")
    _reject(
        ledger,
        cells.index,
        number.gt(MAX_MINUTES),
        "rejected",
        f"more than {MAX_MINUTES} minutes in one entry",
    )
    _reject(ledger, cells.index, number.eq(0), "skipped", "zero minutes")
    raw_credential = _text(cells, "credential")
    credential = _key_of(raw_credential)
    kind = raw_credential.map({v: credential_kind(v) for v in pd.unique(raw_credential)})
    lane = pd.Series("staff", index=cells.index, dtype="str")
    if "credential" in cells:
        lane = lane.mask(kind.eq("practitioner"), "practitioner")
        known = kind.ne("")
        _reject(
            ledger,
            cells.index,
            credential.eq(""),
            "skipped",
            "no staff credential: the time cannot be counted as clinical staff time",
        )
        _reject(
            ledger,
            cells.index,
            ~known & credential.ne(""),
            "skipped",
            "credential not clinical staff or a billing practitioner: time does not count",
        )
    else:
        notes.append("no credential column: every minute is read as clinical staff time")
    program = _key_of(_text(cells, "program")).map(
        lambda k: "CCM" if not k else PROGRAMS.get(k, "other")
    )
    rows = pd.DataFrame(
        {
            "patient_id": cells["patient_id"],
            "date": date,
            "minutes": number,
            "staff": _text(cells, "staff", "(not recorded)"),
            "lane": lane,
            "program": program,
        }
    )
    return rows, notes


def _claims(cells: pd.DataFrame, ledger: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    date = _dates(cells, "date", ledger, notes, required=True)
    raw_code = cells["code"].str.upper().str.replace(r"\s+", "", regex=True)
    code = raw_code.str.extract(r"^([0-9]{5}|[A-Z][0-9]{4})", expand=False)
    _reject(ledger, cells.index, code.isna(), "rejected", "code not a CPT/HCPCS code")
    known = code.isin(care_codes()["code"])
    _reject(
        ledger,
        cells.index,
        code.notna() & ~known,
        "skipped",
        "not a care-management code (visits are read from the register)",
    )
    units_text = _text(cells, "units", "1").replace("", "1")
    signed = pd.to_numeric(units_text, errors="coerce")
    units = signed.abs()
    bad_units = units.isna() | units.ne(units.round())
    _reject(ledger, cells.index, bad_units, "rejected", "units not a whole number")
    _reject(ledger, cells.index, units.eq(0), "skipped", "zero units")
    status = _key_of(_text(cells, "status"))
    _reject(ledger, cells.index, status.isin(_VOID), "skipped", "claim line voided or reversed")
    paid = amounts(_text(cells, "paid"))
    reversal = status.isin(REVERSAL_STATUSES) | signed.lt(0) | paid.lt(0)
    rows = pd.DataFrame(
        {
            "patient_id": cells["patient_id"],
            "date": date,
            "code": code,
            "units": units.fillna(0).astype(int),
            "practitioner": _text(cells, "practitioner", "(not recorded)"),
        }
    )
    notes += cancel_reversals(rows, reversal.fillna(False).astype(bool), ledger)
    return rows, notes


REVERSAL_STATUSES = frozenset(
    {"reversal", "reversalofpreviouspayment", "22", "recoupment", "takeback"}
)  # fmt: skip
"""Status keys of a line that takes back an earlier one (claim status code 22 of the X12 835
remittance is "reversal of previous payment"). An adjustment or correction line takes one back
when its units or amount are negative (an adjustment may also add). `_VOID` statuses
(`reversed`, `voided`) mark a line that was itself taken back."""


def amounts(text: pd.Series) -> pd.Series:
    """Money cells -> float (`$1,234.50`, `(42.17)` and `-42.17` negative); NA if unreadable."""
    clean = text.str.replace(r"[$,\s]", "", regex=True)
    negative = clean.str.fullmatch(r"\(.*\)").fillna(False).astype(bool)
    number = pd.to_numeric(clean.str.strip("()"), errors="coerce")
    return number.mask(negative, -number.abs())


def cancel_reversals(rows: pd.DataFrame, reversal: pd.Series, ledger: pd.DataFrame) -> list[str]:
    """A reversal line cancels one line of the same patient, date of service and code (the
    earliest in the file not yet cancelled); both are skipped with their reason, so a reversed
    and re-billed claim counts once. A reversal with nothing to cancel in the file (the claim
    it reverses is older) is skipped too, and a note counts them. In place on `ledger`."""
    live = ledger.set_index("row").loc[rows.index, "status"].eq("used").to_numpy()
    if not (reversal.to_numpy() & live).any():
        return []
    keys = ["patient_id", "date", "code"]
    lines = rows.loc[live, keys].assign(reversal=reversal.to_numpy()[live])
    group = lines.groupby(keys, sort=False)["reversal"]
    reversals = group.transform("sum")
    others = group.transform("size") - reversals
    rank = lines.groupby([*keys, "reversal"], sort=False).cumcount()
    cancelled = ~lines["reversal"] & rank.lt(reversals)
    unmatched = lines["reversal"] & rank.ge(others)
    index = lines.index
    _reject(ledger, index, cancelled, "skipped", "cancelled by a later reversal line")
    _reject(ledger, index, unmatched, "skipped", "reversal line with no line to cancel")
    _reject(ledger, index, lines["reversal"], "skipped", "reversal line (cancels the line above)")
    left = int(unmatched.sum())
    return (
        [f"{left:,} reversal line(s) reverse a claim line not in this file (billed earlier)"]
        if left
        else []
    )


def _register(cells: pd.DataFrame, ledger: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    dates = {
        role: _dates(cells, role, ledger, notes, required=False)
        for role in ("consent_date", "care_plan_date", "disenrolment_date", "initiating_visit_date")
    }
    complex_flag = pd.Series(pd.NA, index=cells.index, dtype="boolean")
    if "complex" in cells:
        complex_flag = parse_booleans(cells["complex"])
        words = _key_of(_text(cells, "complex")).map(_COMPLEX_WORDS)
        complex_flag = complex_flag.fillna(words.astype("boolean"))
    rows = pd.DataFrame(
        {
            "patient_id": cells["patient_id"],
            **dates,
            "practitioner": _text(cells, "practitioner", "(not recorded)"),
            "complex": complex_flag,
        }
    )
    repeated = rows["patient_id"].duplicated()
    _reject(ledger, cells.index, repeated, "used", "merged with the patient's first row")
    if repeated.any():
        notes.append(
            f"{int(repeated.sum()):,} register row(s) repeat a patient: each field "
            "takes the first filled value"
        )
    return rows, notes


_PARSERS = {"time_log": _time_log, "claims": _claims, "register": _register}


def merge_register(register: pd.DataFrame) -> pd.DataFrame:
    """One row per patient (index patient_id): each field the first filled value."""
    return register.drop(columns="row").groupby("patient_id", sort=False).first()


def read_inputs(
    time_log: Path,
    claims: Path | None = None,
    register: Path | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
) -> dict[str, AuditInput]:
    """The exports given; a workbook passed as `time_log` also supplies claims and register
    from its other sheets when those are not given as files."""
    pairs = dict(mapping or {})
    maps = split_mapping(pairs)
    bare = frozenset(key for key in pairs if "." not in key)
    out = {"time_log": read_input("time_log", time_log, mapping=maps["time_log"], optional=bare)}
    sheets = [s for s in out["time_log"].sheets if s != out["time_log"].sheet]
    for kind, path in (("claims", claims), ("register", register)):
        if path is not None:
            out[kind] = read_input(kind, path, mapping=maps[kind], optional=bare)
        elif sheets:
            best = _best_sheet(time_log, sheets, kind)
            if best is not None:
                out[kind] = read_input(
                    kind, time_log, mapping=maps[kind], sheet=best, optional=bare
                )
                sheets.remove(best)
    for role in bare:
        used = [s.mapping.get(role) for s in out.values()]
        if not any(header_key(h or "") == header_key(pairs[role]) for h in used):
            raise AuditInputError(
                f"--map {role}={pairs[role]}: no export has a column '{pairs[role]}'; check "
                "the spelling, or name the export: --map claims.{role}=<header>"
            )
    return out


def _best_sheet(path: Path, sheets: list[str], kind: str) -> str | None:
    """The sheet whose header holds this input's required columns, or None."""
    for sheet in sheets:
        text = read_grid(path, sheet=sheet).cells.head(SCAN_ROWS)
        keys = {header_key(v) for v in cell_text(text.stack()).dropna()}
        found = {r for k, r in _keys(kind).items() if k in keys}
        if set(REQUIRED[kind]) <= found:
            return sheet
    return None
