"""Hostile presets and plans (issue 27): each is refused with one line naming the file,
quickly, with no traceback and nothing written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipkit.cli import main
from clipkit.errors import InputError, PresetError
from clipkit.plan import load_plans
from clipkit.presets import load_preset


def _bomb(top: str) -> str:
    """Billion laughs: nine levels of nine aliases each, 9**9 strings once expanded."""
    text = 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 9):
        text += f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n"
    return text + f"{top}: *l8\n"


def _one_line_error(result: object, path: Path) -> str:
    out = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("clipkit: error:")]
    assert len(lines) == 1, out
    assert str(path) in lines[0]
    return lines[0]


def test_alias_bomb_preset_is_refused_fast(tmp_path: Path) -> None:
    bad = tmp_path / "bomb.yaml"
    bad.write_text(_bomb("caption"))
    t0 = time.monotonic()
    result = CliRunner().invoke(main, ["presets", "validate", str(bad)])
    assert time.monotonic() - t0 < 1.0
    assert result.exit_code == 1
    assert "aliases" in _one_line_error(result, bad)
    with pytest.raises(PresetError, match="bomb.yaml: the file expands"):
        load_preset(bad)


def test_alias_bomb_plan_is_refused_fast(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text(_bomb("clips"))
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"plan.yaml: not a valid plan file \(the file expands"):
        load_plans(bad)
    assert time.monotonic() - t0 < 1.0


def test_alias_loop_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "loop.yaml"
    bad.write_text("caption: &a [*a]\n")
    with pytest.raises(PresetError, match="loop.yaml: the file expands"):
        load_preset(bad)


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    ok = tmp_path / "ok.yaml"
    ok.write_text("caption: &c 'oops {index}'\nrecovery_caption: *c\n")
    assert load_preset(ok).recovery_caption == "oops {index}"
