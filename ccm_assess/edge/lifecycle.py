"""A run's life: clean exits, no stale PHI, no clobbered inputs or user files, no mix of runs.

- `on_termination()`: SIGTERM raises `Terminated` (a KeyboardInterrupt) in the main thread, so
  every `finally` runs: the staging folder (which holds the prepared assessment and the worklist)
  is deleted, papermill shuts its kernel down, the browser's process group is killed and its
  profile folder deleted.
- Staging is private and outside `--out` (`ccm_assess.staging`); `remove_stale_staging()`,
  called by every ccm-assess command, deletes the folders whose process is gone (a run killed
  with SIGKILL or a power cut), and the `.ccm-assess-*` folders earlier versions left inside an
  `--out`.
- One run at a time per `--out` (`staging.out_lock`): a second run is refused, so two runs
  never mix their files.
- `check_out_folder`: an `--out` where an output would overwrite the panel, questionnaire,
  assumptions or mapping file is refused; so is a folder holding files with output names that no
  trusted manifest accounts for (an earlier run of an older version, or the user's own), unless
  `force`. `check_not_inputs`: an output file (`--worklist`, `--save-mapping`) that is an input
  (the same path, or a link to it) is refused.
- `MANIFEST` lists what the last run wrote, with each file's identity (inode, size, mtime) and
  an HMAC-SHA256 under a key kept in the user's state folder (`manifest_key`). It is trusted
  only when the signature holds for this `--out`: `publish_manifest` then removes the files of
  the earlier run that this one did not write, only output names, only files unchanged since
  that run wrote them, never an input. A manifest the kit did not write removes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType

from ccm_assess.errors import ReportError
from ccm_assess.intake.files import same_file
from ccm_assess.staging import private_folder, remove_stale

STAGING_PREFIX = ".ccm-assess-"
"""Staging folders of earlier versions, inside `--out`."""
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
KEY_FILE = "manifest.key"


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM): unwinds like Ctrl-C, so cleanup runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"signal {signum}")


def on_termination() -> None:
    """SIGTERM -> `Terminated` in the main thread (call from the main thread)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def remove_stale_staging(out: Path | None = None) -> list[Path]:
    """Delete the staging folders of runs that no longer exist: the private ones
    (`staging.remove_stale`), and the `.ccm-assess-*` folders of earlier versions in `out` if
    given; returns them."""
    removed = remove_stale()
    if out is not None and out.is_dir():
        removed += remove_stale(out.glob(f"{STAGING_PREFIX}*"))
    return removed


def manifest_key() -> bytes:
    """The secret the manifests of this user's runs are signed with (made on first use, 0600,
    in `$XDG_STATE_HOME/ccm-assess`, default `~/.local/state/ccm-assess`)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = private_folder(Path(base) / "ccm-assess") / KEY_FILE
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) != 32:
        raise ReportError(f"{path} is damaged; delete it (the next run makes a new one)")
    return key


def _identity(path: Path) -> list[int]:
    status = path.stat()
    return [status.st_ino, status.st_size, status.st_mtime_ns]


def _signature(out: Path, files: dict[str, list[int]]) -> str:
    text = json.dumps([str(out.resolve()), files], sort_keys=True)
    return hmac.new(manifest_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def trusted_manifest(out: Path) -> dict[str, list[int]] | None:
    """Name -> identity of the files the kit's last run in `out` wrote, from a manifest the kit
    signed for this folder; None for no manifest, or one the kit did not write."""
    try:
        document = json.loads((out / MANIFEST).read_bytes()[: 1 << 16])
        files, signature = document["files"], document["signature"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict) or not isinstance(signature, str):
        return None
    if not hmac.compare_digest(signature, _signature(out, files)):
        return None
    return {name: ids for name, ids in files.items() if name in OUTPUT_NAMES}


def check_out_folder(out: Path, inputs: Iterable[Path | None], *, force: bool = False) -> None:
    """Refuse an `--out` that would overwrite an input, or mix with unaccounted outputs."""
    target = out.resolve()
    for given in inputs:
        if given is None:
            continue
        path = given.resolve()
        if path == target:
            raise ReportError(f"--out {out} is the input file itself; choose a folder")
        hit = any(same_file(target / name, given) for name in OUTPUT_NAMES)
        if (
            hit
            or path.parent == target
            and path.name.casefold() in {n.casefold() for n in OUTPUT_NAMES}
        ):
            raise ReportError(
                f"--out {out} would overwrite the input file {given.name} (a run writes a file "
                "of that name); choose another output folder or rename the input"
            )
    if force or not target.is_dir() or trusted_manifest(target) is not None:
        return
    ours = set(OUTPUT_NAMES) - {FAILED_NOTEBOOK}  # a failed run leaves it, with no manifest
    found = sorted(name for name in ours if (target / name).is_file())
    if found:
        raise ReportError(
            f"{out} already holds {', '.join(found)}, not from a run this version recorded; "
            "choose an empty folder, or pass --force to replace them"
        )


def check_not_inputs(outputs: dict[str, Path | None], inputs: dict[str, Path | None]) -> None:
    """Refuse an output file (option -> path) that is an input (option -> path), by path or
    by a link to it, or that another output option also names."""
    given = {option: path for option, path in outputs.items() if path is not None}
    for option, path in given.items():
        for source, input_path in inputs.items():
            if input_path is not None and same_file(path, input_path):
                raise ReportError(
                    f"{option} {path} is the {source} file this command reads; writing it "
                    "would destroy it: write to another file"
                )
    names = list(given)
    for i, option in enumerate(names):
        for other in names[i + 1 :]:
            if same_file(given[option], given[other]):
                raise ReportError(f"{option} and {other} name the same file; give two files")


def publish_manifest(
    out: Path, written: Sequence[str], *, keep: Iterable[Path | None] = (), force: bool = False
) -> list[str]:
    """Write a signed `MANIFEST` for this run's files and remove the earlier run's files that
    this one did not write: those a trusted manifest lists and that are unchanged since (all
    output-named files with `force` and no trusted manifest); never a file of `keep` (the
    inputs). Returns the removed names."""
    earlier = trusted_manifest(out)
    if earlier is not None:
        candidates = {name for name, ids in earlier.items() if _unchanged(out / name, ids)}
    else:
        candidates = set(OUTPUT_NAMES) if force else set()
    inputs = [path for path in keep if path is not None]
    removed = []
    for name in sorted(candidates - set(written) - {MANIFEST}):
        path = out / name
        if path.is_file() and not any(same_file(path, given) for given in inputs):
            path.unlink()
            removed.append(name)
    files = {name: _identity(out / name) for name in sorted(set(written) - {MANIFEST})}
    document = {"files": files, "signature": _signature(out, files)}
    temporary = out / f".{MANIFEST}.{os.getpid()}"
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, out / MANIFEST)
    return removed


def _unchanged(path: Path, identity: object) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and _identity(path) == identity
    except OSError:
        return False
