"""The apps depend on each other in one direction only (docs/ARCHITECTURE.md, "Layers").

Each app may import the apps of the layers below its own, never one above it nor another
app of its own layer. Every import counts, inside functions too. A lower layer that must
reach a higher one is told what to call (a setting, or a registration from the higher
app's `AppConfig.ready()`)."""

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

# Top to bottom. Apps in one layer are independent of each other.
LAYERS: list[set[str]] = [
    {"config"},
    {"api"},
    {"mentors"},
    {"bookings"},
    {"availability", "payments", "webhooks"},
    {"accounts"},
    {"notifications"},
    {"ops"},
    {"common"},
]
LAYER_OF = {app: depth for depth, apps in enumerate(LAYERS) for app in apps}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def product_files() -> list[Path]:
    return sorted(
        path
        for app in LAYER_OF
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def wrong_way(app: str, imported: str) -> bool:
    return imported in LAYER_OF and imported != app and LAYER_OF[imported] <= LAYER_OF[app]


def test_every_app_directory_has_a_layer():
    apps = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "scripts"}
    }
    assert apps == set(LAYER_OF)


def test_imports_point_down_the_layers_only():
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in product_files()
        for line, imported in imports_of(path)
        if wrong_way(path.relative_to(ROOT).parts[0], imported)
    ]
    assert offences == []


@pytest.mark.parametrize(
    ("app", "imported", "wrong"),
    [
        ("notifications", "bookings", True),  # up
        ("availability", "payments", True),  # sideways in one layer
        ("bookings", "availability", False),  # down
        ("bookings", "bookings", False),  # itself
        ("common", "django", False),  # outside the product
    ],
)
def test_the_rule_itself(app, imported, wrong):
    assert wrong_way(app, imported) is wrong
