"""ccm-assess: Medicare Chronic Care Management readiness assessment for independent practices."""

import sys

# jsonschema, imported by plotly and nbformat, compiles an RFC 3987 grammar at import time when
# the optional rfc3987-syntax package is installed (jupyter-events pulls it in): 1-4 s in every
# process. The kit validates no IRI formats, so that optional checker is left out.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
