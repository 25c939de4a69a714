"""Named extension points: registries of objects a scenario can name, at the bottom of the package.

A :class:`Registry` maps names to objects. Built-ins are listed as ``"module:attribute"`` strings and
imported only when first used, so the scenario layer can check a name against a registry, and list the
known names when it is wrong, without importing the model. This module imports nothing from caseflow,
so any layer may use it.

:data:`ALLOCATION_POLICIES` holds the allocation policies (how a team manager picks the worker for a
waiting case). Register your own with :func:`caseflow.model.workforce.register_policy` (which
delegates here) before the scenario that names it is loaded::

    from caseflow.model.workforce import register_policy

    class Newest:
        def choose(self, workers, case):
            return max(workers, key=lambda w: w.started)

    register_policy("newest", Newest())
    scenario = caseflow.load_scenario("baseline.toml").with_overrides(
        {"workforce.allocation_policy": "newest"}
    )

A registration lives in the process that made it: with a process pool that starts workers by
``spawn`` or ``forkserver``, register in a module the workers import too.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Generic, TypeVar

__all__ = ["ALLOCATION_POLICIES", "Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Objects of one kind by name: built-ins (imported lazily) and any a user registers."""

    def __init__(self, kind: str, builtins: Mapping[str, str]) -> None:
        self.kind = kind
        self._lazy: dict[str, str] = dict(builtins)  # name → "module:attribute", not yet imported
        self.builtins: tuple[str, ...] = tuple(builtins)  # the names the package itself provides
        self._objects: dict[str, T] = {}
        self._order: list[str] = list(builtins)

    def register(self, name: str, obj: T) -> None:
        """Make ``obj`` available under ``name`` (replacing any earlier object of that name)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be non-empty text, got {name!r}")
        self._lazy.pop(name, None)
        self._objects[name] = obj
        if name not in self._order:
            self._order.append(name)

    def unregister(self, name: str) -> None:
        """Forget ``name`` (a built-in too); unknown names are ignored."""
        self._lazy.pop(name, None)
        self._objects.pop(name, None)
        if name in self._order:
            self._order.remove(name)

    def names(self) -> tuple[str, ...]:
        """Every known name: built-ins first, then registrations in the order they were made."""
        return tuple(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._objects or name in self._lazy

    def unknown(self, name: object) -> str:
        """The message for a name that is not registered."""
        return f"unknown {self.kind} {name!r}; known: {', '.join(self._order)}"

    def check(self, name: str) -> str:
        """``name`` if it is registered; otherwise :class:`ValueError` listing the known names."""
        if name not in self:
            raise ValueError(self.unknown(name))
        return name

    def get(self, name: str) -> T:
        """The object registered as ``name`` (:class:`ValueError` listing the known names if none)."""
        obj = self._objects.get(name)
        if obj is not None:
            return obj
        target = self._lazy.get(name)
        if target is None:
            raise ValueError(self.unknown(name))
        module, _, attr = target.partition(":")
        obj = getattr(importlib.import_module(module), attr)
        self._objects[name] = obj
        del self._lazy[name]
        return obj  # type: ignore[no-any-return]


#: Allocation policies (objects with ``choose(workers, case) -> worker``), named by
#: ``workforce.allocation_policy`` and ``workforce.changes[].allocation_policy``.
ALLOCATION_POLICIES: Registry[object] = Registry(
    "allocation policy",
    {
        "least_loaded": "caseflow.model.workforce.allocation:LEAST_LOADED",
        "most_capacity": "caseflow.model.workforce.allocation:MOST_CAPACITY",
        "first_available": "caseflow.model.workforce.allocation:FIRST_AVAILABLE",
    },
)
