"""The wheel that `pip install .` builds carries the presets, the font and the model."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    for folder in ("clipkit", "presets"):
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        capture_output=True, text=True,
    )  # fmt: skip
    if res.returncode != 0:
        pytest.fail(f"building the wheel failed: {res.stderr[-2000:]}")
    return zipfile.ZipFile(next(dist.glob("clipkit-*.whl")))


def test_wheel_has_presets_font_and_entry_point(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    builtins = {Path(n).stem for n in names if n.startswith("clipkit/builtin_presets/")}
    for preset in ("reels", "tiktok", "shorts", "stories", "feed", "square", "youtube", "x"):
        assert preset in builtins
    assert "clipkit/fonts/DejaVuSans-Bold.ttf" in names
    assert "clipkit/presets.py" in names
    assert "clipkit/detection/model.json" in names  # the fitted detection model, as data
    assert not any(n.startswith("tools/") for n in names)  # training code stays out
    assert not any("samplegen" in n for n in names)  # so does the sample generator
    assert not any(n.startswith("clipkit/presets/") for n in names)  # would shadow presets.py
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "clipkit = clipkit.cli:main" in wheel.read(entry).decode()
    assert not any("samples/" in n or n.endswith(".mp4") for n in names)


def test_the_package_never_imports_the_tools() -> None:
    # tools/ is not installed: an import of it from clipkit would fail for every user.
    for path in sorted((REPO / "clipkit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            assert not any(n == "tools" or n.startswith("tools.") for n in names), path
