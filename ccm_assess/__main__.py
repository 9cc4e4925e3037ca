"""`python -m ccm_assess` runs the command line."""

from ccm_assess.cli import main

raise SystemExit(main())
