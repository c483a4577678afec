"""Domain apps never import the delivery layers (ui/, api/): the layout is the architecture."""

import ast
from pathlib import Path

import guichet

PACKAGE = Path(guichet.__file__).parent
DOMAIN_APPS = [
    "organizations",
    "citizens",
    "conversations",
    "cases",
    "channels",
    "intake",
    "routing",
    "assist",
    "audit",
    "core",
]
DELIVERY = ("guichet.ui", "guichet.api")


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_domain_never_imports_delivery_layers():
    offenders = []
    for app in DOMAIN_APPS:
        for path in (PACKAGE / app).rglob("*.py"):
            for module in imported_modules(path):
                if module.startswith(DELIVERY):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert offenders == []


def test_every_domain_app_exists():
    assert all((PACKAGE / app / "__init__.py").exists() for app in DOMAIN_APPS)
