"""The compiled heap (caseflow.model.heap) that holds the event queue and each worker's desk: it must pop
entries in exactly heapq's order for the same (key, order) pairs."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.model.heap import Heap, Keyed, new_heap
from caseflow.native import COMPILED

# keys on a coarse grid, so that many tie and the order decides; None is a pop
operations = st.lists(st.one_of(st.integers(0, 8).map(lambda k: k * 0.25), st.none()), max_size=300)


@pytest.mark.parametrize("compiled", [True, False])
@settings(max_examples=300, deadline=None)
@given(ops=operations)
def test_pushes_and_pops_agree_with_heapq(compiled: bool, ops: list[float | None]) -> None:
    """Both forms of the heap (sifted by compiled code, or heapq's tuples) against heapq itself."""
    heap: Heap[Keyed] = new_heap(compiled)
    reference: list[tuple[float, int, Keyed]] = []
    for n, op in enumerate(ops):
        if op is None:
            if not reference:
                with pytest.raises(IndexError):
                    heap.pop()
                assert heap.first() is None
                continue
            assert heap.pop() is heapq.heappop(reference)[2]
        else:
            entry = Keyed(op, -n)  # a later entry ties ahead: the order, not arrival, decides
            heap.push(entry)
            heapq.heappush(reference, (op, -n, entry))
        assert sorted(id(e) for e in heap.entries()) == sorted(id(t[2]) for t in reference)
        if reference:
            assert heap.first() is reference[0][2]


@pytest.mark.parametrize("compiled", [True, False])
@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.tuples(st.integers(0, 5).map(float), st.integers(-3, 3)), unique=True, max_size=100))
def test_replace_then_pop_everything_is_sorted(compiled: bool, keys: list[tuple[float, int]]) -> None:
    heap: Heap[Keyed] = new_heap(compiled)
    heap.push(Keyed(-1.0, 0))  # replaced below
    heap.replace([Keyed(k, o) for k, o in keys])
    out = []
    while heap.first() is not None:
        entry = heap.pop()
        out.append((entry.key, entry.order))
    assert out == sorted(keys)


def test_the_heap_knows_whether_it_is_compiled() -> None:
    """A regular install with a C compiler runs the compiled heap; an editable one heapq's tuples."""
    from caseflow.kernel import compiled

    assert COMPILED is compiled()["caseflow.model.heap"] is compiled()["caseflow.native"]
    assert type(new_heap()) is (Heap if COMPILED else type(new_heap(False)))
