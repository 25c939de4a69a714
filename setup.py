"""Build caseflow, compiling its simulation kernel with mypyc where a C compiler is available.

The kernel is the handful of modules on the simulation's hot path (``caseflow.kernel.KERNEL``);
everything else, and the kernel too when it cannot be compiled, is the pure-Python source. Both give
identical results (``scripts/check_kernel.py`` compares them; docs/performance.md has the figures); the
compiled kernel runs a replication in a little over a quarter of the time.

- A regular install (``pip install .``) tries to compile the kernel. If mypyc or a C compiler is
  missing, or compiling fails for any reason, it says so and installs the pure-Python package.
- An editable install (``pip install -e .``, as the test command uses) never compiles: edits take
  effect at once and coverage sees every line.
- ``CASEFLOW_COMPILE=0`` never compiles; ``CASEFLOW_COMPILE=1`` compiles even an editable install and
  fails the install rather than fall back.

``caseflow.kernel.compiled()`` says, at run time, which modules are compiled.
"""

from __future__ import annotations

import ast
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

#: The clone's root, taken once at import: ``__file__`` may be relative ("setup.py"), and the kernel's
#: build changes the working folder to src/ while it translates (with CASEFLOW_COMPILE=1, pip's metadata
#: step used to look for src/src/caseflow/kernel.py).
ROOT = Path(__file__).resolve().parent


