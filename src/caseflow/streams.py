"""Random-number streams: one independent numpy stream per stochastic element, named stably.

A run draws from many *streams*, each a :class:`numpy.random.Generator` (PCG64) seeded by a
:class:`numpy.random.SeedSequence` whose spawn key is ``(replication, crc32(name))``. So:

* the same ``(seed, replication, name)`` always gives the same numbers, in any process or executor;
* replication ``r`` uses the same numbers in every scenario (common random numbers);
* adding a new stream (a new name) never shifts the numbers any other stream produces.

There is no global random state anywhere in caseflow.

Uniforms are drawn in blocks for speed (a scalar call into numpy costs about a microsecond); every
sampler here is built from those uniforms, so one decision consumes one uniform.
"""

from __future__ import annotations

import bisect
import math
import zlib
from array import array
from collections.abc import Sequence
from typing import Final, Protocol

import numpy as np
from mypy_extensions import i64

from caseflow.incomplete_gamma import gammaincinv
from caseflow.native import COMPILED

__all__ = [
    "DrawBlock",
    "GammaDraws",
    "RandomSource",
    "Stream",
    "Streams",
    "bisect_right",
    "bisect_right_native",
    "stream_seed",
]

_BLOCK: Final = 2048
_BULK: Final = 8192
_GAMMAS: Final = 256
_bisect_right: Final = bisect.bisect_right  # a compiled constant, not a lookup per call
_gammaincinv: Final = gammaincinv


def bisect_right(a: Sequence[float], x: float) -> int:
    """:func:`bisect.bisect_right` for sorted floats: the index after every entry not above ``x``.

    Compiled, a list is searched by :func:`bisect_right_native` (``bisect``'s C compares Python objects,
    about a hundred instructions a comparison); as plain Python, by ``bisect``'s C. Identical results.
    """
    if COMPILED and isinstance(a, list):
        return bisect_right_native(a, x)
    return _bisect_right(a, x)


def bisect_right_native(a: list[float], x: float) -> int:
    """:func:`bisect.bisect_right`'s algorithm, on machine numbers when compiled (:func:`bisect_right`)."""
    lo: i64 = 0
    hi: i64 = len(a)
    while lo < hi:
        mid: i64 = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence for stream ``name`` in ``replication`` of an experiment seeded ``seed``."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, zlib.crc32(name.encode())))


class RandomSource(Protocol):
    """What the samplers need: a :class:`Stream`, or a family's own block of draws."""

    def random(self) -> float: ...

    def choice(self, cumulative: Sequence[float]) -> int: ...

    def exponential(self, mean: float) -> float: ...

    def gamma(self, shape: float, mean: float) -> float: ...


class Stream:
    """A named stream of random numbers with fast scalar samplers."""

    __slots__ = ("_buf", "_bulk", "_bulk_i", "_gen", "_i", "name")

    def __init__(self, generator: np.random.Generator, name: str) -> None:
        self._gen = generator
        self.name = name
        self._buf: list[float] = []
        self._i = 0
        # uniforms for blocks (uniforms()), drawn _BULK at a time and kept as machine numbers: a family uses
        # about 5 of its 32, so making a Python float of each would make (and free) 1.2 million floats a run
        # that nothing reads (docs/performance.md)
        self._bulk: array[float] = array("d")
        self._bulk_i = 0

    def random(self) -> float:
        """A uniform number in [0, 1)."""
        i = self._i
        if i >= len(self._buf):
            self._buf = self._gen.random(_BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def bernoulli(self, p: float) -> bool:
        return self.random() < p

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.random())

    def gamma(self, shape: float, mean: float) -> float:
        """Gamma-distributed value with the given shape and mean (shape 1 is exponential)."""
        if shape == 1.0:
            return self.exponential(mean)
        return float(self._gen.gamma(shape, mean / shape))

    def poisson(self, lam: float) -> int:
        return int(self._gen.poisson(lam))

    def choice(self, cumulative: Sequence[float]) -> int:
        """Index drawn with probabilities given as a cumulative list ending at (about) 1."""
        i = bisect_right(cumulative, self.random() * cumulative[-1])
        return min(i, len(cumulative) - 1)

    def uniforms(self, n: int) -> array[float]:
        """The next ``n`` uniforms of this stream's blocks (for an entity's own draws, :class:`DrawBlock`).

        They come from a buffer of their own, drawn :data:`_BULK` at a time: a call into numpy for every
        family cost a few microseconds. The numbers are those of drawing each block at once as long as the
        stream gives nothing else; :meth:`random` on the same stream draws after the buffer, not between
        blocks. A block is an :class:`array.array` of machine numbers, each made a Python float only when
        it is drawn.
        """
        i = self._bulk_i
        bulk = self._bulk
        if i + n > len(bulk):
            bulk = bulk[i:] + array("d", self._gen.random(max(_BULK, n)).tobytes())
            self._bulk = bulk
            i = 0
        self._bulk_i = i + n
        return bulk[i : i + n]

    def uniform_array(self, n: int) -> np.ndarray:
        """``n`` uniforms at once (for vectorised set-up such as arrival schedules)."""
        return self._gen.random(n)

    @property
    def generator(self) -> np.random.Generator:
        return self._gen


