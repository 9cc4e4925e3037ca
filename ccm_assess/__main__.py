"""`python -m ccm_assess` runs the command line."""

from ccm_assess.edge.cli import main

raise SystemExit(main())
