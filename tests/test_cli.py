from __future__ import annotations

import pytest
from click.testing import CliRunner

from clipkit import __version__, ffmpeg
from clipkit.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    res = runner.invoke(main, ["--version"])
    assert res.exit_code == 0
    assert __version__ in res.output


def test_help_describes_each_subcommand(runner: CliRunner) -> None:
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0
    for name, cmd in main.commands.items():
        assert name in res.output
        assert cmd.get_short_help_str(), f"subcommand {name} has no help text"


def test_unknown_subcommand_is_usage_error(runner: CliRunner) -> None:
    res = runner.invoke(main, ["frobnicate"])
    assert res.exit_code == 2
    assert "Usage:" in res.output


def test_unknown_option_is_usage_error(runner: CliRunner) -> None:
    res = runner.invoke(main, ["doctor", "--no-such-option"])
    assert res.exit_code == 2
    assert "No such option" in res.output


def test_doctor_reports_tools(runner: CliRunner) -> None:
    res = runner.invoke(main, ["doctor"])
    assert res.exit_code == 0, res.output
    for tool in ("ffmpeg", "opencv", "moviepy", "python"):
        assert tool in res.output
    assert ffmpeg.find_ffmpeg().path in res.output


def test_doctor_fails_without_ffmpeg(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ffmpeg, "_candidates", lambda: [("PATH", None), ("imageio-ffmpeg", None)])
    ffmpeg.find_ffmpeg.cache_clear()
    try:
        res = runner.invoke(main, ["doctor"])
    finally:
        ffmpeg.find_ffmpeg.cache_clear()
    assert res.exit_code == 1
    line = next(ln for ln in res.output.splitlines() if "ffmpeg" in ln)
    assert "FAIL" in line
    for place in ("CLIPKIT_FFMPEG", "PATH", "imageio-ffmpeg"):
        assert place in line
