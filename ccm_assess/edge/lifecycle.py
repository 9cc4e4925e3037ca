"""A run's life in its output folder: clean exits, no stale PHI, no clobbered inputs, no mix.

- `on_termination()`: SIGTERM raises `Terminated` (a KeyboardInterrupt) in the main thread, so
  every `finally` runs: the staging folder (which holds the prepared assessment and the worklist)
  is deleted, papermill shuts its kernel down, the browser's process group is killed and its
  profile folder deleted.
- Staging folders are `.ccm-assess-*` inside `--out`, each with the id of the process that made
  it (`mark_staging`); `remove_stale_staging` deletes those whose process is gone (a run killed
  with SIGKILL or a power cut) before a new run starts.
- `check_out_folder`: an `--out` where an output would overwrite the panel, questionnaire or
  assumptions file is refused; so is a folder holding files with output names that no
  manifest accounts for (an earlier run of an older version, or the user's own), unless
  `force`.
- `MANIFEST` lists what the last run wrote; `publish_manifest` removes the files of the earlier
  run that this one did not write (a run with fewer formats never leaves an old report
  beside the new files).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType

from ccm_assess.errors import ReportError

STAGING_PREFIX = ".ccm-assess-"
PID_FILE = "pid"
MANIFEST = "ccm-assess-manifest.json"
FAILED_NOTEBOOK = "assessment.failed.ipynb"
OUTPUT_NAMES = (
    "report.html",
    "report.pdf",
    "workbook.xlsx",
    "worklist.xlsx",
    "summary.json",
    "assessment.ipynb",
    FAILED_NOTEBOOK,
    "assumptions_used.yaml",
    "monthly.csv",
    MANIFEST,
)
"""Every file name a run may write into `--out`."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM): unwinds like Ctrl-C, so cleanup runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"signal {signum}")


def on_termination() -> None:
    """SIGTERM -> `Terminated` in the main thread (call from the main thread)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_staging(folder: Path) -> None:
    """Record the id of the process that owns a staging folder."""
    (folder / PID_FILE).write_text(str(os.getpid()), encoding="ascii")


def remove_stale_staging(out: Path) -> list[Path]:
    """Delete staging folders in `out` left by runs that no longer exist; returns them."""
    removed = []
    for folder in out.glob(f"{STAGING_PREFIX}*"):
        if not folder.is_dir():
            continue
        try:
            pid = int((folder / PID_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _manifest_files(out: Path) -> list[str] | None:
    try:
        files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return [name for name in files if isinstance(name, str) and Path(name).name == name]


def check_out_folder(out: Path, inputs: Iterable[Path | None], *, force: bool = False) -> None:
    """Refuse an `--out` that would overwrite an input, or mix with unaccounted outputs."""
    target = out.resolve()
    for given in inputs:
        if given is None:
            continue
        path = given.resolve()
        if path.parent == target and path.name.casefold() in {n.casefold() for n in OUTPUT_NAMES}:
            raise ReportError(
                f"--out {out} would overwrite the input file {given.name} (a run writes a file "
                "of that name); choose another output folder or rename the input"
            )
        if path == target:
            raise ReportError(f"--out {out} is the input file itself; choose a folder")
    if force or not target.is_dir() or _manifest_files(target) is not None:
        return
    ours = set(OUTPUT_NAMES) - {FAILED_NOTEBOOK}  # a failed run leaves it, with no manifest
    found = sorted(name for name in ours if (target / name).is_file())
    if found:
        raise ReportError(
            f"{out} already holds {', '.join(found)}, not from a run this version recorded; "
            "choose an empty folder, or pass --force to replace them"
        )


def publish_manifest(out: Path, written: Sequence[str]) -> list[str]:
    """Write `MANIFEST` for this run's files and remove the earlier run's files it did not
    write (all output-named files when there was no manifest); returns the removed names."""
    earlier = _manifest_files(out)
    candidates = set(OUTPUT_NAMES) if earlier is None else set(earlier)
    stale = sorted(candidates - set(written) - {MANIFEST})
    removed = []
    for name in stale:
        path = out / name
        if path.is_file():
            path.unlink()
            removed.append(name)
    text = json.dumps({"files": sorted(set(written) | {MANIFEST})}, indent=2)
    (out / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return removed
