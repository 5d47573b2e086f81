"""How the engine's modules import one another: the run time (diagnosis.ml) never imports model
building (modelbuilding), no module imports one of them inside a function, and no import
circle runs through them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"diagnosis.ml": ROOT / "diagnosis" / "ml", "modelbuilding": ROOT / "modelbuilding"}


def _modules() -> dict[str, ast.Module]:
    return {
        f"{package}.{path.stem}".removesuffix(".__init__"): ast.parse(path.read_text())
        for package, folder in PACKAGES.items()
        for path in sorted(folder.glob("*.py"))
    }


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The engine modules an import statement names (other packages are left out)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        package = module.rsplit(".", 1)[0]
        base = package if node.level else ""
        base = ".".join([base, node.module or ""]).strip(".") if node.level else node.module
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    return [n for n in names if n in MODULES]


MODULES = _modules()


def _imports(module: str, *, nested: bool) -> set[str]:
    tree = MODULES[module]
    found = set()
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and (id(node) not in top) == nested:
            found.update(_imported(module, node))
    return found - {module}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("diagnosis.ml")))
def test_the_run_time_never_imports_model_building(module):
    assert not {m for m in _imports(module, nested=False) if m.startswith("modelbuilding")}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_engine_module_is_imported_inside_a_function(module):
    assert _imports(module, nested=True) == set()


def test_there_is_no_import_circle():
    graph = {m: _imports(m, nested=False) for m in MODULES}
    done, path = set(), []

    def visit(module):
        assert module not in path, " -> ".join(path[path.index(module) :] + [module])
        if module in done:
            return
        path.append(module)
        for target in sorted(graph[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
