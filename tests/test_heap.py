"""The compiled heap (caseflow.model.heap) that holds the event queue and each worker's desk: it must pop
entries in exactly heapq's order for the same (key, order) pairs."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.model.heap import Keyed, heapify, pop, push

# keys on a coarse grid, so that many tie and the order decides; None is a pop
operations = st.lists(st.one_of(st.integers(0, 8).map(lambda k: k * 0.25), st.none()), max_size=300)


@settings(max_examples=300, deadline=None)
@given(ops=operations)
def test_pushes_and_pops_agree_with_heapq(ops: list[float | None]) -> None:
    heap: list[Keyed] = []
    reference: list[tuple[float, int, Keyed]] = []
    for n, op in enumerate(ops):
        if op is None:
            if not reference:
                with pytest.raises(IndexError):
                    pop(heap)
                continue
            assert pop(heap) is heapq.heappop(reference)[2]
        else:
            entry = Keyed(op, -n)  # a later entry ties ahead: the order, not arrival, decides
            push(heap, entry)
            heapq.heappush(reference, (op, -n, entry))
        assert len(heap) == len(reference)
        if heap:
            assert heap[0] is reference[0][2]


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.tuples(st.integers(0, 5).map(float), st.integers(-3, 3)), unique=True, max_size=100))
def test_heapify_then_pop_everything_is_sorted(keys: list[tuple[float, int]]) -> None:
    heap = [Keyed(k, o) for k, o in keys]
    heapify(heap)
    out = []
    while heap:
        entry = pop(heap)
        out.append((entry.key, entry.order))
    assert out == sorted(keys)
