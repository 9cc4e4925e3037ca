"""ccm-assess: Medicare Chronic Care Management readiness assessment for independent practices.

The public API is `__all__`: the names a script or notebook needs to read a panel, assess it and
write the report, each loaded on first use (importing `ccm_assess` stays cheap; the CLI imports
only what a command needs). Subpackages, one concern each (ARCHITECTURE.md): `intake`,
`clinical`, `finance`, `readiness`, `practice`, `outputs`, `edge`, `audit`.

>>> from ccm_assess import assess, read_panel
>>> assess.__module__, read_panel.__module__
('ccm_assess.practice.assessment', 'ccm_assess.intake.panel')
"""

import importlib
import os
import sys
from typing import Any

# NumPy asks Linux for transparent huge pages on every array of 4 MiB or more; where the kernel
# then compacts memory on the spot (THP defrag `madvise`, the kernel's default), the tens of
# 8-million-row arrays of a large panel spend more time in page faults than in numpy
# (docs/scale.md: 1M patients ~10% faster without). Read when numpy is imported; a value the
# user set wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

# jsonschema, imported by plotly and nbformat, compiles an RFC 3987 grammar at import time when
# the optional rfc3987-syntax package is installed (jupyter-events pulls it in): 1-4 s in every
# process. The kit validates no IRI formats, so that optional checker is left out.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_HOMES = {
    "read_panel": "ccm_assess.intake.panel",
    "Panel": "ccm_assess.intake.panel",
    "load_assumptions": "ccm_assess.finance.assumptions",
    "Assumptions": "ccm_assess.finance.assumptions",
    "load_questionnaire": "ccm_assess.readiness.questionnaire",
    "assess": "ccm_assess.practice.assessment",
    "AssessmentRequest": "ccm_assess.practice.request",
    "Assessment": "ccm_assess.practice.assessment",
    "RunOptions": "ccm_assess.edge.run",
    "run_assessment": "ccm_assess.edge.run",
    "write_sample": "ccm_assess.edge.sample",
    "CcmAssessError": "ccm_assess.errors",
}

__all__ = ["__version__", *_HOMES]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ccm_assess' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
