"""A seeded synthetic running CCM program: time log, claims and register for `ccm-assess audit`.

`generate_program` draws the three exports as clean frames for any patients and months, with
the problems real programs have planted at rough, illustrative rates (synthetic data, never a
source for a figure): months that stop at 15-19 minutes, 99490 billed short of 20 minutes, a
99439 too many, supported months never billed, consent dated mid-month with calls before it,
missing care plans, patients billed but absent from the register, billing after
disenrolment, CCM from two practitioners, CCM and PCM by one practitioner, claims with no time
logged. `write_audit_sample` writes them for the sample practice's first two months after its
run date into `DIR/audit/` as an EHR would: a time-log workbook with title rows, a claims CSV
with US dates and a footer, a register workbook.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.edge.sample import _save_reproducibly, sample_file
from ccm_assess.edge.sample_panel import RUN_DATE, SAMPLE_PATIENTS, generate_panel

SAMPLE_ENROLLED = 150
"""Patients of the sample program by the end of its second month (it is still enrolling)."""
SAMPLE_ENROLLED_BEFORE = 0.15
"""Share of them consented before the program's first month (the first outreach)."""
STAFF = (("Dana Lee", "RN"), ("Sam Ortiz", "LPN"), ("Kim Nguyen", "CMA"), ("Alex Ford", "MA"))
PRACTITIONER_CREDENTIAL = {"Alvarez, Maria MD": "MD", "Chen, David MD": "MD",
                           "Patel, Priya NP": "NP"}  # fmt: skip
HEADERS = {
    "time_log": {"patient_id": "MRN", "date": "Activity Date", "minutes": "Minutes",
                 "staff": "Staff", "credential": "Credential", "program": "Program"},
    "claims": {"patient_id": "Patient ID", "date": "DOS", "code": "CPT", "units": "Units",
               "practitioner": "Rendering Provider"},
    "register": {"patient_id": "Patient ID", "consent_date": "Consent Date",
                 "care_plan_date": "Care Plan Date", "practitioner": "Billing Practitioner",
                 "complex": "Complex (MDM)", "disenrolment_date": "Disenrollment Date",
                 "initiating_visit_date": "Last Initiating Visit"},
}  # fmt: skip
"""Column headers of the sample exports, as an EHR and a billing system might write them."""
SAMPLE_MONTHS = tuple(str(pd.Period(RUN_DATE, freq="M") + i) for i in (1, 2))
"""The sample program's first two months: those after the sample's run date."""
# minutes per patient-month: (share, low, high) of the logged CCM minutes
_MINUTE_MIX = ((0.10, 0, 0), (0.09, 4, 14), (0.10, 15, 19), (0.44, 20, 39), (0.15, 40, 59),
               (0.12, 60, 95))  # fmt: skip


def _days(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 28, n)


