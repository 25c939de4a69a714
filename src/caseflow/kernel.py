"""The simulation kernel: the modules on the hot path that a regular install compiles with mypyc.

``pip install .`` compiles :data:`KERNEL` where a C compiler is available (``setup.py`` reads the list
from here) and falls back to the pure-Python source otherwise; an editable install never compiles.
Both give identical results for the same seed (``scripts/check_kernel.py``). :func:`compiled` says
which modules this installation runs compiled.
"""

from __future__ import annotations

import importlib
import importlib.machinery

__all__ = ["KERNEL", "compiled", "module_name"]

#: Modules compiled by a regular install (paths relative to ``src/``, as ``setup.py`` passes them to
#: mypyc). Each must type-check under mypy strict. Compiled classes cannot be monkeypatched, nor
#: subclassed by interpreted code unless marked ``@mypyc_attr(allow_interpreted_subclasses=True)``, as
#: the extension points among them are: the stage groups, the pathway and the two capacities.
KERNEL = (
    "caseflow/native.py",
    "caseflow/incomplete_gamma.py",
    "caseflow/calendar.py",
    "caseflow/records.py",
    "caseflow/streams.py",
    "caseflow/distributions.py",
    "caseflow/model/entities.py",
    "caseflow/model/census.py",
    "caseflow/model/families.py",
    "caseflow/model/heap.py",
    "caseflow/model/event_queue.py",
    "caseflow/model/flow.py",
    "caseflow/model/workforce/worker.py",
    "caseflow/model/workforce/team.py",
    "caseflow/model/workforce/schedule.py",
    "caseflow/model/workforce/caseholding.py",
    "caseflow/model/workforce/work.py",
    "caseflow/model/workforce/staffing.py",
    "caseflow/model/workforce/measures.py",
    "caseflow/model/workforce/capacity.py",
    "caseflow/model/capacity.py",
    "caseflow/model/pathway.py",
    "caseflow/model/contacts.py",
    "caseflow/model/stages/base.py",
    "caseflow/model/stages/front_door.py",
    "caseflow/model/stages/assessment.py",
    "caseflow/model/stages/child_protection.py",
    "caseflow/model/stages/child_in_need.py",
    "caseflow/model/stages/looked_after.py",
    "caseflow/model/stages/court.py",
    "caseflow/model/stages/pre_birth.py",
    "caseflow/model/stages/care_leavers.py",
)


def module_name(path: str) -> str:
    """``"caseflow/model/workforce/worker.py"`` → ``"caseflow.model.workforce.worker"``."""
    return path.removesuffix(".py").replace("/", ".")


def compiled() -> dict[str, bool]:
    """Each kernel module, and whether this installation runs it compiled."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    out = {}
    for path in KERNEL:
        name = module_name(path)
        module = importlib.import_module(name)
        out[name] = str(getattr(module, "__file__", "")).endswith(suffixes)
    return out
