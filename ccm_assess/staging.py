"""Private staging folders: where a run keeps patient data (the worklist, the prepared
assessment, audit exceptions) until it publishes its outputs.

`staging()` makes a folder `run-*` (0700) under `private_root()`, `$TMPDIR/ccm-assess-<uid>`,
which must be this user's own and closed to others (else a ReportError: someone else could read
what is staged there), and writes the id of the process that owns it; the folder is deleted
when the block ends, SIGTERM and Ctrl-C included. `remove_stale()` deletes the folders whose
process is gone (SIGKILL, a power cut): every ccm-assess command calls it (edge/lifecycle.py).
`publish()` moves the finished files into the output folder; `out_lock(out)` lets one run at a
time write into an output folder (an `flock` the kernel frees when the process dies).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ccm_assess.errors import ReportError

RUN_PREFIX = "run-"
PID_FILE = "pid"


def private_folder(path: Path) -> Path:
    """`path` as a folder only this user can enter (made 0700 if missing); ReportError when it
    is a link, another user's, or open to others (someone could read the PHI staged there)."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    status = path.lstat()
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise ReportError(
            f"{path} must be a folder of yours that only you may open (chmod 700); the kit "
            "keeps patient data there while it runs. Remove it, or set TMPDIR to another folder"
        )
    return path


def private_root() -> Path:
    """The private folder of this user's runs: staging folders and `--out` locks."""
    return private_folder(Path(tempfile.gettempdir()) / f"ccm-assess-{os.getuid()}")


def mark_staging(folder: Path) -> None:
    """Record the id of the process that owns a staging folder."""
    (folder / PID_FILE).write_text(str(os.getpid()), encoding="ascii")


@contextlib.contextmanager
def staging() -> Iterator[Path]:
    """A new private staging folder (0700, outside any output folder), deleted when the block
    ends."""
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=private_root()))
    try:
        mark_staging(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(folder: Path) -> bool:
    try:
        pid = int((folder / PID_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pid = 0
    return not (pid and _alive(pid))


def remove_stale(folders: Iterable[Path] | None = None) -> list[Path]:
    """Delete the staging folders (by default those of the private root) whose process is gone;
    returns them."""
    if folders is None:
        try:
            folders = list(private_root().glob(f"{RUN_PREFIX}*"))
        except (ReportError, OSError):
            return []
    removed = []
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink() and _stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def publish(staging: Path, out: Path) -> dict[str, Path]:
    """Move the finished files from `staging` into `out`, each atomically (a rename; across
    file systems a copy to a hidden name in `out` with the same permissions, then a rename);
    returns name -> final path."""
    files = {}
    for path in sorted(staging.iterdir()):
        if not path.is_file():
            continue
        target = out / path.name
        try:
            os.replace(path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            copy = out / f".{path.name}.{os.getpid()}.part"
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle, path.open("rb") as source:
                shutil.copyfileobj(source, handle)
            os.chmod(copy, stat.S_IMODE(path.stat().st_mode))
            os.replace(copy, target)
        files[path.name] = target
    return files


@contextlib.contextmanager
def out_lock(out: Path) -> Iterator[None]:
    """Hold the lock of the output folder `out` for the block; ReportError if another live
    ccm-assess process holds it."""
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:24]
    path = private_root() / f"lock-{name}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise ReportError(
                f"another ccm-assess run (process {holder}) is writing to {out}; wait until it "
                "ends, or choose another --out folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
