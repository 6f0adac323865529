"""Caption lines: the same clip gets the same words on every run, a batch repeats no line
while its pool lasts, Fail Friday counts over the batch, a lesson is said, an explicit
caption wins, every built-in line fits every built-in preset's safe zone."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from clipkit.clips.captions import layout, safe_box
from clipkit.clips.plan import ClipPlan, load_plans, save_plans, word_plans
from clipkit.clips.presets import list_presets, load_preset, validate_preset_file
from clipkit.clips.wording import LESSON, MISHAP, RECOVERY, STYLES, Words, choose_lines
from clipkit.errors import InputError, PresetError


def _batch(n: int, style: str = "humor", lesson: str = "") -> list[Words]:
    """``n`` clips over three sources, in no particular order."""
    clips = [Words(f"footage/day{i % 3}.mp4", 4.0 + 7.5 * i, style, lesson) for i in range(n)]
    random.Random(n).shuffle(clips)
    return clips


@pytest.mark.parametrize("style", ["humor", "question", "friday"])
def test_the_same_clip_gets_the_same_words_on_every_run(style: str) -> None:
    clips = _batch(5, style)
    first = choose_lines(clips)
    again = choose_lines(list(reversed(clips)))  # workers finish in any order
    assert first == again
    # ...and whichever folder the footage was read from.
    moved = [replace(w, source="/elsewhere/" + Path(w.source).name) for w in clips]
    assert [first[w] for w in clips] == [choose_lines(moved)[m] for m in moved]


def test_clips_get_different_words_from_their_hash() -> None:
    """Not every batch starts at the pool's first line: the pick hangs on the clip."""
    firsts = {choose_lines([Words(f"f{i}.mp4", 3.0)])[Words(f"f{i}.mp4", 3.0)] for i in range(12)}
    assert len(firsts) >= 4


@pytest.mark.parametrize("style", ["humor", "question", "lesson", "friday"])
def test_no_line_repeats_in_a_batch_while_the_pool_lasts(style: str) -> None:
    mishap, recovery = MISHAP[style], RECOVERY[style]
    n = max(len(mishap), len(recovery))
    lines = choose_lines(_batch(n, style))
    ordered = sorted(lines, key=Words.order)
    got_r = [lines[w][1] for w in ordered]
    assert len(set(got_r[: len(recovery)])) == len(recovery)  # every line once...
    assert set(got_r) == set(recovery)  # ...then a new round
    got_m = [lines[w][0] for w in ordered][: len(mishap)]
    if style == "friday":  # numbered, so the text differs anyway: compare the lines
        got_m = [m.replace(f"#{i}", "#{n}") for i, m in enumerate(got_m, 1)]
    assert len(set(got_m)) == len(mishap)


def test_fail_friday_counts_over_the_batch_in_order() -> None:
    clips = _batch(7, "friday")
    lines = choose_lines(clips)
    ordered = sorted(clips, key=lambda w: (Path(w.source).name, w.peak))
    for n, w in enumerate(ordered, 1):
        assert lines[w][0].startswith(f"Fail Friday #{n}"), (n, lines[w])
    # One moment planned for two presets is one clip: it is counted once.
    twice = choose_lines([*clips, clips[0]])
    assert twice == lines


def test_a_lesson_is_said() -> None:
    w = Words("a.mp4", 5.0, "lesson", "  never leave the pan alone ")
    mishap, recovery = choose_lines([w])[w]
    assert mishap == "Lesson learned: never leave the pan alone"
    assert recovery in RECOVERY["lesson"]
    plain = Words("a.mp4", 5.0, "lesson")  # no lesson given: the style's own lines
    assert choose_lines([plain])[plain][0] in MISHAP["lesson"]


def _plan(source: str, peak: float, **kw: object) -> ClipPlan:
    values: dict[str, object] = dict(
        source=source, index=1, start=peak - 2, end=peak + 3, peak=peak, score=0.5,
        caption=None, recovery_caption=None, output="a.mp4", preset="reels",
        recovery_source=source, recovery_start=20.0, recovery_end=22.5,
    )  # fmt: skip
    values.update(kw)
    return ClipPlan(**values)  # type: ignore[arg-type]


