"""Binary heaps of compiled entries, for the event queue and each worker's desk (compiled).

:mod:`heapq` orders whatever it holds by Python's comparison: for the tuples SimPy and the workers used
to keep, ``(time, priority, id, event)`` and ``(finish, seq, item)``, each comparison goes element by
element through the interpreter's generic machinery, and a 5-year run makes millions of them. Compiled,
a :class:`Heap` holds objects of a compiled class, :class:`Keyed`, ordered by two machine numbers,
``key`` (a float) and ``order`` (an integer that breaks ties), and sifts them with :mod:`heapq`'s
algorithms written for them: a comparison is a few machine instructions. When no two entries share both
numbers, as here, a heap pops them in exactly the order :mod:`heapq` would: results are identical.

Run as plain Python (an editable install, or no C compiler), those loops would be much slower than
:mod:`heapq`'s C, so :func:`new_heap` then gives a heap that keeps ``(key, order, entry)`` tuples in
:mod:`heapq`: the same order, and the pure-Python speed the code had before.

An entry's ``key`` and ``order`` must not change while it is in a heap.
"""

from __future__ import annotations

import heapq
from typing import Final, Generic, TypeVar

from mypy_extensions import i64

from caseflow.native import COMPILED

__all__ = ["Heap", "Keyed", "new_heap"]

_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop
_heapify: Final = heapq.heapify


class Keyed:
    """Something kept in a heap: ordered by ``key``, then by ``order``."""

    __slots__ = ("key", "order")

    def __init__(self, key: float = 0.0, order: i64 = 0) -> None:
        self.key = key
        self.order: i64 = order


Entry = TypeVar("Entry", bound=Keyed)


def _before(a: Keyed, b: Keyed) -> bool:
    """Whether ``a`` comes before ``b``: by key, then order (a tuple's comparison of the two)."""
    if a.key != b.key:
        return a.key < b.key
    return a.order < b.order


class Heap(Generic[Entry]):
    """A binary heap of entries, first the one with the smallest (key, order): sifted by compiled code."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[Entry] = []

    def push(self, entry: Entry) -> None:
        """Add ``entry``: :func:`heapq.heappush`."""
        items = self._items
        items.append(entry)
        last: i64 = len(items) - 1
        self._sift_down(0, last)

    def pop(self) -> Entry:
        """Remove and return the first entry: :func:`heapq.heappop` (``IndexError`` if empty)."""
        items = self._items
        last = items.pop()
        if not items:
            return last
        top = items[0]
        items[0] = last
        self._sift_up(0)
        return top

    def first(self) -> Entry | None:
        """The first entry, left in place (``None`` if the heap is empty)."""
        items = self._items
        return items[0] if items else None

    def entries(self) -> list[Entry]:
        """Every entry, in the heap's order of storage (not sorted)."""
        return list(self._items)

    def replace(self, entries: list[Entry]) -> None:
        """Hold exactly ``entries`` from now on: :func:`heapq.heapify`."""
        self._items = list(entries)
        pos: i64 = len(entries) // 2 - 1
        while pos >= 0:
            self._sift_up(pos)
            pos -= 1

    def _sift_down(self, start: i64, pos: i64) -> None:
        """Move the entry at ``pos`` towards the root, no further than ``start``, until its parent comes
        before it (:mod:`heapq`'s ``_siftdown``, named as there for the index falling)."""
        items = self._items
        entry = items[pos]
        while pos > start:
            parent_pos: i64 = (pos - 1) >> 1
            parent = items[parent_pos]
            if not _before(entry, parent):
                break
            items[pos] = parent
            pos = parent_pos
        items[pos] = entry

    def _sift_up(self, pos: i64) -> None:
        """Move the entry at ``pos`` into place below it (:mod:`heapq`'s ``_siftup``: bottom-up, fewer
        comparisons): the smaller child rises until a leaf is reached, then the entry rises from there."""
        items = self._items
        end: i64 = len(items)
        start = pos
        entry = items[pos]
        child: i64 = 2 * pos + 1
        while child < end:
            right: i64 = child + 1
            if right < end and not _before(items[child], items[right]):
                child = right
            items[pos] = items[child]
            pos = child
            child = 2 * pos + 1
        items[pos] = entry
        self._sift_down(start, pos)


class _TupleHeap(Heap[Entry]):
    """The same heap as ``(key, order, entry)`` tuples in :mod:`heapq`: faster when not compiled."""

    __slots__ = ("_tuples",)

    def __init__(self) -> None:
        super().__init__()
        self._tuples: list[tuple[float, int, Entry]] = []

    def push(self, entry: Entry) -> None:
        _heappush(self._tuples, (entry.key, entry.order, entry))

    def pop(self) -> Entry:
        return _heappop(self._tuples)[2]

    def first(self) -> Entry | None:
        tuples = self._tuples
        return tuples[0][2] if tuples else None

    def entries(self) -> list[Entry]:
        return [t[2] for t in self._tuples]

    def replace(self, entries: list[Entry]) -> None:
        tuples = [(e.key, e.order, e) for e in entries]
        _heapify(tuples)
        self._tuples = tuples


def new_heap(compiled: bool = COMPILED) -> Heap[Entry]:
    """An empty heap: :class:`Heap` when compiled, the :mod:`heapq` one when not (``compiled`` chooses)."""
    return Heap() if compiled else _TupleHeap()
