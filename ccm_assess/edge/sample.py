"""The sample practice's files: `write_ehr_xlsx` and `write_long_csv` turn a `generate_panel`
frame (`sample_panel.py`) into the two exports a practice might hand over, with the mess real
exports have; `write_sample` writes the committed sample practice ("Sunrise Family Medicine")
for `ccm-assess sample`; `sample_file` finds it for the notebooks' defaults.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ccm_assess.edge.sample_panel import (
    DESCRIPTIONS,
    LOCATIONS,
    PRACTICE,
    RUN_DATE,
    SAMPLE_PATIENTS,
    draw,
    generate_panel,
)
from ccm_assess.reference import data_path

FILE_STEM = "sunrise_family_medicine"
QUESTIONNAIRE = "sample_questionnaire.yaml"
SAMPLE = "<sample>"
"""A notebook parameter value meaning "the sample practice's file" (see `sample_file`)."""
_ZIP_TIME = (2026, 11, 20, 7, 15, 0)
_FIXED_TIME = dt.datetime(2026, 11, 20, 7, 15, 0)

XLSX_HEADER = (
    "Acct #", "Patient Name", "DOB", "Sex", "Phone", "Address", "Primary Insurance",
    "Secondary Ins", "Last Appt", "PCP", "Location", *(f"Dx {i}" for i in range(1, 9)),
    "Diagnosis Codes", "Deceased", "Hospice", "IP Admits (12 mo)", "ED Visits (12 mo)",
)  # fmt: skip
CSV_HEADER = (
    "MRN", "Patient Name", "Patient DOB", "Gender", "Payer", "Secondary Payer", "Last Seen",
    "Rendering Provider", "Department", "Hospice Flag", "Date of Death", "ICD10 Code",
    "Problem Description", "Noted Date",
)  # fmt: skip
INVALID_TOKENS = ("DM2", "HTN", "CHF", "N/A", "UNK", "?")
ICD9_TOKENS = ("250.00", "401.9", "272.4", "428.0")
_DX_COLUMNS = 8
_LIST_SEPARATORS = ("; ", ", ", " | ", "\n", " ")


def _export_rows(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rows as an EHR report lists them: some patients twice (once per location), a few rows
    without an id (patient_id ""), sorted by location and name."""
    n = len(frame)
    twice = frame[rng.random(n) < 0.015]
    twice = twice.assign(location=np.where(twice["location"] == LOCATIONS[0], *LOCATIONS[::-1]))
    no_id = frame.iloc[rng.choice(n, min(n, max(2, n // 800)), replace=False)].assign(patient_id="")
    rows = pd.concat([frame, twice, no_id], ignore_index=True)
    return rows.sort_values(
        ["location", "last_name", "first_name"], kind="stable", ignore_index=True
    )


def _tokens(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Long frame `row`, `token`, `listed`: each code written as exports write it, plus stray
    tokens (invalid text, ICD-9 codes) for a few rows; `listed`: the row's codes go in one cell
    (all rows with more than 8 codes, 12% of the others)."""
    long = rows["codes"].explode().dropna()
    code = long.astype(str).reset_index(drop=True)
    style = draw(rng, np.array([0.72, 0.1, 0.05, 0.05, 0.08]), len(code))
    n = len(rows)
    row = long.index.to_numpy()
    count = np.bincount(row, minlength=n)
    listed = (count > _DX_COLUMNS) | (rng.random(n) < 0.12)
    # Stray tokens only in Dx columns with room for them: in a space-separated list cell a word
    # such as "HTN" would make the cell read as "code description", which is ambiguous.
    room = ~listed & (count <= _DX_COLUMNS - 2)
    invalid = np.flatnonzero(room & (rng.random(n) < 0.015))
    icd9 = np.flatnonzero(room & (rng.random(n) < 0.01))
    style = np.where(listed[row] & (style == 4), 0, style)  # no descriptions inside list cells
    token = np.select(
        [style == 1, style == 2, style == 3, style == 4],
        [
            code.str.replace(".", "", regex=False).to_numpy(dtype=object),
            code.str.lower().to_numpy(dtype=object),
            (" " + code + " ").to_numpy(dtype=object),
            (code + " - " + code.map(DESCRIPTIONS)).to_numpy(dtype=object),
        ],
        code.to_numpy(dtype=object),
    )
    out = pd.DataFrame(
        {
            "row": np.concatenate([row, invalid, icd9]),
            "token": np.concatenate(
                [
                    token,
                    rng.choice(INVALID_TOKENS, len(invalid)),
                    rng.choice(ICD9_TOKENS, len(icd9)),
                ]
            ).astype(object),
        }
    ).sort_values("row", kind="stable", ignore_index=True)
    return out.assign(listed=listed[out["row"].to_numpy()])


def _diagnosis_cells(
    tokens: pd.DataFrame, n_rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Dx 1..8 (rows x 8) and the "Diagnosis Codes" list cell (one separator per row)."""
    row, token, listed = (tokens[c].to_numpy() for c in ("row", "token", "listed"))
    position = tokens.groupby("row").cumcount().to_numpy()
    dx = np.full((n_rows, _DX_COLUMNS), None, dtype=object)
    dx[row[~listed], position[~listed]] = token[~listed]
    joined = tokens[listed].groupby("row")["token"].agg("\x1f".join)
    separator = draw(rng, np.ones(len(_LIST_SEPARATORS)), n_rows)[joined.index.to_numpy()]
    for k, text in enumerate(_LIST_SEPARATORS):
        joined = joined.where(separator != k, joined.str.replace("\x1f", text, regex=False))
    cells = np.full(n_rows, None, dtype=object)
    cells[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return dx, cells


def _date_values(
    dates: pd.Series, rng: np.random.Generator, shares: tuple[float, ...]
) -> list[object]:
    """Per row a `datetime.date` (a real Excel date), `MM/DD/YYYY` or `M/D/YY` text; None
    when missing. `shares`: weights of the three styles."""
    style = draw(rng, np.array(shares), len(dates))
    text = dates.dt.strftime("%m/%d/%Y")
    short = text.str.replace(r"^0?(\d+)/0?(\d+)/\d\d(\d\d)$", r"\1/\2/\3", regex=True)
    values = pd.Series(
        np.select([style == 1, style == 2], [text, short], dates.dt.date), dtype=object
    )
    cells: list[object] = values.where(dates.notna(), None).tolist()
    return cells


def _date_cells(worksheet: object, values: list[object]) -> list[object]:
    """Excel date cells shown as mm/dd/yyyy; other values unchanged."""
    from openpyxl.cell import WriteOnlyCell

    def cell(value: object) -> object:
        if not isinstance(value, dt.date):
            return value
        written = WriteOnlyCell(worksheet, value)
        written.number_format = "mm/dd/yyyy"
        return written

    return [cell(value) for value in values]


def _blank_some(values: pd.Series, rng: np.random.Generator, share: float) -> list[object]:
    """Values as a list with about `share` of them blanked (None)."""
    kept: list[object] = (
        values.astype(object).where(rng.random(len(values)) >= share, None).tolist()
    )
    return kept


def write_ehr_xlsx(
    frame: pd.DataFrame,
    path: Path,
    *,
    seed: int = 0,
    practice: str = PRACTICE,
    run_date: dt.date = RUN_DATE,
) -> Path:
    """Write `frame` as a wide EHR "Patient Panel Report" workbook (title rows, vendor headers,
    Dx 1..8 or a list cell, mixed code and date formats, duplicates, rows without id, footer,
    a second "Report Criteria" sheet). Byte-identical for the same frame and seed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    rng = np.random.default_rng([seed, 1])
    name = frame["last_name"] + ", " + frame["first_name"]
    initial = " " + pd.Series(rng.choice(list("ABCDEJKLMPRSTW"), len(frame)), index=frame.index)
    rows = _export_rows(
        frame.assign(name=name.where(rng.random(len(frame)) >= 0.3, name + initial)), rng
    )
    n = len(rows)
    dx, listed = _diagnosis_cells(_tokens(rows, rng), n, rng)
    ids = rows["patient_id"].astype(object)
    birth = _date_values(rows["birth_date"], rng, (0.62, 0.38, 0.0))
    birth = pd.Series(birth, dtype=object).where(rng.random(n) >= 0.003, None)
    birth[rng.choice(n, min(n, 2), replace=False)] = "01/01/1900"  # registration placeholders
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Patient Panel")
    columns = [
        ids.where(ids != "", None).map(int, na_action="ignore").tolist(),
        rows["name"].tolist(),
        _date_cells(sheet, birth.tolist()),
        rows["sex"].tolist(),
        rows["phone"].tolist(),
        rows["address"].tolist(),
        rows["primary_payer"].replace("", None).tolist(),
        rows["secondary_payer"].replace("", None).tolist(),
        _date_cells(sheet, _date_values(rows["last_visit_date"], rng, (0.6, 0.35, 0.05))),
        rows["provider"].tolist(),
        rows["location"].tolist(),
        *(dx[:, j].tolist() for j in range(_DX_COLUMNS)),
        listed.tolist(),
        np.where(rows["deceased"], "Y", "N").tolist(),
        np.where(rows["hospice"], "X", None).tolist(),  # type: ignore[call-overload]  # None: blank
        _blank_some(rows["inpatient_admits_12m"], rng, 0.005),
        _blank_some(rows["ed_visits_12m"], rng, 0.005),
    ]

    def bold(text: str, size: int = 11) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, text)
        cell.font = Font(bold=True, size=size)
        return cell

    sheet.append([bold("Patient Panel Report", 14)])
    sheet.append([f"{practice} - Run date: {run_date:%m/%d/%Y}"])
    sheet.append([])
    sheet.append([bold(header) for header in XLSX_HEADER])
    for values in zip(*columns, strict=True):
        sheet.append(values)
    sheet.append([])
    sheet.append([f"Total patients: {n:,}"])
    sheet.append(["Confidential - contains PHI"])
    criteria = workbook.create_sheet("Report Criteria")
    for line in (
        ("Report", "Patient Panel Report"),
        ("Practice", practice),
        ("Run date", f"{run_date:%m/%d/%Y}"),
        ("Run by", "frontdesk2"),
        ("Criteria", "Active patients; all providers; all locations"),
        ("Diagnoses", "Dx 1-8 from the active problem list; long lists in Diagnosis Codes"),
        ("Note", "Patients seen at both locations are listed once per location"),
    ):
        criteria.append(line)
    return _save_reproducibly(workbook, Path(path))


def _save_reproducibly(workbook: object, path: Path) -> Path:
    """Save an openpyxl workbook with fixed document and zip timestamps (same bytes each run)."""
    from openpyxl.xml.functions import tostring

    buffer = io.BytesIO()
    workbook.save(buffer)  # type: ignore[attr-defined]
    properties = workbook.properties  # type: ignore[attr-defined]
    properties.created = properties.modified = _FIXED_TIME
    core = tostring(properties.to_tree())
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info)
            target.writestr(zipfile.ZipInfo(info.filename, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return path


def write_long_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    seed: int = 0,
    practice: str = PRACTICE,
    run_date: dt.date = RUN_DATE,
) -> Path:
    """Write `frame` as a long problem-list CSV (one row per patient and problem; one row with
    a blank code for patients without problems), ISO dates, UTF-8 with BOM, CRLF, a title and a
    footer line, a few duplicate rows, problems without a code and rows without an MRN."""
    rng = np.random.default_rng([seed, 2])
    long = frame.explode("codes", ignore_index=True)
    n = len(long)
    no_code = long.iloc[rng.choice(n, max(1, n // 200), replace=False)].assign(
        codes=lambda f: rng.choice(
            ["FALL RISK", "Lives alone", "Advance directive on file"], len(f)
        )
    )
    no_code = no_code.assign(description=no_code["codes"], codes="")
    long = long.assign(description=long["codes"].map(DESCRIPTIONS))
    extra = long.iloc[rng.choice(n, max(1, n // 200), replace=False)]
    no_mrn = long.iloc[rng.choice(n, min(n, 2), replace=False)].assign(patient_id="")
    long = pd.concat([long, no_code, extra, no_mrn], ignore_index=True)
    long = long.sort_values("patient_id", kind="stable", ignore_index=True)
    code = long["codes"].fillna("").astype(str)
    code = code.where(rng.random(len(long)) >= 0.1, code.str.replace(".", "", regex=False))
    noted = long["last_visit_date"] - pd.to_timedelta(rng.integers(0, 2500, len(long)), unit="D")
    noted = noted.where(noted > long["birth_date"], long["birth_date"]).where(code != "")

    def iso(dates: pd.Series) -> pd.Series:
        return dates.dt.strftime("%Y-%m-%d")

    body = pd.DataFrame(
        dict(
            zip(
                CSV_HEADER,
                (
                    long["patient_id"],
                    (long["last_name"] + ", " + long["first_name"]).str.upper(),
                    iso(long["birth_date"]),
                    long["sex"].map({"F": "Female", "M": "Male"}),
                    long["primary_payer"],
                    long["secondary_payer"],
                    iso(long["last_visit_date"]),
                    long["provider"],
                    long["location"],
                    np.where(long["hospice"], "Y", "N"),
                    iso(long["death_date"]),
                    code,
                    long["description"],
                    iso(noted),
                ),
                strict=True,
            )
        )
    )
    text = io.StringIO()
    text.write(f"{practice} - Problem List Export\r\nRun date: {run_date.isoformat()}\r\n\r\n")
    body.to_csv(text, index=False, lineterminator="\r\n")
    text.write(f'\r\n"Total rows: {len(body):,}"\r\n')
    Path(path).write_bytes(text.getvalue().encode("utf-8-sig"))
    return Path(path)


def write_sample(directory: Path, *, seed: int = 2026) -> list[Path]:
    """Write the sample practice into `directory`: the EHR workbook, the problem-list CSV (same
    patients) and, when the package ships it, the filled questionnaire. Returns the paths.
    (`ccm-assess sample` also writes the running program's audit exports into `directory/audit/`
    with `sample_audit.write_audit_sample`, which builds on the same `sample_panel` frame.)"""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    frame = generate_panel(SAMPLE_PATIENTS, seed)
    paths = [
        write_ehr_xlsx(frame, directory / f"{FILE_STEM}_panel.xlsx", seed=seed),
        write_long_csv(frame, directory / f"{FILE_STEM}_problem_list.csv", seed=seed),
    ]
    questionnaire = data_path(QUESTIONNAIRE)
    if questionnaire.is_file():
        paths.append(Path(shutil.copyfile(questionnaire, directory / "questionnaire.yaml")))
    return paths


def sample_file(
    value: str,
    name: str,
    *,
    part: str = "",
    write: Callable[[Path], object] | None = None,
) -> str:
    """`value` itself, or when it is SAMPLE the path of the sample practice's file `name`.

    The notebooks' defaults: the checkout's `sample_data/[part/]NAME` when there is one
    (editable install), else a copy written once by `write` (default `write_sample`) into the
    temporary folder (installed wheel), so a notebook runs on the sample from any working
    directory. `part="audit"` with `sample_audit.write_audit_sample`: the audit exports.

    >>> sample_file("my_panel.xlsx", "sunrise_family_medicine_panel.xlsx")
    'my_panel.xlsx'
    """
    if value != SAMPLE:
        return value
    checkout = Path(__file__).resolve().parents[2] / "sample_data" / part / name
    if checkout.is_file():
        return str(checkout)
    from ccm_assess import __version__

    suffix = f"-{part}" if part else ""
    cache = Path(tempfile.gettempdir()) / f"ccm-assess-sample-{__version__}{suffix}"
    if not (cache / name).is_file():
        scratch = Path(tempfile.mkdtemp(prefix=".ccm-assess-sample-", dir=cache.parent))
        (write or write_sample)(scratch)
        try:
            os.replace(scratch, cache)  # atomic; another process may have won the race
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
    return str(cache / name)
