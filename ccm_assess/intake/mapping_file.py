"""Save how a panel was read (`--save-mapping FILE.yaml`) and reuse it next month (`--mapping`).

The file names the sheet, the header row (for the reader's information) and, per role, the
headers of its columns, as `--map` spells them; `ignore` lists columns left out on purpose.
A reused mapping is an explicit mapping: it wins over headers and content, and a column of
codes it does not name is an error (`column_roles.infer_roles`), as is a header it names that
the file no longer has. Loading is bounded: at most `MAX_BYTES`, YAML anchors and aliases
refused, safe loader only. Headers are column names, never cell contents.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ccm_assess.errors import PanelError
from ccm_assess.intake.files import read_input
from ccm_assess.intake.headers import IGNORE, ROLES
from ccm_assess.intake.panel import Panel

MAX_BYTES = 64 * 1024
"""A mapping names a few dozen headers; anything larger is not one."""
_HOW = "write it again with --save-mapping, or pass the columns with --map role=<header>"


def mapping_of(panel: Panel) -> dict[str, list[str]]:
    """Role -> headers of the columns read for it (columns without a header are read with the
    code column before them and need no entry)."""
    roles: dict[str, list[str]] = {}
    for view in panel.columns:
        if view.role and view.header:
            roles.setdefault(view.role, []).append(view.header)
    order = [*ROLES, IGNORE]
    return {role: roles[role] for role in sorted(roles, key=order.index)}


def save_mapping(panel: Panel, path: str | Path) -> Path:
    """Write the mapping `panel` was read with to `path` (YAML) and return the path."""
    path = Path(path)
    document = {
        "sheet": panel.source.sheet,
        "header_row": panel.source.header_row,
        "columns": mapping_of(panel),
    }
    text = (
        "# ccm-assess column mapping: which column holds what, written by --save-mapping.\n"
        f"# Read from {panel.source.path.name}. Reuse: --mapping {path.name}\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PanelError(f"cannot write the mapping to {path} ({error.strerror})") from None
    return path


def load_mapping(path: str | Path) -> tuple[str | None, dict[str, list[str]]]:
    """(sheet or None, role -> headers) from a file written by `save_mapping`."""
    path = Path(path)
    data = read_input(path, "mapping file", MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
        if any(isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) for e in events):
            raise PanelError(f"the mapping file {path} uses YAML anchors or aliases; {_HOW}")
        document = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError):
        raise PanelError(f"the mapping file {path} is not readable YAML; {_HOW}") from None
    columns = document.get("columns") if isinstance(document, dict) else None
    if not isinstance(columns, dict):
        raise PanelError(f"the mapping file {path} has no `columns:` section; {_HOW}")
    mapping: dict[str, list[str]] = {}
    for role, headers in columns.items():
        headers = [headers] if isinstance(headers, str) else headers
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise PanelError(
                f"the mapping file {path} gives {role!r} something other than header names; {_HOW}"
            )
        mapping[str(role)] = headers
    sheet = document.get("sheet")
    return (str(sheet) if sheet is not None else None), mapping
