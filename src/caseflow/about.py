"""What this project is called where it is installed from.

"caseflow" on the public package index is an unrelated project, so this one is distributed as
``caseflow-csc`` (children's social care): ``pip install "caseflow-csc[dask]"``, or ``pip install
".[dask]"`` from a clone. The import name and the command stay ``caseflow``.
"""

from __future__ import annotations

__all__ = ["DISTRIBUTION"]

#: The distribution name (pyproject.toml's ``[project] name``).
DISTRIBUTION = "caseflow-csc"
