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
    assert "clipkit/clips/presets.py" in names
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


# The pipeline's stages in order (DESIGN.md), each a folder of the package; a module may
# import its own stage's and earlier stages' modules, never a later stage's. "base" is
# what every stage shares (errors, atomic files, the YAML reader, the options, the child
# processes); media/ holds every ffmpeg process and the probe, which analysis and render
# both call; posts/ builds on the renderer (reels, stills, post text, timelines);
# progress is the CLI's display (only the CLI prints).
STAGES: dict[str, tuple[str, ...]] = {
    "base": ("clipkit", "errors", "files", "yamlfile", "options", "children", "fonts"),
    "probe": ("media",),
    "analyse": ("analysis",),
    "detect": ("detection",),
    "plan": ("clips",),
    "render": ("render",),
    "posts": ("posts",),
    "run": ("run",),
    "cli": ("cli", "__main__", "progress"),
}
# Imports allowed against the order, each with the reason (none today).
EXCEPTIONS: set[tuple[str, str]] = set()


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, module: str) -> set[str]:
    """The clipkit modules ``path`` imports, at the top or inside functions; ``from
    clipkit.x import y`` counts as clipkit.x.y when y is a module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                is_module = (REPO / sub.replace(".", "/")).with_suffix(".py").exists() or (
                    REPO / sub.replace(".", "/")
                ).is_dir()
                found.add(sub if is_module else base)
    return {n for n in found if n == "clipkit" or n.startswith("clipkit.")}


def _stage(module: str) -> int:
    """The stage's index of ``module``: that of its longest listed name or package."""
    best = (-1, -1)
    for i, names in enumerate(STAGES.values()):
        for name in names:
            full = "clipkit" if name == "clipkit" else f"clipkit.{name}"
            if module == full or module.startswith(full + "."):
                best = max(best, (len(full), i))
    assert best[1] >= 0, f"{module}: in no stage of STAGES (add it where it belongs)"
    return best[1]


def test_no_stage_imports_a_later_one() -> None:
    order = list(STAGES)
    wrong = []
    for path in sorted((REPO / "clipkit").rglob("*.py")):
        module = _module(path)
        for dep in sorted(_imported(path, module)):
            if _stage(dep) > _stage(module) and (module, dep) not in EXCEPTIONS:
                wrong.append(
                    f"{module} ({order[_stage(module)]}) imports {dep} ({order[_stage(dep)]})"
                )
    assert not wrong, "\n".join(wrong)


def test_the_import_order_is_checked_on_the_whole_package() -> None:
    # A check that found nothing to check would pass: it sees the known edges.
    modules = {_module(p): p for p in (REPO / "clipkit").rglob("*.py")}
    assert "clipkit.render.clip" in _imported(
        modules["clipkit.run.manifest"], "clipkit.run.manifest"
    )
    assert "clipkit.detection" in _imported(
        modules["clipkit.clips.reframe"], "clipkit.clips.reframe"
    )
    assert (
        _stage("clipkit.media.decode")
        < _stage("clipkit.analysis.analyse")
        < _stage("clipkit.render.clip")
    )


# Where printing and exiting belong: the CLI and its display (DESIGN.md: the library
# never prints nor calls sys.exit; it reports through events and logging).
PRINTS = {"clipkit.cli", "clipkit.progress"}


def test_only_the_cli_prints_or_exits() -> None:
    wrong = []
    for path in sorted((REPO / "clipkit").rglob("*.py")):
        if _module(path) in PRINTS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else ast.unparse(f)
            if name in ("print", "exit", "quit", "sys.exit", "breakpoint"):
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}()")
    assert not wrong, "\n".join(wrong)


def test_importing_the_package_does_no_work() -> None:
    # No process started and no library loaded while every module is imported (ffmpeg
    # is looked up, and libc's prctl loaded, when first needed).
    modules = sorted(
        _module(p) for p in (REPO / "clipkit").rglob("*.py") if p.name != "__main__.py"
    )
    code = (
        "import ctypes, importlib, subprocess\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('work at import time')\n"
        "subprocess.Popen.__init__ = refuse\n"
        "ctypes.CDLL.__init__ = refuse\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert res.returncode == 0, res.stderr[-3000:]
