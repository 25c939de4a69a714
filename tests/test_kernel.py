"""The compiled kernel's build (setup.py) and its run-time report (caseflow.kernel).

Building the real kernel takes about a minute, so the comparison of compiled and pure-Python results
is a script (scripts/check_kernel.py; figures in docs/performance.md). These tests check what the build
decides and that a failed compile leaves no compiled module behind.
"""

from __future__ import annotations

import ast
import ctypes
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from setuptools import Distribution, Extension

from caseflow.kernel import KERNEL, compiled, module_name

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("caseflow_setup", ROOT / "setup.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: defines the helpers without building
    return module


def test_kernel_modules_exist_and_are_reported() -> None:
    for path in KERNEL:
        assert (ROOT / "src" / path).is_file(), path
    report = compiled()
    assert list(report) == [module_name(p) for p in KERNEL]
    assert module_name("caseflow/model/workforce/worker.py") == "caseflow.model.workforce.worker"
    assert all(isinstance(v, bool) for v in report.values())


def _constants_not_final(source: str) -> list[str]:
    """Module-level CONSTANT names (``_?[A-Z][A-Z0-9_]*``, ``__all__`` aside) not annotated ``Final``."""
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [] if "Final" in ast.unparse(node.annotation) else [node.target.id]
        else:
            continue
        out += [n for n in names if n != "__all__" and re.fullmatch(r"_?[A-Z][A-Z0-9_]*", n)]
    return out


def test_kernel_constants_are_final() -> None:
    # Compiled, a module-level name that is not Final is looked up in the module's dict at every use
    # (and a number unboxed); a Final one is a compiled constant (docs/performance-history.md,
    # "Constants compiled as constants").
    offenders = {
        path: names
        for path in KERNEL
        if (names := _constants_not_final((ROOT / "src" / path).read_text(encoding="utf-8")))
    }
    assert offenders == {}
    # the check itself finds what it should
    sample = "X = 1\n_Y: int = 2\nZ: Final = 3\n__all__ = []\nAlias = int\n"
    assert _constants_not_final(sample) == ["X", "_Y"]


def test_setup_reads_the_kernel_list_from_one_place(setup_py: ModuleType) -> None:
    assert setup_py._kernel_modules() == list(KERNEL)


def test_kernel_imports_cover_what_importing_the_kernel_loads(setup_py: ModuleType) -> None:
    """The translation's mypy follows only :func:`kernel_imports` into caseflow, read from the source: it
    must hold every caseflow module that importing the kernel loads (those imported under
    ``TYPE_CHECKING`` or inside functions come on top), except what a package's ``__init__`` loads for
    itself (the kernel imports no name from a package it is only inside), and not the layers above."""
    code = (
        "import importlib, sys\n"
        f"for name in {[module_name(p) for p in KERNEL]!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(m for m in sys.modules if m == 'caseflow' or m.startswith('caseflow.')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    found = setup_py.kernel_imports()
    files = [setup_py._module_file(m) for m in found]  # None: a namespace package (caseflow.model)
    packages = [path for path in files if path is not None and path.name == "__init__.py"]
    assert (
        {module_name(p) for p in KERNEL}
        <= loaded
        <= found | {name for path in packages for name in setup_py.imports_in(path)}
    )
    assert {"caseflow", "caseflow.model", "caseflow.scenario.schema"} <= found
    assert not {m for m in found if m.startswith(("caseflow.experiment", "caseflow.app", "caseflow.metrics"))}


def test_the_translation_is_configured_to_skip_what_the_kernel_does_not_import(
    setup_py: ModuleType, tmp_path: Path
) -> None:
    import configparser

    options = setup_py.mypyc_options(tmp_path / "build")
    assert options[: len(setup_py.MYPYC_OPTIONS)] == setup_py.MYPYC_OPTIONS
    (config_option,) = [o for o in options if o.startswith("--config-file=")]
    config = configparser.ConfigParser()
    assert config.read(config_option.removeprefix("--config-file=")), "no configuration written"
    assert config["mypy-caseflow.*"]["follow_imports"] == "skip"  # caseflow's other modules
    followed = {
        s.removeprefix("mypy-") for s in config.sections() if config[s].get("follow_imports") == "silent"
    }
    assert followed == setup_py.kernel_imports()
    for package in setup_py.NOT_ANALYSED:
        assert config[f"mypy-{package}.*"]["follow_imports"] == "skip"
        assert config[f"mypy-{package}.*"]["follow_imports_for_stubs"] == "True"


@pytest.mark.parametrize(
    ("argv", "env", "wanted"),
    [
        (["setup.py", "bdist_wheel"], "", None),  # pip install . : try, fall back
        (["setup.py", "editable_wheel"], "", False),  # pip install -e . : pure Python
        (["setup.py", "egg_info"], "", False),  # reading metadata: nothing to compile
        (["setup.py", "bdist_wheel"], "0", False),
        (["setup.py", "editable_wheel"], "1", True),  # forced: compile, or fail the install
    ],
)
def test_when_the_build_compiles(
    setup_py: ModuleType, monkeypatch: pytest.MonkeyPatch, argv: list[str], env: str, wanted: bool | None
) -> None:
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.setenv("CASEFLOW_COMPILE", env)
    assert setup_py._wanted() is wanted


def _build_ext(setup_py: ModuleType, dist: Distribution, tmp_path: Path, *, strict: bool = False) -> Any:
    """setup.py's build_ext command for ``dist``, building into ``tmp_path``."""
    cmd = setup_py.OptionalBuildExt(dist)
    cmd.build_lib = str(tmp_path / "lib")
    cmd.build_temp = str(tmp_path / "temp")
    cmd.strict = strict
    cmd.ensure_finalized()
    return cmd


def test_a_failed_compile_falls_back_to_pure_python(setup_py: ModuleType, tmp_path: Path) -> None:
    """Two extensions, the second of which cannot compile: the build goes on and leaves neither."""
    good, bad = tmp_path / "good.c", tmp_path / "bad.c"
    good.write_text("int good(void) { return 1; }\n")
    bad.write_text("this is not C\n")
    dist = Distribution(
        {"name": "x", "ext_modules": [Extension("good", [str(good)]), Extension("bad", [str(bad)])]}
    )
    cmd = _build_ext(setup_py, dist, tmp_path)
    cmd.run()  # no exception
    assert cmd.extensions == []
    assert not list((tmp_path / "lib").rglob("*.so"))


def test_a_forced_compile_fails_loudly(setup_py: ModuleType, tmp_path: Path) -> None:
    bad = tmp_path / "bad.c"
    bad.write_text("this is not C\n")
    dist = Distribution({"name": "x", "ext_modules": [Extension("bad", [str(bad)])]})
    cmd = _build_ext(setup_py, dist, tmp_path, strict=True)
    with pytest.raises(Exception, match=r"(?i)error|fail"):
        cmd.run()


def test_modules_left_by_an_earlier_build_are_removed(setup_py: ModuleType, tmp_path: Path) -> None:
    """A module taken out of the kernel leaves its compiled file in build/: packaged beside the new
    shared library it would fail at import, so the build deletes it (and keeps what it builds now)."""
    from importlib.machinery import EXTENSION_SUFFIXES

    suffix = EXTENSION_SUFFIXES[0]
    lib = tmp_path / "lib"
    stale = lib / "caseflow" / "model" / f"flow{suffix}"
    current = lib / "caseflow" / "model" / f"pathway{suffix}"
    other = lib / "elsewhere" / f"theirs{suffix}"
    for path in (stale, current, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    source = tmp_path / "pathway.c"
    source.write_text("int x;\n")
    dist = Distribution({"name": "x", "ext_modules": [Extension("caseflow.model.pathway", [str(source)])]})
    cmd = _build_ext(setup_py, dist, tmp_path)  # builds into tmp_path / "lib", which is lib
    cmd.drop_stale()
    assert not stale.exists()
    assert current.exists()
    assert other.exists()  # not caseflow's: left alone


_PROBE_C = """
#include <Python.h>
int caseflow_probe_helper(void) { return 41; }
static PyObject *answer(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(caseflow_probe_helper() + 1);
}
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "probe", NULL, -1, methods};
PyMODINIT_FUNC PyInit_probe(void) { return PyModule_Create(&module); }
"""


@pytest.mark.skipif(os.name != "posix", reason="the flag is GCC's and Clang's; MSVC hides symbols anyway")
def test_compiled_modules_export_only_their_initialisers(setup_py: ModuleType, tmp_path: Path) -> None:
    """The build hides a module's own functions (so the kernel calls them directly, not through the
    procedure linkage table) and keeps the ``PyInit_`` function Python imports the module by."""
    from importlib.machinery import EXTENSION_SUFFIXES

    source = tmp_path / "probe.c"
    source.write_text(_PROBE_C)
    dist = Distribution({"name": "x", "ext_modules": [Extension("probe", [str(source)])]})
    cmd = _build_ext(setup_py, dist, tmp_path, strict=True)
    cmd.run()
    assert cmd.extensions[0].extra_compile_args[-len(setup_py.HIDDEN) :] == setup_py.HIDDEN
    built = tmp_path / "lib" / f"probe{EXTENSION_SUFFIXES[0]}"
    library = ctypes.CDLL(str(built))
    assert not hasattr(library, "caseflow_probe_helper")
    assert hasattr(library, "PyInit_probe")
    spec = importlib.util.spec_from_file_location("probe", built)
    assert spec is not None
    assert spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    assert probe.answer() == 42


@pytest.mark.slow
@pytest.mark.parametrize("installed", [True, False], ids=["dependencies-installed", "fresh-machine"])
def test_the_kernel_translates_with_mypyc(setup_py: ModuleType, tmp_path: Path, installed: bool) -> None:
    """mypyc accepts every kernel module, with the options the build uses (C is generated, not compiled).

    A regular install falls back to pure Python when mypyc refuses a construct (``continue`` inside a
    ``try``/``finally``, say), so without this check a change could silently cost users the compiled
    kernel while every other test passes on the editable, pure-Python install. Checked twice: with the
    dependencies' types in view, as when caseflow is installed again, and without them, as pip's isolated
    build sees it on a fresh machine (only setuptools and mypy are installed there, so SimPy's and numpy's
    names are ``Any``; a union alias of one of them once made that build fall back). About half a
    minute, then a few seconds.
    """
    code = (
        f"import sys, pathlib\nsys.path.insert(0, {str(ROOT)!r})\n"
        "import setup\ntarget = pathlib.Path(sys.argv[1])\n"
        f"setup.translate(target, setup.mypyc_options(target, site_packages={installed}))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],  # translated as the build translates it
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    errors = [line for line in res.stdout.splitlines() + res.stderr.splitlines() if ": error:" in line]
    assert res.returncode == 0, "\n".join(errors) or res.stderr[-2000:]
    assert errors == []
    assert list(tmp_path.rglob("*.c")), "mypyc wrote no C source"


def test_check_translation_compares_every_file_mypyc_writes(tmp_path: Path) -> None:
    """scripts/check_translation.py's comparison: a file that differs or is missing on one side is
    reported; its own configuration file, which only one side has, is not."""
    spec = importlib.util.spec_from_file_location(
        "check_translation", ROOT / "scripts" / "check_translation.py"
    )
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    left, right = tmp_path / "configured", tmp_path / "unconfigured"
    for folder in (left, right):
        (folder / "caseflow").mkdir(parents=True)
        (folder / "kernel.c").write_text("int x;\n")
        (folder / "caseflow" / "calendar.c").write_text("int y;\n")
    (left / "mypyc.ini").write_text("[mypy]\n")
    assert script.differences(left, right) == []
    (right / "caseflow" / "calendar.c").write_text("int z;\n")
    (left / "ops.txt").write_text("ops\n")
    assert script.differences(left, right) == ["caseflow/calendar.c", "ops.txt"]
