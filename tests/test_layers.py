"""Layers point one way (docs/architecture.md): the contracts in ``[tool.importlinter]`` of pyproject.toml
hold, they see every module of the package, and the scenario package imports nothing from the model, so
a scenario can be validated without loading the simulation.

``.ci/run`` also runs ``lint-imports``; running it here too means a plain ``pytest`` catches a broken
layer. The contracts read import statements; the first test below checks what actually gets loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

import caseflow

PACKAGE = Path(caseflow.__file__).resolve().parent
REPO = Path(__file__).resolve().parents[1]
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
SCENARIOS = REPO / "scenarios"

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


def _import_linter_config() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as f:
        config: dict[str, object] = tomllib.load(f)["tool"]["importlinter"]
    return config


def test_scenario_package_imports_nothing_from_the_model() -> None:
    """What loading and validating a scenario actually imports, with the ``caseflow`` package's own
    ``__init__`` (which re-exports ``simulate`` and so loads everything) bypassed."""
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


def test_the_contracts_see_every_module() -> None:
    """A contract about modules the import graph never saw would pass vacuously. grimp does not walk
    into a directory without ``__init__.py`` (``caseflow/model`` is such a namespace package), so
    pyproject names it as a root of its own; if it gains an ``__init__.py``, drop it from
    ``root_packages`` (lint-imports then fails without a message, which this test explains)."""
    roots = _import_linter_config()["root_packages"]
    assert isinstance(roots, list)
    for root in roots[1:]:
        init = PACKAGE.joinpath(*root.split(".")[1:], "__init__.py")
        assert not init.exists(), f"{root} is a regular package now: remove it from root_packages"
    graph = grimp.build_graph(*roots, cache_dir=None)
    on_disk = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        on_disk.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    assert on_disk - graph.modules == set()
    # The model is really in the graph, with its imports: the composition root reaches the workforce.
    assert graph.direct_import_exists(
        importer="caseflow.model.simulation", imported="caseflow.model.workforce", as_packages=True
    )


def test_every_layer_contract_is_kept() -> None:
    """``lint-imports`` (import-linter) with the contracts in pyproject.toml, as ``.ci/run`` runs it."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
            "--no-cache",
            "--no-logo",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    contracts = _import_linter_config()["contracts"]
    assert isinstance(contracts, list)
    assert f"Contracts: {len(contracts)} kept, 0 broken." in done.stdout
