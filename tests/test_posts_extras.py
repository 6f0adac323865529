"""The extras beside a clip and a reel: the files named for the manifest, all written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clipkit.clips.plan import ClipPlan
from clipkit.posts.extras import PostOptions, clip_extras, reel_extras
from clipkit.posts.reel import plan_reel


@pytest.fixture(scope="module")
def plan(make_clip: Callable[..., Path]) -> ClipPlan:
    src = make_clip("extras.mp4", duration=6.0, size="160x90", fps=25, audio=False)
    return ClipPlan(source=str(src), index=1, start=0.5, end=4.0, peak=2.0, score=0.8,
                    caption="It slipped.", recovery_caption="Plated anyway.",
                    output="extras_01_reels.mp4", preset="reels", recovery_source=str(src),
                    recovery_start=4.5, recovery_end=5.9)  # fmt: skip


def test_clip_extras_all(plan: ClipPlan, tmp_path: Path) -> None:
    pytest.importorskip("opentimelineio")
    opts = PostOptions(stills=True, exports=("otio", "fcpxml", "edl"))
    made = clip_extras(plan, tmp_path, (108, 192), 25.0, opts)
    assert {k: p.name for k, p in made.items()} == {
        "text": "extras_01_reels.txt",
        "still": "extras_01_reels-before-after.jpg",
        "otio": "extras_01_reels.otio",
        "fcpxml": "extras_01_reels.fcpxml",
        "edl": "extras_01_reels.edl",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in made.values())
    assert "It slipped." in made["text"].read_text(encoding="utf-8")


def test_nothing_asked_nothing_made(plan: ClipPlan, tmp_path: Path) -> None:
    assert clip_extras(plan, tmp_path, (108, 192), 25.0, PostOptions(post_text=False)) == {}
    assert not list(tmp_path.iterdir())


def test_reel_extras(plan: ClipPlan, tmp_path: Path) -> None:
    reel = plan_reel([plan], "Fail Friday")
    assert reel is not None
    made = reel_extras(reel, [plan], tmp_path / "reel.mp4", (1080, 1920), 25.0,
                       PostOptions(exports=("edl",)))  # fmt: skip
    assert sorted(made) == ["edl", "text"]
    assert "Fail Friday" in made["text"].read_text(encoding="utf-8")
    assert "* FROM CLIP NAME: extras.mp4" in made["edl"].read_text(encoding="utf-8")
