"""Errors the kit raises on purpose, each with a message a consultant can act on.

CcmAssessError            base: the CLI prints the message and exits with status 2
├── PanelError            the panel file cannot be used at all (unreadable, no id column, ...)
├── AssumptionsError      an assumptions file names an unknown assumption or a bad value
├── QuestionnaireError    a questionnaire file is missing or malformed
├── LocalityError         a Medicare locality that the GPCI table does not know
├── FeeScheduleError      a fee schedule year, CF period, setting or CMS file not usable
├── CatalogError          a condition catalog file is malformed
├── ModelInputError       counts or rates given to the model are incomplete
├── ScenarioError         a scenario that cannot be loaded, named, found or exported
├── BatchError            the batch input cannot be used
└── ReportError           an export step failed (notebook execution, HTML, workbook)

`environment_advice` turns a disk, permission or memory problem (an OSError or MemoryError, not
a bug of the kit) into what the consultant can do; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import errno


class CcmAssessError(Exception):
    """An error with a plain-language message that says what is wrong and how to fix it."""


class PanelError(CcmAssessError):
    """The panel file cannot be used at all."""


class AssumptionsError(CcmAssessError):
    """An assumptions file or override is invalid."""


class QuestionnaireError(CcmAssessError):
    """A questionnaire answer file is missing or malformed."""


class LocalityError(CcmAssessError):
    """A Medicare payment locality that the GPCI table does not know."""


class FeeScheduleError(CcmAssessError):
    """A fee schedule year, CF period, setting or CMS file that cannot be used."""


class CatalogError(CcmAssessError):
    """A condition catalog file is malformed."""


class ModelInputError(CcmAssessError):
    """The counts or rates given to the model are incomplete."""


class ScenarioError(CcmAssessError):
    """A scenario that cannot be loaded, named, found or exported."""


class BatchError(CcmAssessError):
    """The batch input cannot be used (missing, empty, or a listing without panels)."""


class ReportError(CcmAssessError):
    """An export step failed."""


ENVIRONMENT_ERRORS = {
    errno.ENOSPC: "the disk is full; free some space (or choose another --out folder) and run "
    "again",
    errno.EDQUOT: "the disk quota is used up; free some space or choose another --out folder",
    errno.EROFS: "the folder is on a read-only disk; choose another --out folder",
    errno.EACCES: "permission denied; choose a folder you can write to (--out) and check that "
    "you may read the input files",
    errno.EPERM: "operation not permitted; choose a folder you can write to (--out)",
    errno.EFBIG: "a file grew larger than this disk allows; choose another --out folder",
    errno.ENAMETOOLONG: "a file name is too long; use a shorter folder or file name",
}
"""errno -> what the consultant can do (an environment problem, not a bug; exit 2)."""


def environment_advice(error: BaseException) -> str | None:
    """The message for a disk, permission or memory problem; None for anything else.

    Names the file (a path the consultant chose), never its content."""
    if isinstance(error, MemoryError):
        return (
            "not enough memory to read this file; close other programs, or export the panel "
            "in smaller parts (e.g. one location at a time)"
        )
    advice = ENVIRONMENT_ERRORS.get(getattr(error, "errno", None) or -1)
    if advice is None:
        return None
    where = getattr(error, "filename", None)
    return advice + (f" (file: {where})" if where else "")
