"""Dependencies point inward: a layer's modules never import an outer layer.

Read from the source with `ast`, so an import inside a function or under
TYPE_CHECKING counts the same as one at the top of a module."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN_MAY_IMPORT = set(sys.stdlib_module_names) | {"eventsourcing", "domain"}


def modules_of(layer: str) -> list[Path]:
    return sorted((REPO / layer).rglob("*.py"))


def imported_packages(source: str, filename: str = "<test>") -> set[str]:
    """Top-level packages a module imports absolutely; relative imports stay in
    the module's own package."""
    nodes = list(ast.walk(ast.parse(source, filename=filename)))
    plain = {
        alias.name
        for node in nodes
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    absolute = {
        node.module
        for node in nodes
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
    }
    return {name.partition(".")[0] for name in plain | absolute}


def violations(layer: str, may_import: Callable[[str], bool]) -> list[str]:
    return sorted(
        f"{path.relative_to(REPO)} imports {package}"
        for path in modules_of(layer)
        for package in imported_packages(path.read_text(encoding="utf-8"), str(path))
        if not may_import(package)
    )


def test_checker_sees_imports_in_functions_and_type_checking_blocks() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n"
        "    from infrastructure.db import metadata\n"
        "def late() -> None:\n"
        "    import interface.cli\n"
    )

    assert imported_packages(source) == {
        "__future__",
        "typing",
        "infrastructure",
        "interface",
    }


@pytest.mark.parametrize(
    "layer", ["domain", "application", "infrastructure", "interface"]
)
def test_every_layer_has_modules_to_check(layer: str) -> None:
    assert modules_of(layer) != []


def test_domain_imports_only_the_standard_library_and_eventsourcing() -> None:
    assert violations("domain", DOMAIN_MAY_IMPORT.__contains__) == []


@pytest.mark.parametrize(
    ("layer", "outer"),
    [
        ("application", {"infrastructure", "interface"}),
        ("infrastructure", {"interface"}),
    ],
)
def test_layer_never_imports_an_outer_layer(layer: str, outer: set[str]) -> None:
    assert violations(layer, lambda package: package not in outer) == []
