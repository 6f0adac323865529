"""Reel plans: the best moments, in the chosen order, title first, recovery last, in time."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from clipkit.clips.plan import ClipPlan
from clipkit.errors import PresetError
from clipkit.posts.reel import (
    ReelOptions,
    ReelPart,
    ReelPlan,
    cut_around,
    default_title,
    plan_reel,
    reel_timeline,
)
from clipkit.posts.timeline import edl_text

SCORES = [0.31, 0.92, 0.55, 0.77, 0.12, 0.64, 0.88, 0.43, 0.70, 0.25, 0.81, 0.59]


def plans() -> list[ClipPlan]:
    """Twelve moments in two files (b.mp4 recorded first); every third without recovery."""
    out = []
    for i, score in enumerate(SCORES):
        source = "/footage/a.mp4" if i % 2 else "/footage/b.mp4"
        start = 20.0 * i + 1
        rec = {} if i % 3 == 2 else {"recovery_source": source, "recovery_start": start + 10,
                                     "recovery_end": start + 12.5}  # fmt: skip
        out.append(ClipPlan(source=source, index=i + 1, start=start, end=start + 7.5,
                            peak=start + 2.5 + (i % 4), score=score, caption=f"oops {i}",
                            recovery_caption=f"fine {i}", output=f"clip{i:02d}.mp4",
                            preset="reels", **rec))  # type: ignore[arg-type]  # fmt: skip
    return out


RECORDED = {"/footage/b.mp4": 1000.0, "/footage/a.mp4": 2000.0}


def moments(reel: ReelPlan) -> list[ReelPart]:
    return [p for p in reel.parts if p.kind == "moment"]


def check_shape(reel: ReelPlan, opts: ReelOptions) -> None:
    """Title first, ending last, each part starting as the last fades, within the limit."""
    assert reel.parts[0].kind == "title" and reel.parts[-1].kind == "ending"
    for a, b in zip(reel.parts, reel.parts[1:], strict=False):
        assert b.at == pytest.approx(a.at + a.length - opts.transition, abs=0.002)
    assert reel.duration <= opts.max_length + 1e-6
    by_clip = {p.output: p for p in plans()}
    for m in moments(reel):
        plan = by_clip[m.clip]
        assert opts.cut_min - 1e-6 <= m.length <= opts.cut_max + 1e-6
        assert plan.start <= m.start and m.start + m.length <= plan.end + 1e-6
        assert m.start <= plan.peak <= m.start + m.length  # the peak is in the cut


def test_best_ten_in_time_order_numbered_up() -> None:
    opts = ReelOptions()
    reel = plan_reel(plans(), "Fail Friday", opts, recorded=RECORDED)
    assert reel is not None
    check_shape(reel, opts)
    ms = moments(reel)
    assert sorted(m.score for m in ms) == sorted(SCORES)[2:]  # the two weakest left out
    assert [m.number for m in ms] == list(range(1, 11))
    keys = [(RECORDED[m.source], m.start) for m in ms]
    assert keys == sorted(keys)  # b.mp4 (recorded first), then a.mp4, each in time
    assert reel.parts[0].caption == "Fail Friday"
    # Ten cuts of 6 s would make 2 + 60 + 2.5 - 11 x 0.3 = 61.2 s: each is cut to 5.88.
    assert reel.duration == pytest.approx(60.0, abs=0.01)
    assert {m.length for m in ms} == {5.88}


def test_score_order_is_a_countdown_ending_on_the_best() -> None:
    opts = ReelOptions(order="score", top=8)
    reel = plan_reel(plans(), "T", opts)
    assert reel is not None
    check_shape(reel, opts)
    ms = moments(reel)
    assert [m.number for m in ms] == list(range(8, 0, -1))
    assert [m.score for m in ms] == sorted(m.score for m in ms)
    assert ms[-1].score == max(SCORES)
    # The ending is the recovery shot of the best moment that has one (0.92 does).
    ending = reel.parts[-1]
    assert ending.score == 0.92 and ending.start == 31.0 and ending.caption == "fine 1"


def test_a_tight_limit_shortens_cuts_then_drops_the_weakest() -> None:
    opts = ReelOptions(max_length=30.0)
    reel = plan_reel(plans(), "T", opts)
    assert reel is not None
    check_shape(reel, opts)
    ms = moments(reel)
    assert all(m.length == pytest.approx(3.0, abs=0.2) for m in ms)
    assert sorted(m.score for m in ms) == sorted(SCORES)[-len(ms) :]
    assert 5 <= len(ms) < 10


def test_platform_limit_and_options_checked() -> None:
    assert ReelOptions.for_preset("stories", max_length=120).max_length == 60
    assert ReelOptions.for_preset("shorts", max_length=120).max_length == 120
    with pytest.raises(PresetError, match="did you mean 'score'"):
        plan_reel(plans(), "T", ReelOptions(order="scores"))
    with pytest.raises(PresetError):
        plan_reel(plans(), "T", ReelOptions(cut_min=7, cut_max=6))


def test_no_moments_no_reel() -> None:
    assert plan_reel([], "T") is None


def test_cut_around_stays_in_the_window() -> None:
    p = plans()[0]  # window 1-8.5 s, peak 3.5
    assert cut_around(p, 5.0, 0.4) == (1.5, 6.5)
    assert cut_around(p, 20.0, 0.4) == (1.0, 8.5)  # no more than the window
    early = ClipPlan(**{**p.to_dict(), "peak": 1.2})
    assert cut_around(early, 5.0, 0.4) == (1.0, 6.0)


def test_plan_is_data_and_deterministic() -> None:
    reel = plan_reel(plans(), default_title(date(2026, 12, 4)), recorded=RECORDED)
    assert reel is not None and reel.title == "Fail Friday, 4 December 2026"
    again = plan_reel(list(reversed(plans())), reel.title, recorded=RECORDED)
    assert again == reel  # the input's order does not matter
    text = json.dumps(reel.to_dict())
    assert ReelPlan.from_dict(json.loads(text)) == reel


def test_reel_timeline_for_editors() -> None:
    reel = plan_reel(plans(), "T", recorded=RECORDED)
    assert reel is not None
    tl = reel_timeline(reel, 30.0, "Fail Friday", (1080, 1920))
    assert len(tl.cuts) == len(reel.parts) - 1  # all but the title card
    assert tl.cuts[0].caption == "#1 " + moments(reel)[0].caption
    assert tl.cuts[-1].role == "ending"
    assert edl_text(tl).count("* FROM CLIP NAME:") == len(tl.cuts)
    assert not any(c.still for c in tl.cuts)
    # An ending that is one frame held is the timeline's freeze frame too.
    still = replace(reel, parts=(*reel.parts[:-1], replace(reel.parts[-1], still=True)))
    held = reel_timeline(still, 30.0, "Fail Friday", (1080, 1920))
    assert [c.still for c in held.cuts] == [False] * (len(held.cuts) - 1) + [True]


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 59.94])
def test_reel_cuts_end_on_the_frame_nearest_the_plan(fps: float) -> None:
    """Each cut's in and out on the frame nearest its part's start and end (independent
    EDL readers showed out points a frame off the plan when the length was rounded)."""
    reel = plan_reel(plans(), "T", recorded=RECORDED)
    assert reel is not None
    tl = reel_timeline(reel, fps, "Fail Friday", (1080, 1920))
    half = 1 / (2 * tl.rate)
    rec_in = 0
    for cut, part in zip(tl.cuts, [p for p in reel.parts if p.source], strict=True):
        assert abs(cut.src_in / tl.rate - Fraction(part.start)) <= half
        assert abs(cut.src_out / tl.rate - Fraction(part.start + part.length)) <= half
        assert cut.rec_in == rec_in  # each right after the last
        rec_in += cut.frames
