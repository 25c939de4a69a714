"""Layers point one way: the scenario package (schema, loader, time-phased changes, sources) imports
nothing from the model, so a scenario can be validated without loading the simulation.

``import caseflow`` itself loads everything (the package's front door re-exports ``simulate``), so the
check imports ``caseflow.scenario`` in a fresh interpreter with the ``caseflow`` package's own
``__init__`` bypassed: what ends up in ``sys.modules`` is what the scenario package pulls in.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import caseflow

PACKAGE = Path(caseflow.__file__).resolve().parent
#: Layers above the scenario: validating a scenario must not import any of them.
ABOVE = (
    "caseflow.model",
    "caseflow.costs",
    "caseflow.metrics",
    "caseflow.experiment",
    "caseflow.replication",
    "caseflow.present",
    "caseflow.calibrate",
    "caseflow.profile",
    "caseflow.cli",
)
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

_PROBE = """
import json, sys, types
from pathlib import Path

package = types.ModuleType("caseflow")
package.__path__ = [sys.argv[1]]
sys.modules["caseflow"] = package

import caseflow.scenario
from caseflow.scenario.sources import parameter_sources
from caseflow.scenario.timeline import change_points

surge = caseflow.scenario.load_scenario(Path(sys.argv[2]) / "demand_surge.toml")  # validates its changes
assert change_points(surge) and parameter_sources(surge)
print(json.dumps(sorted(m for m in sys.modules if m == "caseflow" or m.startswith("caseflow."))))
"""


def test_scenario_package_imports_nothing_from_the_model() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(PACKAGE), str(SCENARIOS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "caseflow.scenario.timeline" in loaded
    above = [m for m in loaded if m.startswith(ABOVE)]
    assert above == [], f"caseflow.scenario pulls in {above}"


def test_no_scenario_module_names_the_model() -> None:
    """Also lazy imports inside functions: no module of the scenario package imports a layer above."""
    for path in sorted((PACKAGE / "scenario").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith(ABOVE), f"{path.name}:{node.lineno} imports {name}"
