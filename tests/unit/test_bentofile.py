"""bentofile.yaml packs exactly the package modules the service imports: a module left out makes
the Bento fail at start-up ("cannot import name ..."), one too many ships training code."""

from __future__ import annotations

import ast

import yaml

from tests.support.project import ROOT

PACKAGE = ROOT / "src"


def imported_modules(module: str) -> set[str]:
    """The gitops_ml modules ``module`` imports anywhere in its body (function-level imports too)."""
    path = PACKAGE / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE / module.replace(".", "/") / "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gitops_ml":
            for alias in node.names:  # `from gitops_ml import scoring` names a module
                candidate = f"{node.module}.{alias.name}"
                is_module = (PACKAGE / (candidate.replace(".", "/") + ".py")).exists()
                found.add(candidate if is_module else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "gitops_ml"}
    return found


def import_closure(root: str) -> set[str]:
    seen, todo = set(), [root]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += imported_modules(module)
    return seen


def test_the_bento_packs_every_module_the_service_imports_and_no_other():
    bentofile = yaml.safe_load((ROOT / "bentofile.yaml").read_text())
    service_module = bentofile["service"].split(":")[0]
    packed = {entry for entry in bentofile["include"] if entry.startswith("gitops_ml/")}
    needed = {"gitops_ml/__init__.py"} | {
        module.replace(".", "/") + ".py" for module in import_closure(service_module) if module != "gitops_ml"
    }
    assert packed == needed
