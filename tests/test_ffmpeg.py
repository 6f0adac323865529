from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipkit.errors import FFmpegNotFound
from clipkit.media import ffmpeg


@pytest.fixture(autouse=True)
def fresh_lookup() -> Iterator[None]:
    ffmpeg.find_ffmpeg.cache_clear()
    yield
    ffmpeg.find_ffmpeg.cache_clear()


def test_env_var_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = ffmpeg.find_ffmpeg().path
    ffmpeg.find_ffmpeg.cache_clear()
    wrapper = tmp_path / "my-ffmpeg"
    wrapper.write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CLIPKIT_FFMPEG", str(wrapper))
    found = ffmpeg.find_ffmpeg()
    assert found.path == str(wrapper)
    assert found.source == "CLIPKIT_FFMPEG"


def test_broken_env_var_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPKIT_FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(FFmpegNotFound, match="/nonexistent/ffmpeg"):
        ffmpeg.find_ffmpeg()


def test_path_before_imageio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = ffmpeg.find_ffmpeg().path
    ffmpeg.find_ffmpeg.cache_clear()
    (tmp_path / "ffmpeg").symlink_to(real)
    monkeypatch.delenv("CLIPKIT_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    assert ffmpeg.find_ffmpeg().source == "PATH"


def test_imageio_used_when_nothing_else(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLIPKIT_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no ffmpeg on PATH
    found = ffmpeg.find_ffmpeg()
    assert found.source == "imageio-ffmpeg"
    assert found.version


def test_nothing_found_names_the_three_places(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ffmpeg, "_candidates", lambda: [("PATH", None), ("imageio-ffmpeg", None)])
    with pytest.raises(FFmpegNotFound) as err:
        ffmpeg.find_ffmpeg()
    msg = str(err.value)
    assert "\n" not in msg
    for place in ("CLIPKIT_FFMPEG", "PATH", "imageio-ffmpeg"):
        assert place in msg