class Streams:
    """The registry of named streams for one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            gen = np.random.Generator(np.random.PCG64(stream_seed(self.seed, self.replication, name)))
            s = self._streams[name] = Stream(gen, name)
        return s

    @property
    def names(self) -> list[str]:
        """Names of the streams used so far, in order of first use."""
        return list(self._streams)


class GammaDraws:
    """Gamma values of one ``shape`` from a stream used for nothing else, each scaled to its mean.

    The same numbers as :meth:`Stream.gamma` called one value at a time with that shape on that stream:
    numpy draws a block of standard gammas one after another exactly as it draws each alone, and its
    gamma is the standard gamma times the scale (tests/test_streams.py). A scalar call into numpy
    costs about 3 µs (it makes arrays of its arguments); they are drawn :data:`_GAMMAS` at a time. Only
    for a stream nothing else draws from, and a shape other than 1 (which :meth:`Stream.gamma` draws as
    an exponential from the stream's uniforms instead).
    """

    __slots__ = ("_buf", "_gen", "_i", "shape")

    def __init__(self, stream: Stream, shape: float) -> None:
        if not shape > 0.0 or shape == 1.0:
            raise ValueError(f"GammaDraws needs a shape above 0 and other than 1, not {shape!r}")
        self._gen = stream.generator
        self.shape = shape
        self._buf: list[float] = []
        self._i = 0

    def gamma(self, mean: float) -> float:
        """A gamma value with this shape and mean ``mean``."""
        i = self._i
        if i >= len(self._buf):
            self._buf = self._gen.standard_gamma(self.shape, _GAMMAS).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i] * (mean / self.shape)


class DrawBlock:
    """An entity's own block of uniforms (then an overflow stream), used like a :class:`Stream`.

    Drawn when the entity is created, in creation order, so the entity's fortunes do not depend on the
    timing of everything else: common random numbers at the level of the entity.
    """

    __slots__ = ("_draws", "_overflow", "_size", "_used")

    def __init__(self, overflow: Stream, size: int) -> None:
        self._draws = overflow.uniforms(size)
        self._overflow = overflow
        self._size: i64 = size
        self._used: i64 = 0

    def random(self) -> float:
        i = self._used
        if i < self._size:
            self._used = i + 1
            return self._draws[i]
        return self._overflow.random()

    def choice(self, cumulative: Sequence[float]) -> int:
        i = bisect_right(cumulative, self.random() * cumulative[-1])
        return min(i, len(cumulative) - 1)

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.random())

    def gamma(self, shape: float, mean: float) -> float:
        """Gamma by inversion of one uniform."""
        if shape == 1.0:
            return self.exponential(mean)
        return _gammaincinv(shape, self.random()) * mean / shape
