"""`python -m panchro.engine ...` is the same as the `panchro` command."""

from panchro.engine.cli import main

raise SystemExit(main())