def test_plans_are_worded_by_style_and_an_explicit_caption_wins() -> None:
    reels = load_preset("reels")
    plans = [_plan("a.mp4", 5.0), _plan("b.mp4", 9.0, caption="My own words")]
    got = word_plans(plans, reels, caption_style="question")
    assert got[0].caption in MISHAP["question"] and got[0].recovery_caption in RECOVERY["question"]
    assert got[0].caption_style == "question"
    assert got[1].caption == "My own words"  # a person's caption is kept
    assert got[1].recovery_caption in RECOVERY["question"]
    # --caption (a template) wins over the style's lines, and may hold the line.
    mine = word_plans(plans[:1], reels, caption="{line} #kitchenfail", caption_style="friday")
    caption = mine[0].caption
    assert caption is not None
    assert caption.startswith("Fail Friday #1") and caption.endswith(" #kitchenfail")
    taught = word_plans(plans[:1], reels, lesson="dry the pan first")  # --lesson alone
    assert taught[0].caption == "Lesson learned: dry the pan first"
    fixed = word_plans(plans[:1], reels, caption="Oops at {time}")
    assert fixed[0].caption == "Oops at 0:05"
    # The preset's style when none is given; no recovery shot, no recovery caption.
    bare = word_plans([_plan("a.mp4", 5.0, recovery_source=None, recovery_start=None)], reels)
    assert bare[0].caption in MISHAP[reels.caption_style] and bare[0].recovery_caption == ""


def test_a_plan_file_without_captions_gets_its_style_and_lesson(tmp_path: Path) -> None:
    f = tmp_path / "plan.yaml"
    save_plans(f, [_plan(str(tmp_path / "a.mp4"), 5.0, caption="x", recovery_caption="y")])
    doc = yaml.safe_load(f.read_text())
    del doc["clips"][0]["caption"], doc["clips"][0]["recovery_caption"]
    doc["clips"][0].update(caption_style="lesson", lesson="salt the water")
    f.write_text(yaml.safe_dump(doc))
    plan = load_plans(f)[0]
    assert plan.caption is None and plan.recovery_caption is None
    got = word_plans([plan], load_preset("reels"))[0]
    assert got.caption == LESSON.format(lesson="salt the water")
    assert got.recovery_caption in RECOVERY["lesson"]


def test_a_plan_naming_an_unknown_style_is_one_line_with_a_suggestion(tmp_path: Path) -> None:
    f = tmp_path / "plan.yaml"
    save_plans(f, [_plan(str(tmp_path / "a.mp4"), 5.0, caption="x", caption_style="humor")])
    f.write_text(f.read_text().replace("caption_style: humor", "caption_style: humour"))
    with pytest.raises(InputError) as e:
        load_plans(f)
    msg = str(e.value)
    assert msg == (
        f"{f}: clip 1: 'caption_style' 'humour' is not one of humor, question, lesson, "
        "friday (did you mean 'humor'?)"
    )


def test_a_preset_naming_an_unknown_style_is_one_line_with_a_suggestion(
    tmp_path: Path,
) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text("extends: reels\ncaption_style: frday\n")
    with pytest.raises(PresetError) as e:
        validate_preset_file(f)
    assert str(e.value) == (
        f"{f}: line 2: 'caption_style' 'frday' is not one of humor, question, lesson, "
        "friday (did you mean 'friday'?)"
    )
    f.write_text("caption_style: lesson\n")
    assert validate_preset_file(f).caption_style == "lesson"


@pytest.mark.parametrize("name", list_presets())
def test_every_line_fits_the_safe_zone_of_every_preset(name: str) -> None:
    preset = load_preset(name)
    w, h = preset.size
    x0, y0, x1, y1 = safe_box(preset, w, h)
    long_lesson = LESSON.format(lesson="never leave hot oil alone, not even for a second")
    texts = [long_lesson]
    for style in STYLES:
        texts += [t.replace("{n}", "123") for t in MISHAP[style] + RECOVERY[style]]
    for text in texts:
        cap = layout(text, preset, w, h)
        assert cap is not None
        assert not cap.cut_short, (name, text)
        bx0, by0, bx1, by1 = cap.box
        assert x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1, (name, text, cap.box)
