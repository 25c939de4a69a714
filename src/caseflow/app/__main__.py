"""``python -m caseflow.app``: the same as ``caseflow app`` (its flags: ``--help``)."""

from __future__ import annotations

import sys

from caseflow.app.command import main

if __name__ == "__main__":  # worker processes import this module too: they must not serve
    sys.exit(main())
