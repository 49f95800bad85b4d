"""The public API: what ``__all__`` promises exists and is documented (numpydoc).

Every name in ``plcapacity.__all__`` and in each module's ``__all__`` exists. A module's
``__all__`` lists what it shares inside the package; the documented API is what the top level,
the families' ``__init__`` and :mod:`plcapacity.plotting` export. Every function or class of
the documented API has a docstring with a ``Parameters`` section (when it takes arguments), a
``Returns`` section (functions), and an ``Examples`` section (run by the doctests of the
suite); the modules whose numbers or behaviour come from Azure also cite it (``References``).
"""

import importlib
import inspect
import pkgutil

import pytest

import plcapacity

#: Modules another change is rewriting right now (issue 8: event engine, results, driver and
#: memory budget). Their docstrings are completed with that change; until then they are
#: skipped here, for this reason.
PENDING_MODULES: dict[str, str] = {}  # every module is documented now

#: Modules whose figures or behaviour come from Azure's documentation: every public function
#: and class there names its source in a ``References`` section.
CITING_MODULES = {"ceilings", "grid", "imbalance", "sizing", "laws", "processes", "exact",
                  "structure", "sla", "limits"}

#: Every module of the package, dotted below ``plcapacity`` (``capacity.sizing``).
MODULES = sorted(info.name.partition(".")[2]
                 for info in pkgutil.walk_packages(plcapacity.__path__, "plcapacity.")
                 if not info.name.rpartition(".")[2].startswith("_"))
#: The documented API's homes: the families and the plotting facade.
API_MODULES = [m for m in MODULES if "." not in m]


def _module(name):
    return importlib.import_module(f"plcapacity.{name}")


def _leaf(module_name):
    return module_name.rsplit(".", 1)[-1]


def _public_objects():
    """(qualified name, object) of every documented function and class, once each."""
    seen = {}
    sources = [("plcapacity", plcapacity)] + [(f"plcapacity.{m}", _module(m))
                                              for m in API_MODULES]
    for prefix, module in sources:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return sorted(seen.items())


PUBLIC = _public_objects()


def _takes_arguments(obj):
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return False  # exceptions take a message, documented in prose
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            return False
    else:
        signature = inspect.signature(obj)
    return any(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls")
               for p in signature.parameters.values())


def _skip_pending(obj):
    module = _leaf(obj.__module__)
    if module in PENDING_MODULES:
        pytest.skip(f"plcapacity.{module}: {PENDING_MODULES[module]}")


def test_every_module_declares_its_public_names():
    for name in MODULES:
        assert isinstance(getattr(_module(name), "__all__", None), list), name


@pytest.mark.parametrize("module_name", ["__init__", *MODULES])
def test_every_name_in_all_exists(module_name):
    module = plcapacity if module_name == "__init__" else _module(module_name)
    names = getattr(module, "__all__", [])
    assert len(names) == len(set(names)), f"{module_name}: a name listed twice"
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ lists names it does not have: {missing}"


@pytest.mark.parametrize("module_name", ["__init__", *MODULES])
def test_no_underscore_name_is_public(module_name):
    module = plcapacity if module_name == "__init__" else _module(module_name)
    private = [name for name in getattr(module, "__all__", [])
               if name.startswith("_") and name != "__version__"]
    assert not private, f"{module_name}.__all__ exports private names: {private}"


def test_top_level_exports_what_the_notebooks_and_readme_use():
    for name in ("process_table", "availability_by_region_count", "columns_table",
                 "read_scenarios", "run_batch", "batch_overview", "batch_report",
                 "write_report", "limits_at_risk", "data_path", "estate_table", "estate_review"):
        assert name in plcapacity.__all__, name


def test_internals_shared_in_a_family_are_not_documented_api():
    """Names one module shares with others (in its ``__all__``) are not exported by the
    family or the top level: they may move without a deprecation."""
    from plcapacity import availability
    from plcapacity.availability import exact, structure
    for name in ("Structure", "compile_structure"):
        assert name in structure.__all__ or name == "Structure"
        assert name not in availability.__all__ and name not in plcapacity.__all__
    assert "down_episode_frequency" in exact.__all__
    assert "down_episode_frequency" not in availability.__all__


@pytest.mark.parametrize("qualname, obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_public_docstring_is_numpydoc(qualname, obj):
    _skip_pending(obj)
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{qualname}: no docstring"
    sections = {line.strip() for line in doc.splitlines()}
    missing = []
    if _takes_arguments(obj) and "Parameters" not in sections:
        missing.append("Parameters")
    if inspect.isfunction(obj) and not ({"Returns", "Yields"} & sections):
        missing.append("Returns")
    if "Examples" not in sections or ">>>" not in doc:
        missing.append("Examples")
    if _leaf(obj.__module__) in CITING_MODULES and "References" not in sections:
        missing.append("References")
    assert not missing, f"{qualname}: docstring lacks {', '.join(missing)}"
