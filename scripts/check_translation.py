"""Check that the build's mypy configuration for the kernel changes nothing but the time it takes.

``setup.py`` translates the kernel with a configuration (:func:`setup.mypyc_options`) that keeps mypy to
the modules the kernel imports. This translates the kernel to C twice, in fresh processes, with that
configuration and with none (mypy following every import, as before it), times both, and compares
every file mypyc writes. Exit status 0 when they are identical; the figures go in docs/performance.md.

    python scripts/check_translation.py      # about a minute
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TRANSLATE = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
import setup
unconfigured = [*setup.MYPYC_OPTIONS, "--config-file="]  # no configuration: mypy follows every import
setup.translate(Path(sys.argv[1]), None if sys.argv[2] == "configured" else unconfigured)
"""


def translate(target: Path, how: str) -> float:
    """Translate the kernel into ``target`` (C only, no compiling); the wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", TRANSLATE.format(root=str(ROOT)), str(target), how],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def differences(left: Path, right: Path) -> list[str]:
    """Files mypyc wrote that differ between the two folders (its own configuration file aside)."""
    names = sorted(
        {p.relative_to(left).as_posix() for p in left.rglob("*") if p.is_file()}
        | {p.relative_to(right).as_posix() for p in right.rglob("*") if p.is_file()}
    )
    return [
        name
        for name in names
        if name != "mypyc.ini"
        and not (
            (left / name).is_file()
            and (right / name).is_file()
            and filecmp.cmp(left / name, right / name, shallow=False)
        )
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        configured, unconfigured = Path(tmp, "configured"), Path(tmp, "unconfigured")
        t_configured = translate(configured, "configured")
        t_unconfigured = translate(unconfigured, "unconfigured")
        print(f"translation with the build's configuration: {t_configured:.1f} s wall")
        print(f"translation following every import:        {t_unconfigured:.1f} s wall")
        written = sum(1 for p in configured.rglob("*.c"))
        differ = differences(configured, unconfigured)
        if differ:
            print(f"DIFFERENT: {', '.join(differ)}")
            return 1
        print(f"identical: every file mypyc wrote ({written} C sources among them)")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
