"""Code layout: no feature imports another; what two features share lives in shared/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def imported_modules(tree: ast.Module, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every import in `tree`, relative ones resolved from `package`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if feature_of(module) is None:  # `from functions import journal` names it here
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}"
            else:
                yield node.lineno, module
        elif isinstance(node, ast.Call) and _called_name(node) == "import_module" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "functions" else None


def cross_feature_imports() -> list[str]:
    found = []
    for feature in sorted(p for p in FUNCTIONS.iterdir() if (p / "__init__.py").exists()):
        for path in sorted(feature.rglob("*.py")):
            relative = path.relative_to(FUNCTIONS.parent)
            package = ".".join(relative.with_suffix("").parts[:-1])
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in imported_modules(tree, package):
                other = feature_of(module)
                if other is not None and other != feature.name:
                    found.append(f"{relative}:{line} imports {module}")
    return found


def test_the_walk_sees_every_feature() -> None:
    # Given the functions folder
    # When its features are listed
    features = {p.name for p in FUNCTIONS.iterdir() if (p / "__init__.py").exists()}

    # Then the walk covers the ones we know of (a moved folder would make the check vacuous)
    assert {"accounts", "checkins", "journal", "resources", "resource_admin"} <= features


def test_a_cross_feature_import_is_detected() -> None:
    # Given imports of another feature in each form the check reads
    source = (
        "import functions.journal.logic\n"
        "from functions.resources import cache\n"
        "from functions import checkins\n"
        "from ..journal import vault\n"
        "importlib.import_module('functions.accounts.routes')\n"
    )

    # When they are read as a module of the resource-admin function
    modules = {m for _, m in imported_modules(ast.parse(source), "functions.resource_admin")}

    # Then each names a feature other than resource_admin
    assert {feature_of(m) for m in modules} - {None} == {
        "journal",
        "resources",
        "checkins",
        "accounts",
    }


def test_no_feature_imports_another() -> None:
    # Given every module under functions/<feature>/
    # When their imports are read
    found = cross_feature_imports()

    # Then none reaches into another feature: shared code belongs in shared/
    assert found == [], "\n".join(found)
