"""Readiness questionnaire: its definition, answers (YAML, Excel form or a dict), YAML template.

The questions, weights, maturity thresholds and gap actions live in `data/questionnaire.yaml`
(our assumptions [A]; docs/readiness.md, CMS required elements from docs/billing.md).
A blank answer is "not assessed" (None). Scoring is in readiness/scoring.py; the blank Excel
form is written by outputs/workbook/questionnaire_form.py.

Longer than 400 lines because the definition and the readers of both answer formats, with line- and
cell-precise errors, follow one schema (data/questionnaire.yaml).
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import math
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ccm_assess import yamlsafe
from ccm_assess.errors import PanelError, QuestionnaireError
from ccm_assess.intake.files import read_input
from ccm_assess.intake.sources import Limits, check_workbook
from ccm_assess.reference import data_path

YES_PARTLY_NO = ("yes", "partly", "no")
NOT_ASSESSED_WORDS = frozenset({"", "not assessed", "unknown", "n/a", "na", "-"})
METADATA_KEYS = ("practice", "consultant", "date")
FORM_SHEET = "Questionnaire"
FORM_COLUMNS = (
    "Question ID",
    "Question",
    "Answer",
    "Allowed answers",
    "What to ask or look for",
    "Notes",
)
FORM_META = {"Practice": "practice", "Consultant": "consultant", "Date (YYYY-MM-DD)": "date"}

Answer = str | float | None
MAX_YAML_BYTES = 4 * yamlsafe.MAX_CHARS
"""An answer file is a few KB; `yamlsafe` bounds it to MAX_CHARS characters (UTF-8: <= 4 bytes
each)."""
FORM_LIMITS = Limits(
    file_mb=2,
    unpacked_mb=2,
    strings_mb=1,
    rows=5_000,
    columns=64,
    cells=100_000,
    sheet_cells=100_000,
)
"""The questionnaire form holds a few dozen rows of six columns (10 KB, 40 KB unzipped): a
workbook fifty times larger is refused before calamine reads a cell (a 7 MB sheet of deeply
nested elements takes calamine 10 s)."""


@dataclass(frozen=True)
class Option:
    """One answer of a `choice` question; `meets` marks options that satisfy a CMS requirement."""

    key: str
    label: str
    score: float
    meets: bool = False


@dataclass(frozen=True)
class Question:
    """One question of the questionnaire (see data/questionnaire.yaml for the field meanings)."""

    id: str
    domain: str
    label: str
    text: str
    type: str
    weight: float
    help: str
    cms_required: bool = False
    handled_by: tuple[str, ...] = ()
    unit: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    full_at: float | None = None
    options: tuple[Option, ...] = ()
    action: str = ""
    owner: str = ""
    weeks: tuple[int, int] = (1, 13)
    why: str = ""
    model_actions: Mapping[str, str] = field(default_factory=dict)  # model -> gap action

    def allowed(self) -> str:
        """The valid answers in words, e.g. 'yes, partly or no' or '0 to 400 hours a week'."""
        if self.type == "yes_partly_no":
            return "yes, partly or no"
        if self.type == "choice":
            return " | ".join(option.label for option in self.options)
        kind = "whole number" if self.integer else "number"
        return f"{kind} from {self.min:g} to {self.max:g} {self.unit}".strip()


@dataclass(frozen=True)
class Domain:
    id: str
    title: str
    weight: float


@dataclass(frozen=True)
class Questionnaire:
    """The question set: yes/partly/no scale, maturity thresholds, domains, questions and the
    core launch steps of the 90-day plan."""

    scale: Mapping[str, float]
    min_assessed_share: float
    maturity: tuple[tuple[str, float], ...]
    domains: Mapping[str, Domain]
    questions: tuple[Question, ...]
    launch_steps: tuple[Mapping[str, object], ...]  # raw; parsed by plan.py

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


def _question(raw: dict[str, Any]) -> Question:
    gap = raw.pop("gap", {})
    options = tuple(Option(**option) for option in raw.pop("options", ()))
    raw["handled_by"] = tuple(raw.get("handled_by", ()))
    if any("," in option.label or '"' in option.label for option in options):
        raise ValueError(f"{raw['id']}: option labels feed an Excel drop-down, no commas/quotes")
    return Question(
        **raw,
        options=options,
        action=gap.get("action", ""),
        owner=gap.get("owner", ""),
        weeks=tuple(gap.get("weeks", (1, 13))),
        why=gap.get("why", ""),
        model_actions=dict(gap.get("by_model", {})),
    )


@lru_cache(maxsize=1)
def questionnaire_definition() -> Questionnaire:
    """The bundled question set, parsed once."""
    data = yaml.safe_load(data_path("questionnaire.yaml").read_text(encoding="utf-8"))
    domains = {key: Domain(key, **value) for key, value in data["domains"].items()}
    questions = tuple(_question(dict(raw)) for raw in data["questions"])
    unknown = {q.domain for q in questions} - set(domains)
    if unknown or not math.isclose(sum(d.weight for d in domains.values()), 1.0):
        raise ValueError(
            f"questionnaire.yaml: unknown domains {unknown} or weights not summing to 1"
        )
    return Questionnaire(
        scale=data["scale"],
        min_assessed_share=float(data["min_assessed_share"]),
        maturity=tuple((m["label"], float(m["min"])) for m in data["maturity"]),
        domains=domains,
        questions=questions,
        launch_steps=tuple(data["launch_steps"]),
    )


# ---------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Answers:
    """Validated answers: every question id -> 'yes'/'partly'/'no', a number, an option key, or
    None (not assessed). Build with `load_questionnaire(path)` or `Answers.from_dict(dict)`."""

    values: Mapping[str, Answer]
    notes: Mapping[str, str] = field(default_factory=dict)
    practice: str = ""
    consultant: str = ""
    date: dt.date | None = None
    source: str = "dict"

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, source: str = "dict") -> Answers:
        """From {question_id: answer} (flat) or {"answers": {...}, "practice": ..., ...}."""
        return _from_mapping(data, lambda key: f"{source}: {key!r}", source)

    @property
    def not_assessed(self) -> tuple[str, ...]:
        return tuple(qid for qid, value in self.values.items() if value is None)


def _suggest(key: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(close)}?" if close else ""


def _is_blank(raw: object) -> bool:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return True
    return isinstance(raw, str) and raw.strip().lower() in NOT_ASSESSED_WORDS


def _parse_value(question: Question, raw: object, where: str) -> Answer:
    """One raw answer -> its canonical value; blank -> None (not assessed)."""
    if _is_blank(raw):
        return None
    allowed = question.allowed()
    if question.type == "choice":
        allowed = "one of " + ", ".join(o.key for o in question.options) + " (or its label)"
    problem = (
        f"{where}: {question.id} must be {allowed}, or blank if not assessed; got {raw!r}. "
        "Fix the answer and load the file again."
    )
    if question.type == "yes_partly_no":
        if isinstance(raw, bool):  # YAML reads yes/no as booleans
            return "yes" if raw else "no"
        text = str(raw).strip().lower()
        if text in YES_PARTLY_NO:
            return text
        raise QuestionnaireError(problem)
    if question.type == "choice":
        text = str(raw).strip().lower()
        for option in question.options:
            if text in (option.key.lower(), option.label.lower()):
                return option.key
        raise QuestionnaireError(problem)
    try:
        number = float(raw) if not isinstance(raw, bool) else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    low, high = question.min, question.max
    within = (
        low is not None and high is not None and low <= number <= high
        if math.isfinite(number)
        else False
    )
    if not within or (question.integer and not number.is_integer()):
        raise QuestionnaireError(problem)
    return number


def _parse_date(raw: object, where: str) -> dt.date | None:
    if _is_blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise QuestionnaireError(f"{where}: date must look like 2026-03-02, not {raw!r}.") from None


def _from_mapping(data: Mapping[str, object], where: Callable[[str], str], source: str) -> Answers:
    """Shared by every loader: split metadata, answers and notes; validate each answer."""
    definition = questionnaire_definition()
    known = list(definition.ids)
    raw_answers: dict[str, object] = {}
    sections: dict[str, Mapping[str, object]] = {}
    for section in ("answers", "notes"):
        given = data.get(section) or {}
        if not isinstance(given, Mapping):
            raise QuestionnaireError(f"{where(section)}: {section} must be a list of id: value.")
        sections[section] = given
    nested = list(sections["answers"].items())
    for key, value in nested + list(data.items()):
        if key in ("answers", "notes", *METADATA_KEYS):
            continue
        if key not in known:
            hint = _suggest(str(key), known + ["answers", "notes", *METADATA_KEYS])
            raise QuestionnaireError(f"{where(key)}: unknown question id {key!r}.{hint}")
        if key in raw_answers:
            raise QuestionnaireError(f"{where(key)}: {key} is answered twice; keep one.")
        raw_answers[key] = value
    notes = {str(k): str(v) for k, v in sections["notes"].items() if not _is_blank(v)}
    for key in notes:
        if key not in known:
            raise QuestionnaireError(
                f"{where(key)}: note for unknown question id {key!r}.{_suggest(key, known)}"
            )
    return Answers(
        values={
            q.id: _parse_value(q, raw_answers.get(q.id), where(q.id)) for q in definition.questions
        },
        notes=notes,
        practice="" if _is_blank(data.get("practice")) else str(data["practice"]).strip(),
        consultant="" if _is_blank(data.get("consultant")) else str(data["consultant"]).strip(),
        date=_parse_date(data.get("date"), where("date")),
        source=source,
    )


def _yaml_key_lines(text: str, name: str) -> dict[str, int]:
    """Line of each key at the top level and under answers/notes; a repeated key is an error."""
    lines: dict[str, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    mappings = [root] if isinstance(root, yaml.MappingNode) else []
    for node in mappings:
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise QuestionnaireError(
                    f"{name}, line {line}: {key.value} is answered twice (also on line "
                    f"{seen[key.value]}); keep one."
                )
            seen[key.value] = line
            lines.setdefault(key.value, line)
            if key.value in ("answers", "notes") and isinstance(value, yaml.MappingNode):
                mappings.append(value)
    return lines


def _load_yaml(path: Path) -> Answers:
    raw = read_input(path, "questionnaire file", MAX_YAML_BYTES, error=QuestionnaireError)
    try:
        text = raw.decode("utf-8-sig")
        data, _ = yamlsafe.load(text)
        lines = _yaml_key_lines(text, path.name)
    except UnicodeDecodeError:
        raise QuestionnaireError(f"{path}: not a text file; save the answers as YAML.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = yamlsafe.problem_text(exc)
        raise QuestionnaireError(
            f"{path.name}{at}: not valid YAML ({problem}). Check indentation and that each "
            "answer is written as `question_id: answer`."
        ) from None
    if not isinstance(data, dict):
        raise QuestionnaireError(
            f"{path.name}: expected `question_id: answer` lines (`ccm-assess questionnaire DIR` "
            "writes a blank questionnaire.yaml to start from)."
        )
    return _from_mapping(data, lambda key: f"{path.name}, line {lines.get(key, '?')}", str(path))


def _cell(value: object) -> object:
    return None if _is_blank(value) else value


def _load_form(path: Path) -> Answers:
    raw = read_input(path, "questionnaire workbook", FORM_LIMITS.file_mb << 20,
                      error=QuestionnaireError)  # fmt: skip
    try:
        check_workbook(raw, path.name, FORM_LIMITS)
    except PanelError:
        raise QuestionnaireError(
            f"{path.name}: the workbook declares or holds far more than the questionnaire form "
            "(rows, columns, text or unzipped size); use the form that `ccm-assess "
            "questionnaire DIR` writes (questionnaire.xlsx)."
        ) from None
    try:
        sheets = pd.read_excel(
            io.BytesIO(raw), sheet_name=None, header=None, engine="calamine", dtype=object
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises several types (a Rust panic among them)
        raise QuestionnaireError(
            f"{path.name}: cannot read the workbook ({type(exc).__name__})."
        ) from None
    if FORM_SHEET not in sheets:
        raise QuestionnaireError(
            f"{path.name}: no sheet named {FORM_SHEET!r} (found {', '.join(sheets)}); use the "
            "form that `ccm-assess questionnaire DIR` writes (questionnaire.xlsx)."
        )
    sheet = sheets[FORM_SHEET].reindex(columns=range(len(FORM_COLUMNS)))
    first = sheet[0].astype("str").str.strip()
    header = first.index[first == FORM_COLUMNS[0]]
    if header.empty:
        raise QuestionnaireError(f"{path.name}: no {FORM_COLUMNS[0]!r} header in column A.")
    top, body = sheet.loc[: header[0] - 1], sheet.loc[header[0] + 1 :]
    questions = body[body[0].notna() & body[1].notna()]
    data: dict[str, object] = {
        FORM_META[label]: _cell(value)
        for label, value in zip(top[1], top[2], strict=True)
        if label in FORM_META
    }
    data["answers"] = {
        str(qid).strip(): _cell(v) for qid, v in zip(questions[0], questions[2], strict=True)
    }
    data["notes"] = {
        str(qid).strip(): _cell(v) for qid, v in zip(questions[0], questions[5], strict=True)
    }
    rows = {
        str(qid).strip(): row + 1 for qid, row in zip(questions[0], questions.index, strict=True)
    }
    rows |= {key: row + 1 for label, key in FORM_META.items() for row in top.index[top[1] == label]}
    return _from_mapping(
        data, lambda key: f"{path.name}, sheet {FORM_SHEET}, cell C{rows.get(key, '?')}", str(path)
    )


def load_questionnaire(path: str | Path) -> Answers:
    """Read an answer file: YAML (.yaml/.yml) or the Excel form (.xlsx). Raise QuestionnaireError
    with the problem and where it is (line or cell) for anything the kit cannot use."""
    path = Path(path)
    if not path.exists():
        raise QuestionnaireError(
            f"Questionnaire file not found: {path}. `ccm-assess questionnaire DIR` writes blank "
            "ones to start from (questionnaire.yaml, questionnaire.xlsx)."
        )
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if suffix in (".xlsx", ".xlsm"):
        return _load_form(path)
    raise QuestionnaireError(
        f"{path.name}: use a .yaml answer file or the .xlsx form, not {suffix!r}."
    )


# ---------------------------------------------------------------------------- templates


def answer_template_text() -> str:
    """The blank YAML answer file (`ccm-assess questionnaire`; templates/questionnaire.yaml in the
    repository), with each question as comments."""
    definition = questionnaire_definition()
    wrap = textwrap.TextWrapper(width=96, initial_indent="  # ", subsequent_indent="  #   ")
    out = [
        "# CCM readiness questionnaire: answers for `ccm-assess run PANEL --questionnaire FILE`.",
        "# Write what you learn in the meeting after each question id. Leave an answer blank if it",
        "# was not discussed: it is reported as 'not assessed', never scored as yes.",
        "# yes/partly/no questions take yes, partly or no; choice questions take one of the keys.",
        'practice: ""',
        'consultant: ""',
        "date:  # YYYY-MM-DD",
        "answers:",
    ]
    for domain in definition.domains.values():
        out.append(f"  # ---- {domain.title}")
        for q in definition.questions:
            if q.domain != domain.id:
                continue
            allowed = (
                " | ".join(f"{o.key} = {o.label}" for o in q.options) if q.options else q.allowed()
            )
            out += wrap.wrap(q.text) + wrap.wrap(f"Answer: {allowed}") + wrap.wrap(q.help)
            out.append(f"  {q.id}:")
    out += [
        "# Optional notes per question, one per line, for example:",
        "#   owner_named: The office manager coordinates when she has time.",
        "notes:",
        "",
    ]
    return "\n".join(out)


def write_answer_template(path: str | Path) -> Path:
    """Write the blank YAML answer file; returns the path."""
    path = Path(path)
    path.write_text(answer_template_text(), encoding="utf-8")
    return path
