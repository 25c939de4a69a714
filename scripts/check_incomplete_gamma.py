"""How closely caseflow's incomplete gamma functions agree with SciPy's, over many random arguments.

    python scripts/check_incomplete_gamma.py                 # 200,000 (shape, probability) pairs
    python scripts/check_incomplete_gamma.py --n 20000 --seed 2

The test suite checks a few hundred cases (``tests/test_incomplete_gamma.py``); this looks at many more,
as docs/performance.md reports. Shapes are log-uniform over what a scenario allows (0.01 to 1,000).
Probabilities are the uniforms ``DrawBlock.gamma`` inverts (multiples of 2**-53), a third of them pushed
into the far tails (divided by 10**9, or that far from 1). The script prints the largest relative
difference from ``scipy.special.gammaincinv``, the share of results exactly equal, and a histogram of
the difference in units in the last place for shape 2 (the baseline's only gamma shape in draws). Quantiles
below 1e-290, which underflow in both, are only checked to be that small in both.
"""

from __future__ import annotations

import argparse
import collections
import math

import numpy as np
from scipy import special

from caseflow.incomplete_gamma import gammaincinv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="pairs to check (default 200,000)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    worst, worst_at, exact, underflow = 0.0, (0.0, 0.0), 0, 0
    for i in range(args.n):
        a = math.exp(rng.uniform(math.log(0.01), math.log(1_000.0)))
        p = int(rng.integers(0, 2**53)) / 2**53
        if i % 3 == 0:
            p = p / 1e9 if rng.random() < 0.5 else 1.0 - p / 1e9
        ours, theirs = gammaincinv(a, p), float(special.gammaincinv(a, p))
        exact += ours == theirs
        if theirs < 1e-290:
            underflow += 1
            if ours >= 1e-280:
                raise SystemExit(f"shape {a!r}, p {p!r}: SciPy {theirs!r}, caseflow {ours!r}")
            continue
        rel = abs(ours - theirs) / theirs
        if rel > worst:
            worst, worst_at = rel, (a, p)
    where = f"shape {worst_at[0]:.6g}, p {worst_at[1]:.6g}"
    print(f"{args.n:,} pairs: largest relative difference {worst:.2e} ({where})")
    print(f"exactly equal: {exact / args.n:.1%}; both below 1e-290: {underflow:,}")
    ulps: collections.Counter[int] = collections.Counter()
    for _ in range(20_000):
        p = float(rng.random())
        theirs = float(special.gammaincinv(2.0, p))
        if theirs > 0.0:
            ulps[round((gammaincinv(2.0, p) - theirs) / math.ulp(theirs))] += 1
    shown = ", ".join(f"{k:+d}: {v / 20_000:.1%}" for k, v in sorted(ulps.items()) if v >= 20)
    print(f"shape 2, 20,000 uniforms, difference in units in the last place: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
