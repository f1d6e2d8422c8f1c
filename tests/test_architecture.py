"""The layout is the architecture: who may import whom, checked over the import graph.

Every import statement of every module (at top level or inside a function) is read with ``ast``;
the rules are those of docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Folder -> the package it is installed as (pyproject.toml, [tool.setuptools.package-dir]).
ROOMS = {
    "govern": "govern",
    "policies": "govern.policies",
    "audits": "govern.audits",
    "model_cards": "govern.model_cards",
    "templates": "govern.templates",
    "cli": "govern.cli",
}
# Modules of the core that are shared types: they import nothing but other shared types.
SHARED_TYPES = (
    "govern.errors",
    "govern.results",
    "govern.evidence",
    "govern.metric_names",
    "govern.suggest",
    "govern.vocabulary",
    "govern.disclosure",
    "govern.yaml_loader",
    "govern.limits",
    "govern.markdown",
)


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in ROOMS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


GRAPH = {name: _imports(path, name) for name, path in _modules().items()}


def _offenders(importer_prefix: str, forbidden_prefix: str) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == importer_prefix or module.startswith(importer_prefix + ".")
        for target in targets
        if target == forbidden_prefix or target.startswith(forbidden_prefix + ".")
    )


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("govern.policies", "govern.audits"),
        ("govern.audits", "govern.policies"),
        ("govern.model_cards", "govern.audits"),
        ("govern.policies", "govern.model_cards"),
        ("govern.audits", "govern.model_cards"),
    ],
)
def test_rooms_do_not_import_each_other(importer: str, forbidden: str) -> None:
    assert _offenders(importer, forbidden) == []


def test_templates_import_nothing_of_govern() -> None:
    imported = set().union(
        *(targets for module, targets in GRAPH.items() if module.startswith("govern.templates"))
    )
    assert {name for name in imported if name.startswith("govern")} == set()


def test_the_check_catches_a_forbidden_import() -> None:
    GRAPH["govern.policies.example"] = {"govern.audits.fairness"}
    try:
        assert _offenders("govern.policies", "govern.audits") == [
            "govern.policies.example imports govern.audits.fairness"
        ]
    finally:
        del GRAPH["govern.policies.example"]


def test_nothing_imports_the_cli() -> None:
    offenders = [
        line for line in _offenders("govern", "govern.cli") if not line.startswith("govern.cli")
    ]
    assert offenders == []


def test_only_the_registry_adapter_imports_mlflow() -> None:
    importers = sorted(
        module
        for module, targets in GRAPH.items()
        if any(t == "mlflow" or t.startswith("mlflow.") for t in targets)
    )
    assert importers == ["govern.adapters.registry"]


@pytest.mark.parametrize("shared", SHARED_TYPES)
def test_shared_types_import_only_shared_types(shared: str) -> None:
    rooms = ("govern.policies", "govern.audits", "govern.model_cards", "govern.cli")
    offenders = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == shared or module.startswith(shared + ".")
        for target in targets
        if target.startswith(rooms)
    ]
    assert offenders == []


def test_the_graph_sees_every_room() -> None:
    assert {name.split(".")[1] for name in GRAPH if name.count(".")} >= {
        "policies",
        "audits",
        "model_cards",
        "cli",
        "evidence",
    }
