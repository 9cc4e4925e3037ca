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
"""

from __future__ import annotations


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
