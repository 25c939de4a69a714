"""The notebooks in notebooks/ run from top to bottom, and are committed without outputs.

Each notebook runs in a fresh Jupyter kernel (nbclient) with notebooks/ as its working directory, as a
user opening it in Jupyter would, with matplotlib on the Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
EXPECTED = {"quickstart.ipynb", "workforce_planning.ipynb", "finance.ipynb", "early_help.ipynb"}
CELL_TIMEOUT = 300  # seconds per cell

pytestmark = pytest.mark.slow


def _read(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def test_the_notebooks_are_there() -> None:
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path: Path) -> None:
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    for i, cell in enumerate(code):
        assert cell.outputs == [], f"{path.name}: code cell {i} has outputs; clear them before committing"
        assert cell.execution_count is None, f"{path.name}: code cell {i} has an execution count"
    assert any(c.cell_type == "markdown" for c in nb.cells), f"{path.name} explains nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _read(path)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=False,  # a failing cell raises CellExecutionError naming the cell and the error
        resources={"metadata": {"path": str(FOLDER)}},  # the kernel's working directory
    )
    client.execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "some cells did not run"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [
        o for o in outputs if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text
    ]
    images = [
        o for o in outputs if o.output_type in ("display_data", "execute_result") and "image/png" in o.data
    ]
    assert images, f"{path.name} drew no charts"
