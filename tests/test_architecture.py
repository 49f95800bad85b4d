"""The package's architecture as a contract: families, layers and an explicit internal API.

- The layers in ``pyproject.toml`` (``[tool.importlinter]``) hold, and a violating import
  breaks them (checked on a copy of the package with one upward import added).
- No module imports another module's ``_private`` name; every name a module takes from
  another module of the package is listed in that module's ``__all__``.
- Each family's ``__init__`` states its concern and names every module of the family, so a
  newcomer finds each concern from the tree.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plcapacity"
FAMILIES = ("base", "capacity", "outages", "availability", "planning", "report", "batch",
            "estate", "cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path):
    """(line, module, name) of every ``from plcapacity... import name`` in ``path``."""
    package = _module_name(path) if path.name == "__init__.py" else \
        _module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "plcapacity" or module.startswith("plcapacity."):
                for alias in node.names:
                    yield node.lineno, module, alias.name


def _lint_imports(cwd, env=None):
    script = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(script), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_layering_contract_holds():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, upward", [
    ("capacity/ceilings.py", "from plcapacity.availability import exact"),   # up a layer
    ("batch/run.py", "from plcapacity.estate import review"),                # siblings
    ("base/tables.py", "import plcapacity.plotting"),                        # the top level
], ids=["capacity-imports-availability", "batch-imports-estate", "base-imports-plotting"])
def test_layering_contract_fails_on_a_violating_import(tmp_path, module, upward):
    copy = tmp_path / "plcapacity"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / module, "a") as stream:
        stream.write(f"\n{upward}  # added by the test\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = _lint_imports(tmp_path, env=env)
    assert result.returncode != 0, result.stdout[-3000:]
    assert "BROKEN" in result.stdout or "broken" in result.stdout


def test_no_module_imports_another_modules_private_names():
    crossing = [f"{path.relative_to(ROOT)}:{line}: {module}.{name}"
                for path in _modules().values()
                for line, module, name in _imports(path)
                if name.startswith("_") and name != "__version__"]
    assert not crossing, "private names cross modules:\n" + "\n".join(crossing)


def test_tests_import_no_private_names_of_the_package():
    crossing = [f"{path.relative_to(ROOT)}:{line}: {module}.{name}"
                for path in sorted((ROOT / "tests").rglob("*.py"))
                for line, module, name in _imports(path)
                if name.startswith("_") and name != "__version__"]
    assert not crossing, "tests import private names:\n" + "\n".join(crossing)


def test_what_modules_share_is_listed_in_the_owners_all():
    import importlib
    modules = _modules()
    unlisted = []
    for path in modules.values():
        for line, module, name in _imports(path):
            if module not in modules or modules[module].name == "__init__.py":
                continue  # a family's or the top level's re-exports
            owner = importlib.import_module(module)
            if name not in getattr(owner, "__all__", ()) and name != "__version__":
                unlisted.append(f"{path.relative_to(ROOT)}:{line}: {module}.{name}")
    assert not unlisted, "imported but not in the owner's __all__:\n" + "\n".join(unlisted)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_states_its_concern_and_names_its_modules(family):
    init = PACKAGE / family / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text())) or ""
    assert len(doc.split()) >= 20, f"{family}/__init__.py: say what the family is for"
    modules = [p.stem for p in (PACKAGE / family).glob("*.py") if p.stem != "__init__"]
    unnamed = [m for m in modules if m not in doc]
    assert not unnamed, f"{family}/__init__.py does not name {unnamed}"


def test_the_top_level_holds_only_the_entry_points_and_the_families():
    top = sorted(p.name for p in PACKAGE.iterdir()
                 if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    assert top == sorted(["__init__.py", "__main__.py", "_entry.py", "plotting.py",
                          *FAMILIES])


def test_old_flat_module_names_warn_and_are_the_new_modules():
    import importlib

    import plcapacity
    for old, new in plcapacity.MOVED_MODULES.items():
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match=f"{old} is deprecated since 0.2.0 and will "
                          f"be removed in 0.3.0; use {new} instead"):
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)


def test_every_module_has_its_test_file():
    """``tests/<family>/test_<module>.py`` (or ``test_<family>_<module>.py`` where two
    families have a module of one name: pytest needs unique basenames)."""
    missing = []
    for path in sorted(PACKAGE.glob("*/*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        family, module = path.parent.name, path.stem
        folder = ROOT / "tests" / family
        if not any((folder / name).exists() for name in (
                f"test_{module}.py", f"test_{family}_{module}.py")):
            missing.append(f"{path.relative_to(ROOT)} -> tests/{family}/test_{module}.py")
    assert not missing, "modules without a test file:\n" + "\n".join(missing)


def test_test_files_have_unique_basenames():
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_exception_class_lives_in_base_exceptions():
    import builtins
    error_bases = {name for name in dir(builtins)
                   if isinstance(getattr(builtins, name), type)
                   and issubclass(getattr(builtins, name), BaseException)}
    from plcapacity.base import exceptions
    error_bases |= set(exceptions.__all__)
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "base" / "exceptions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", getattr(base, "attr", None)) in error_bases
                    for base in node.bases):
                outside.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not outside, "exception classes outside base/exceptions.py:\n" + "\n".join(outside)


def test_every_table_schema_is_a_schema_of_columns():
    """One column-schema type: a module's ``*_COLUMNS`` that describes columns (a mapping,
    or Columns) is a :class:`plcapacity.base.schema.Schema`; plain tuples of names are not
    schemas."""
    import importlib

    from plcapacity.base.schema import Column, Schema
    other = []
    for name in _modules():
        module = importlib.import_module(name)
        for attribute in getattr(module, "__all__", ()):
            if not attribute.endswith("_COLUMNS"):
                continue
            value = getattr(module, attribute)
            describes = isinstance(value, dict) or (
                isinstance(value, (tuple, list)) and any(isinstance(v, Column) for v in value))
            if describes and not isinstance(value, Schema):
                other.append(f"{name}.{attribute}: {type(value).__name__}")
    assert not other, "table schemas that are not a Schema:\n" + "\n".join(other)