def _kernel_modules() -> list[str]:
    """``caseflow.kernel.KERNEL``, read without importing caseflow (its dependencies may not be installed)."""
    source = (ROOT / "src" / "caseflow" / "kernel.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "KERNEL" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise RuntimeError("src/caseflow/kernel.py defines no KERNEL")


#: mypy options for compiling: the kernel's own annotations are what matter, so imports of libraries
#: that are not installed in the build environment (numpy, pydantic, simpy…) are treated as untyped.
#: :func:`mypyc_options` adds the configuration that keeps mypy to what the kernel imports.
MYPYC_OPTIONS = ["--ignore-missing-imports", "--follow-imports=silent"]

#: Packages the kernel's translation need not analyse although mypy would follow imports into them:
#: ``rich`` is imported only by pydantic's optional schema printer, and leads on to IPython and to
#: matplotlib's and pandas' type stubs: about 830 of the 1,570 modules mypy would otherwise parse.
NOT_ANALYSED = ("rich",)


def _module_file(module: str) -> Path | None:
    base = ROOT / "src" / Path(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports_in(path: Path) -> list[str]:
    """What a source file imports, anywhere in it, by absolute name (``from a.b import c`` gives ``a.b``
    and ``a.b.c``, as ``c`` may be a module)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def kernel_imports() -> set[str]:
    """The caseflow modules the kernel imports, directly or through one another, itself included, with
    their parent packages: every ``import`` statement counts, at the top, under ``TYPE_CHECKING`` or in a
    function, as mypy follows them all. Read from the source, without importing caseflow."""
    todo = [name.removesuffix(".py").replace("/", ".") for name in _kernel_modules()]
    found: set[str] = set()
    while todo:
        module = todo.pop()
        path = _module_file(module)
        if module in found or path is None:  # `from caseflow.x import name`: name is not a module
            continue
        found.add(module)
        todo += [name for name in imports_in(path) if name.split(".")[0] == "caseflow"]
    parents = {m.rsplit(".", n)[0] for m in found for n in range(1, m.count(".") + 1)}
    return found | parents


def mypyc_options(folder: Path, *, site_packages: bool = True) -> list[str]:
    """mypy's options for translating the kernel, with a configuration written into ``folder``.

    ``site_packages=False`` hides every installed package from mypy, as pip's isolated build does on a
    fresh machine (it holds only setuptools and mypy, so SimPy's and numpy's names are ``Any`` there):
    the kernel must translate both ways (tests/test_kernel.py).

    Without the configuration mypy would analyse, besides the kernel and what it imports, every caseflow
    module that ``caseflow/__init__.py`` names for type checkers (the experiment layer and everything it
    imports, pandas' stubs among them) and :data:`NOT_ANALYSED`: about three times the work, for the same C
    (``python scripts/check_translation.py`` translates both ways and compares every file).
    """
    lines = ["[mypy]", "[mypy-caseflow.*]", "follow_imports = skip"]
    for module in sorted(kernel_imports()):
        lines += [f"[mypy-{module}]", "follow_imports = silent"]
    for package in NOT_ANALYSED:
        lines += [f"[mypy-{package}.*]", "follow_imports = skip", "follow_imports_for_stubs = True"]
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "mypyc.ini"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*MYPYC_OPTIONS, f"--config-file={config}", *([] if site_packages else ["--no-site-packages"])]


def translate(target: Path, options: list[str] | None = None) -> list:  # type: ignore[type-arg]
    """Translate the kernel to C in ``target`` with mypyc, as the build does, and return the extensions
    to compile (their sources relative to ``src/``). ``options``: mypy's, :func:`mypyc_options` unless
    given. Raises ImportError without mypyc, SystemExit when mypyc refuses the code."""
    from mypyc.build import mypycify

    old = Path.cwd()
    try:
        os.chdir(ROOT / "src")  # module names from the src layout (caseflow.model is a namespace package)
        return list(
            mypycify(
                [*(mypyc_options(target) if options is None else options), *_kernel_modules()],
                opt_level="3",
                target_dir=str(target),
                group_name="caseflow_kernel",
            )
        )
    finally:
        os.chdir(old)


#: setup.py commands that build the package (others only read its metadata).
_BUILDS = {"bdist_wheel", "build", "build_ext", "install"}


def _log(message: str) -> None:
    print(f"caseflow build: {message}", file=sys.stderr, flush=True)


def _wanted() -> bool | None:
    """True: compile (fail if impossible); False: never; None: try, fall back to pure Python."""
    forced = os.environ.get("CASEFLOW_COMPILE", "").strip()
    if forced == "1":
        return True
    if forced == "0" or "editable_wheel" in sys.argv or "develop" in sys.argv:
        return False
    if not _BUILDS.intersection(sys.argv):
        return False
    return None


def _kernel_extensions(wanted: bool | None) -> list:  # type: ignore[type-arg]
    if wanted is False:
        if _BUILDS.intersection(sys.argv) or "editable_wheel" in sys.argv:
            _log("kernel not compiled (editable install or CASEFLOW_COMPILE=0): pure Python")
        return []
    try:
        import mypyc.build  # noqa: F401  (only whether it is there)
    except ImportError:
        if wanted:
            raise
        _log("mypyc is not available: installing the pure-Python kernel")
        return []
    root = ROOT
    try:
        _log("translating the kernel with mypyc (about a minute, with compiling)")
        extensions = translate(root / "build" / "mypyc")
        for ext in extensions:  # C sources are written relative to src/: make them absolute
            ext.sources = [_absolute(root / "src", s) for s in ext.sources]
            ext.include_dirs = [_absolute(root / "src", d) for d in ext.include_dirs]
        return extensions
    except (Exception, SystemExit) as error:  # mypyc exits on type errors
        if wanted:
            raise
        _log(f"mypyc could not translate the kernel ({error!r}): installing pure Python")
        return []


def _absolute(base: Path, path: str) -> str:
    return path if os.path.isabs(path) else str((base / path).resolve())


#: Compiler flags for the kernel (GCC and Clang): export only each module's ``PyInit_`` function, which
#: Python declares visible anyway. By default a shared library exports every function, so the kernel's
#: calls to its own functions and to mypyc's runtime went through the procedure linkage table and could
#: not be inlined: about 2,100 exported symbols and 1,227 PLT stubs, against 1 and 234 with this flag.
#: A 1-year run then misses the simulated first-level caches 4% less often and runs about 3% faster
#: (docs/performance.md); the results are the same.
HIDDEN = ["-fvisibility=hidden"]


class OptionalBuildExt(build_ext):
    """Compile the kernel if possible; on any failure, drop every compiled module (they depend on one
    another and on a shared runtime library) and keep the pure-Python package."""

    strict = False

    def run(self) -> None:
        self.drop_stale()
        try:
            super().run()
        except Exception as error:
            if self.strict:
                raise
            _log(f"compiling the kernel failed ({error!r}): installing pure Python")
            for ext in self.extensions:
                path = Path(self.get_ext_fullpath(ext.name))
                if path.exists():
                    path.unlink()
            self.extensions = []

    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "unix":  # GCC and Clang (MSVC hides symbols by default)
            for ext in self.extensions:
                ext.extra_compile_args = [*ext.extra_compile_args, *HIDDEN]
        super().build_extensions()

    def drop_stale(self) -> None:
        """Delete compiled modules left in the build folder by an earlier build that are not built now
        (a module taken out of the kernel): packaged beside the new shared library, they would fail at
        import."""
        wanted = {Path(self.get_ext_fullpath(ext.name)).resolve() for ext in self.extensions}
        for old in _compiled_in(Path(self.build_lib)):
            if old.resolve() not in wanted:
                _log(f"removing {old.name} left by an earlier build")
                old.unlink()


def _compiled_in(build_lib: Path) -> list[Path]:
    """caseflow's compiled modules (and the kernel's shared library) under ``build_lib``."""
    found: set[Path] = set()
    for suffix in EXTENSION_SUFFIXES:  # ".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so": overlapping
        found.update(build_lib.glob(f"caseflow/**/*{suffix}"))
        found.update(build_lib.glob(f"caseflow_kernel*{suffix}"))
    return sorted(found)


#: The shipped scenarios (``scenarios/*.toml`` in the clone) and where a build puts them inside the package,
#: as ``caseflow.scenario.bundled`` looks for them.
SCENARIOS = "scenarios"
BUNDLED_PACKAGE_FOLDER = "bundled_scenarios"


class BuildPyWithScenarios(build_py):
    """The usual build, plus the clone's ``scenarios/*.toml`` copied into ``caseflow/bundled_scenarios/``,
    so that an installed caseflow has the England-average baseline and the worked examples without a
    clone. (An editable install reads them from the clone instead.)"""

    def run(self) -> None:
        super().run()
        source = ROOT / SCENARIOS
        if not (source / "baseline.toml").is_file():  # an sdist without MANIFEST.in's scenarios
            raise RuntimeError(f"{source} has no baseline.toml: the package would ship without it")
        target = Path(self.build_lib) / "caseflow" / BUNDLED_PACKAGE_FOLDER
        self.mkpath(str(target))
        for toml in sorted(source.glob("*.toml")):
            self.copy_file(str(toml), str(target / toml.name))


if __name__ == "__main__":  # as setuptools runs it (tests import it to check the helpers above)
    _want = _wanted()
    OptionalBuildExt.strict = bool(_want)
    setup(
        ext_modules=_kernel_extensions(_want),
        cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithScenarios},
    )
