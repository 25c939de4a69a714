"""Binary heaps of compiled entries, for the event queue and each worker's desk (compiled).

:mod:`heapq` orders whatever it holds by Python's comparison: for the tuples SimPy and the workers used
to keep, ``(time, priority, id, event)`` and ``(finish, seq, item)``, each comparison goes element by
element through the interpreter's generic machinery, and a 5-year run makes millions of them. Here an
entry is an object of a compiled class, :class:`Keyed`, ordered by two machine numbers, ``key`` (a
float) and ``order`` (an integer that breaks ties), and :func:`push`, :func:`pop` and :func:`heapify`
are :mod:`heapq`'s algorithms written for it. When no two entries share both numbers, as here, a heap
pops them in exactly the order :mod:`heapq` would: results are identical.

An entry's ``key`` and ``order`` must not change while it is in a heap.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Keyed", "heapify", "pop", "push"]


class Keyed:
    """Something kept in a heap: ordered by ``key``, then by ``order``."""

    __slots__ = ("key", "order")

    def __init__(self, key: float = 0.0, order: int = 0) -> None:
        self.key = key
        self.order = order


Entry = TypeVar("Entry", bound=Keyed)


def _before(a: Keyed, b: Keyed) -> bool:
    """Whether ``a`` comes before ``b``: by key, then order (a tuple's comparison of the two)."""
    if a.key != b.key:
        return a.key < b.key
    return a.order < b.order


def push(heap: list[Entry], entry: Entry) -> None:
    """Add ``entry`` to ``heap``: :func:`heapq.heappush`."""
    heap.append(entry)
    _sift_down(heap, 0, len(heap) - 1)


def _sift_down(heap: list[Entry], start: int, pos: int) -> None:
    """Move the entry at ``pos`` towards the root, no further than ``start``, until its parent comes
    before it (:mod:`heapq`'s ``_siftdown``, named as there for the index falling)."""
    entry = heap[pos]
    while pos > start:
        parent_pos = (pos - 1) >> 1
        parent = heap[parent_pos]
        if not _before(entry, parent):
            break
        heap[pos] = parent
        pos = parent_pos
    heap[pos] = entry


def _sift_up(heap: list[Entry], pos: int) -> None:
    """Move the entry at ``pos`` into place below it (:mod:`heapq`'s ``_siftup``: bottom-up, fewer
    comparisons): the smaller child rises until a leaf is reached, then the entry rises from there."""
    end = len(heap)
    start = pos
    entry = heap[pos]
    child = 2 * pos + 1
    while child < end:
        right = child + 1
        if right < end and not _before(heap[child], heap[right]):
            child = right
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    heap[pos] = entry
    _sift_down(heap, start, pos)


def pop(heap: list[Entry]) -> Entry:
    """Remove and return ``heap``'s first entry: :func:`heapq.heappop` (``IndexError`` if empty)."""
    last = heap.pop()
    if not heap:
        return last
    top = heap[0]
    heap[0] = last
    _sift_up(heap, 0)
    return top


def heapify(heap: list[Entry]) -> None:
    """Make ``heap`` a heap, in place: :func:`heapq.heapify`."""
    for pos in reversed(range(len(heap) // 2)):
        _sift_up(heap, pos)
