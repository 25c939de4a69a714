"""Base of every scenario section: strict, closed to unknown keys, and immutable all the way down."""

from __future__ import annotations

import math
import types
import typing
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from caseflow.scenario.limits import MAX_TEXT

__all__ = ["Branch", "FrozenDict", "Section", "check_sums_to_one"]


class FrozenDict(dict[Any, Any]):
    """A dict that cannot be changed after construction (so a scenario is immutable all the way down)."""

    def _immutable(self, *args: object, **kwargs: object) -> None:
        raise TypeError("scenario tables are immutable; use Scenario.with_overrides to make a variant")

    __setitem__ = __delitem__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable  # type: ignore[assignment]
    __ior__ = _immutable  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[Any, Any]]]:
        return (FrozenDict, (dict(self),))


class Section(BaseModel):
    """Base for every scenario section: strict types, unknown keys rejected, immutable; every number
    finite and every text at most :data:`~caseflow.scenario.limits.MAX_TEXT` characters."""

    model_config = ConfigDict(
        strict=True, frozen=True, extra="forbid", allow_inf_nan=False, str_max_length=MAX_TEXT
    )

    @model_validator(mode="after")
    def _freeze_tables(self) -> Self:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if type(value) is dict:
                object.__setattr__(self, name, FrozenDict(value))
        return self


def unwrap(ann: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds the values."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann


#: How far from 1 a branch's probabilities may sum (rounding in published shares).
SUM_TOLERANCE = 1e-6


def check_sums_to_one(owner: str, values: dict[str, float]) -> None:
    """Raise ValueError unless ``values`` (outcome → probability) sum to 1."""
    total = math.fsum(values.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        parts = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ValueError(f"branch probabilities must sum to 1 (they sum to {total:.6g}: {parts}) [{owner}]")


class Branch(Section):
    """A set of mutually exclusive outcomes whose probabilities must sum to 1."""

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        check_sums_to_one(type(self).__name__, {k: float(getattr(self, k)) for k in type(self).model_fields})
        return self