def generate_program(
    patient_ids: list[str],
    practitioners: list[str],
    months: list[str],
    seed: int = 2026,
    *,
    enrolled_before: float = 0.85,
) -> dict[str, pd.DataFrame]:
    """Clean frames `register`, `time_log`, `claims` (module docstring), one column per field.

    `enrolled_before`: share of patients consented before the first month; the others consent
    on a day spread over the months (a program still enrolling)."""
    rng = np.random.default_rng(seed)
    n = len(patient_ids)
    first, last = pd.Period(months[0], freq="M"), pd.Period(months[-1], freq="M")
    start, span = first.start_time, (last.end_time - first.start_time).days + 1
    ids = np.asarray(patient_ids, dtype=object)
    prac = np.asarray(practitioners, dtype=object)[rng.integers(0, len(practitioners), n)]
    in_register = rng.random(n) > 0.03
    before = rng.random(n) < enrolled_before
    consent = pd.DatetimeIndex(
        np.where(
            before,
            start - pd.to_timedelta(rng.integers(1, 90, n), unit="D"),
            start + pd.to_timedelta(rng.integers(0, span, n), unit="D"),
        )
    )
    early_call = ~before & (rng.random(n) < 0.15)  # a call logged before the consent date
    consent = pd.DatetimeIndex(np.where(rng.random(n) < 0.02, first.end_time.normalize(), consent))
    care_plan = consent + pd.to_timedelta(rng.integers(0, 10, n), unit="D")
    care_plan = care_plan.where(rng.random(n) > 0.06)
    complex_flag = rng.random(n) < 0.10
    disenrol_month = np.where(rng.random(n) < 0.08, rng.integers(0, len(months), n), -1)
    disenrol = pd.DatetimeIndex(
        [
            pd.Period(months[m], freq="M").start_time + pd.Timedelta(days=int(d))
            if m >= 0
            else pd.NaT
            for m, d in zip(disenrol_month, _days(rng, n), strict=True)
        ]
    )
    visit = consent - pd.to_timedelta(rng.integers(5, 300, n), unit="D")
    visit = visit.where(rng.random(n) > 0.05)
    visit = pd.DatetimeIndex(
        np.where(rng.random(n) < 0.03, consent - pd.Timedelta(days=420), visit)
    )
    pcm = rng.random(n) < 0.04
    register = pd.DataFrame(
        {
            "patient_id": ids,
            "consent_date": consent,
            "care_plan_date": care_plan,
            "practitioner": prac,
            "complex": np.where(complex_flag, "Y", "N"),
            "disenrolment_date": disenrol,
            "initiating_visit_date": visit,
        }
    )[in_register].reset_index(drop=True)

    time_rows, claim_rows = [], []
    staff_of = rng.integers(0, len(STAFF), n)
    for month in months:
        period = pd.Period(month, freq="M")
        m_start, m_end = period.start_time, period.end_time.normalize()
        active = (consent <= m_end) | (~in_register & (rng.random(n) < 0.5))
        gone = disenrol.notna() & (disenrol < m_start)
        active &= ~gone | (rng.random(n) < 0.5)  # some keep being worked after disenrolment
        band = rng.choice(len(_MINUTE_MIX), n, p=[b[0] for b in _MINUTE_MIX])
        low = np.array([_MINUTE_MIX[b][1] for b in band])
        high = np.array([_MINUTE_MIX[b][2] for b in band])
        minutes = rng.integers(low, high + 1)
        minutes = np.where(complex_flag & (rng.random(n) < 0.6), rng.integers(60, 130, n), minutes)
        pieces = rng.integers(1, 4, n)
        for i in np.flatnonzero(active & (minutes > 0)):
            split = np.diff(
                np.sort(
                    np.r_[
                        0,
                        rng.choice(
                            np.arange(1, minutes[i]),
                            min(pieces[i] - 1, max(minutes[i] - 1, 0)),
                            replace=False,
                        ),
                        minutes[i],
                    ]
                )
            )
            opens = max(0, (consent[i] - m_start).days) if in_register[i] else 0
            days = np.sort(rng.integers(opens, period.days_in_month, len(split)))
            if early_call[i] and 0 < opens:
                days[0] = max(0, opens - int(rng.integers(1, 6)))
            for piece, day in zip(split, days, strict=True):
                name, credential = STAFF[staff_of[i]]
                time_rows.append(
                    (
                        ids[i],
                        m_start + pd.Timedelta(days=int(day)),
                        int(piece),
                        name,
                        credential,
                        "PCM" if pcm[i] else "CCM",
                    )
                )
            if rng.random() < 0.08:  # the practitioner's own minutes
                time_rows.append(
                    (
                        ids[i],
                        m_start + pd.Timedelta(days=int(rng.integers(0, 27))),
                        int(rng.integers(5, 36)),
                        prac[i],
                        PRACTITIONER_CREDENTIAL.get(prac[i], "MD"),
                        "PCM" if pcm[i] else "CCM",
                    )
                )
        # the biller: what the raw minutes (all of them) seem to support, with slips
        raw = minutes + 0
        for i in np.flatnonzero(active):
            when = m_end
            slip = rng.random()
            who = prac[i]
            if pcm[i]:
                if raw[i] >= 30 and slip > 0.1:
                    claim_rows.append((ids[i], when, "99426", 1, who))
                    if slip < 0.14:
                        claim_rows.append(
                            (ids[i], when, "99490", 1, who)
                        )  # CCM + PCM, one practitioner
                continue
            if complex_flag[i] and raw[i] >= 60:
                claim_rows.append((ids[i], when, "99487", 1, who))
                extra = (raw[i] - 60) // 30
                if extra:
                    claim_rows.append((ids[i], when, "99489", int(extra), who))
                continue
            units = 0
            if raw[i] >= 20:
                units = 1 + min(2, (raw[i] - 20) // 20)
            elif 15 <= raw[i] < 20 and slip < 0.3:
                units = 1  # rounded up to 20
            if units and slip > 0.92:
                continue  # supported but never billed
            if units and 0.3 <= slip < 0.36:
                units += 1  # one 99439 too many
            if units:
                claim_rows.append((ids[i], when, "99490", 1, who))
                if units > 1:
                    claim_rows.append((ids[i], when, "99439", int(units - 1), who))
                if 0.36 <= slip < 0.38:
                    other = practitioners[(practitioners.index(who) + 1) % len(practitioners)]
                    claim_rows.append((ids[i], when, "99490", 1, other))  # two practitioners
        idle = np.flatnonzero(~active | (minutes == 0))
        for i in rng.choice(idle, min(3, len(idle)), replace=False):
            claim_rows.append((ids[i], m_end, "99490", 1, prac[i]))  # a claim with no time
        for i in rng.choice(n, 4, replace=False):
            claim_rows.append((ids[i], m_start + pd.Timedelta(days=9), "99214", 1, prac[i]))
    time_log = pd.DataFrame(
        time_rows, columns=["patient_id", "date", "minutes", "staff", "credential", "program"]
    )
    claims = pd.DataFrame(
        claim_rows, columns=["patient_id", "date", "code", "units", "practitioner"]
    )
    return {
        "register": register,
        "time_log": time_log.sort_values("date", kind="stable"),
        "claims": claims,
    }


def write_audit_sample(directory: Path, *, seed: int = 2026) -> list[Path]:
    """Write the sample program's exports into `directory` (`DIR/audit/`); returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    panel = generate_panel(SAMPLE_PATIENTS, seed)
    rng = np.random.default_rng(seed + 19)
    medicare = panel[panel["payer_class"].eq("medicare_ffs") & panel["chronic_count"].ge(2)]
    chosen = medicare.sample(min(SAMPLE_ENROLLED, len(medicare)), random_state=rng)
    program = generate_program(
        chosen["patient_id"].astype(str).tolist(),
        sorted(panel["provider"].dropna().unique().tolist()),
        list(SAMPLE_MONTHS),
        seed,
        enrolled_before=SAMPLE_ENROLLED_BEFORE,
    )
    time_log = program["time_log"].rename(columns=HEADERS["time_log"])
    time_path = _write_xlsx(
        time_log,
        directory / "time_log.xlsx",
        "Time log",
        (
            "Care management time log - Sunrise Family Medicine",
            f"Exported {RUN_DATE:%m/%d/%Y}",
        ),
    )
    claims = program["claims"].assign(date=program["claims"]["date"].dt.strftime("%m/%d/%Y"))
    claims = claims.rename(columns=HEADERS["claims"])
    claims_path = directory / "claims.csv"
    body = claims.to_csv(index=False, lineterminator="\r\n")
    claims_path.write_text(body + f'"Total lines: {len(claims):,}"\r\n', encoding="utf-8")
    register = program["register"].rename(columns=HEADERS["register"])
    register_path = _write_xlsx(register, directory / "register.xlsx", "CCM register", ())
    return [time_path, claims_path, register_path]


def _write_xlsx(table: pd.DataFrame, path: Path, sheet: str, titles: tuple[str, ...]) -> Path:
    """A one-sheet workbook: title lines, then the table; dates as Excel dates (same bytes
    every run)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for line in titles:
        ws.append([line])
    ws.append(list(table.columns))
    dates = [c for c in table.columns if pd.api.types.is_datetime64_any_dtype(table[c])]
    values = table.astype(object).where(table.notna(), None)
    for column in dates:
        values[column] = [None if pd.isna(v) else v.date() for v in table[column]]
    for record in values.itertuples(index=False, name=None):  # synthetic rows, written once
        ws.append(list(record))
    for position, column in enumerate(table.columns, start=1):
        if column in dates:
            for cell in list(
                ws.iter_cols(min_col=position, max_col=position, min_row=len(titles) + 2)
            )[0]:
                cell.number_format = "mm/dd/yyyy"
    return _save_reproducibly(book, path)


def audit_sample_file(value: str, name: str) -> str:
    """`value` itself, or when it is "<sample>" the path of the sample program's audit export
    `name` (time_log.xlsx, claims.csv, register.xlsx): the monthly audit notebook's defaults,
    found from any folder (`sample.sample_file`)."""
    return sample_file(value, name, part="audit", write=write_audit_sample)
