#!/usr/bin/env python3
"""Entry point: `python run.py` serves the browser game; `simulate`, `sweep`, `analyse` and
`validate` are the other commands (see README)."""

import sys

if sys.version_info < (3, 12):  # noqa: UP036  (run.py may be started by an older python3)
    sys.exit(
        f"Python 3.12 or newer is needed (Mesa 3.5); this is {sys.version.split()[0]}. See README.md."
    )

try:
    from wargame.cli.main import main  # noqa: E402  (after the version check on purpose)
except KeyboardInterrupt:  # Ctrl-C while still loading: nothing was done
    print("\ninterrupted while starting: nothing was done", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
