"""The layering of DESIGN §8: config -> engine -> experiments -> faces, never upward.

Reads every module's imports with `ast` (nothing is executed), so a stray upward import, or the
engine reaching for YAML, Solara, or the file system, fails here before it spreads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wargame"
LAYERS = ["config", "engine", "experiments", "cli"]
FACES = {"cli", "ui"}
ENGINE_FORBIDDEN = {"yaml", "solara", "pandas", "pathlib", "shutil", "tempfile"}


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_import_only_their_layer_or_below(path):
    layer = layer_of(path)
    if layer not in LAYERS and layer not in FACES:
        return
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) if layer not in FACES else {*LAYERS[:3], layer}
    for name in imported(path):
        if name.startswith("wargame."):
            target = name.split(".")[1]
            assert target in allowed, f"{path.name} ({layer}) imports {name}"


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "engine").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_engine_is_headless(path):
    roots = {name.split(".")[0] for name in imported(path)}
    assert not roots & ENGINE_FORBIDDEN, f"{path.name} imports {roots & ENGINE_FORBIDDEN}"
    text = path.read_text(encoding="utf-8")
    assert "open(" not in text and "print(" not in text, f"{path.name} does file I/O or prints"
    assert "import random" not in text and "np.random.seed" not in text, (
        "randomness must flow from the seed"
    )


def test_the_engine_never_uses_the_loader():
    for path in (PACKAGE / "engine").rglob("*.py"):
        assert "wargame.config.loader" not in imported(path), path.name


def test_layers_are_all_present():
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")} >= set(
        LAYERS
    )
