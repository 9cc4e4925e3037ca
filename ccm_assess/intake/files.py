"""Every input file is opened here: a regular file, its size known before a byte is read.

A path given for a panel, questionnaire, assumptions, mapping, audit export or CMS file may be
a named pipe (reading it waits for a writer that never comes), a device (`/dev/zero` never
ends), a folder, or a sparse file (a few KB on disk, gigabytes of zeros when read). `open_input`
opens without blocking (`O_NONBLOCK`: a pipe opens at once), then judges the open descriptor
(`fstat`, so the file checked is the file read), and refuses anything but a regular file, a
file over `max_bytes`, and a large file that is mostly holes. `read_input` reads at most
`max_bytes + 1` bytes, so a file growing while read is refused too. Messages name the file and
what to do, never its contents.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ccm_assess.errors import CcmAssessError, PanelError

KIB, MIB = 1 << 10, 1 << 20
SPARSE_FROM = 16 * MIB
"""Files from this size up are checked for holes (smaller ones are cheap to read anyway)."""
SPARSE_SHARE = 64
"""A file whose allocated blocks hold less than 1/64 of its size is mostly holes (filesystem
compression of a text export stays far above that)."""

_KINDS = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def size_text(size: int) -> str:
    """`812 bytes`, `64 KiB`, `1.5 MiB`: a file size in words."""
    if size < KIB:
        return f"{size:,} bytes"
    if size < MIB:
        return f"{size / KIB:,.0f} KiB"
    return f"{size / MIB:,.1f} MiB"


def _refuse(error: type[CcmAssessError], kind: str, path: Path, problem: str) -> CcmAssessError:
    return error(f"the {kind} '{path}' {problem}")


def _judge(status: os.stat_result, path: Path, kind: str, max_bytes: int,
           error: type[CcmAssessError]) -> int:  # fmt: skip
    """The size of a regular file of at most `max_bytes`, not mostly holes; else raise."""
    mode = status.st_mode
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _KINDS.items() if test(mode)), "not a regular file")
        raise _refuse(error, kind, path, f"is {what}, not a file; pass the file itself")
    size = status.st_size
    if size > max_bytes:
        raise _refuse(
            error, kind, path,
            f"is {size_text(size)}, larger than the {size_text(max_bytes)} such a file can be; "
            "check that it is the right file",
        )  # fmt: skip
    allocated = getattr(status, "st_blocks", None)
    if allocated is not None and size >= SPARSE_FROM and allocated * 512 * SPARSE_SHARE < size:
        raise _refuse(
            error, kind, path,
            f"is a sparse file ({size / MIB:,.0f} MiB long, {allocated * 512 / KIB:,.0f} KiB "
            "on disk): mostly empty space, not an export; export the file again",
        )  # fmt: skip
    return size


def check_input(
    path: str | Path, kind: str, max_bytes: int, *, error: type[CcmAssessError] = PanelError
) -> int:
    """The size in bytes of the input `path` (a regular file of at most `max_bytes`), without
    opening it; raises `error` naming the `kind` of input ("panel file", ...) otherwise."""
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise _refuse(error, kind, path, "does not exist; check the path") from None
    except OSError as failure:
        raise _refuse(error, kind, path, f"cannot be read ({failure.strerror})") from None
    return _judge(status, path, kind, max_bytes, error)


def open_input(
    path: str | Path, kind: str, max_bytes: int, *, error: type[CcmAssessError] = PanelError
) -> BinaryIO:
    """The input `path` opened for reading in binary, after the checks of `check_input` on the
    open file itself (no wait on a pipe, no race between check and read)."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise _refuse(error, kind, path, "does not exist; check the path") from None
    except IsADirectoryError:
        raise _refuse(error, kind, path, "is a folder, not a file; pass the file itself") from None
    except OSError as failure:
        raise _refuse(
            error, kind, path,
            f"cannot be opened ({failure.strerror}); check that you may read it and that no "
            "other program holds it locked",
        ) from None  # fmt: skip
    try:
        _judge(os.fstat(fd), path, kind, max_bytes, error)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_input(
    path: str | Path, kind: str, max_bytes: int, *, error: type[CcmAssessError] = PanelError
) -> bytes:
    """The bytes of the input `path` (`open_input`), at most `max_bytes`."""
    path = Path(path)
    with open_input(path, kind, max_bytes, error=error) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as failure:
            raise _refuse(error, kind, path, f"cannot be read ({failure.strerror})") from None
    if len(data) > max_bytes:
        raise _refuse(error, kind, path, "grew while it was read; read it again when complete")
    return data


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file `path` points to (symlinks followed), None if none: two
    paths with the same identity are one file (a symlink or a hard link)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether `a` and `b` are one file: the same resolved path, or the same inode."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    identity = file_identity(a)
    return identity is not None and identity == file_identity(b)
