"""Post text: the same per clip on every run, within the platform's limits, tags kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from clipkit.clips.plan import ClipPlan
from clipkit.errors import PresetError
from clipkit.posts.posttext import (
    ELLIPSIS,
    PLATFORM_LIMITS,
    Limits,
    PostStyle,
    clip_post,
    cut_at_word,
    fit,
    hashtags,
    reel_post,
    text_path,
    write_post,
)


def plan(peak: float = 12.5, source: str = "/footage/day1.mp4", caption: str = "Oops.") -> ClipPlan:
    return ClipPlan(source=source, index=1, start=max(0.0, peak - 3), end=peak + 4, peak=peak,
                    score=0.8, caption=caption, recovery_caption="Saved it.",
                    output="day1_01_reels.mp4", preset="reels")  # fmt: skip


def test_same_clip_same_text_wherever_its_folder_is() -> None:
    style = PostStyle()
    a = clip_post(plan(), style)
    assert a == clip_post(plan(), style)
    assert a == clip_post(replace(plan(source="/elsewhere/day1.mp4"), index=7), style)
    assert a.text.endswith(" ".join(f"#{t}" for t in ("kitchenfail", "cookingfail", "homecooking")))
    assert a.question in a.text and a.description in a.text


def test_clips_get_varied_templates_and_questions() -> None:
    posts = [clip_post(plan(peak=10 + 7.3 * i), PostStyle()) for i in range(30)]
    assert len({p.description for p in posts}) >= 3
    assert len({p.question for p in posts}) >= 3


def test_empty_caption_still_says_something() -> None:
    style = PostStyle(templates=("{caption}",))
    post = clip_post(plan(caption=""), style)
    assert post.description == "Kitchen chaos, 0:12 into the recording."


@pytest.mark.parametrize("platform", list(PLATFORM_LIMITS))
def test_long_text_is_cut_at_a_word_and_keeps_its_hashtags(platform: str) -> None:
    words = " ".join(f"word{i}" for i in range(3000))  # ~26,000 characters
    style = PostStyle(platform=platform, templates=("{caption}",))
    post = clip_post(plan(caption=words), style)
    limit = PLATFORM_LIMITS[platform].chars
    assert len(post.text) <= limit
    assert post.text.endswith("#kitchenfail #cookingfail #homecooking")
    assert post.question in post.text
    if len(words) > limit:
        assert post.description.endswith(ELLIPSIS)
        kept = post.description.removesuffix(ELLIPSIS)
        assert words.startswith(kept + " ")  # whole words only
        assert len(post.text) > limit - len("word2999") - 2  # and as many as fit


def test_x_limit_is_the_tightest() -> None:
    assert PLATFORM_LIMITS["x"].chars == 280
    assert PLATFORM_LIMITS["instagram"] == Limits(2200, 30)


def test_hashtags_are_cleaned_deduplicated_and_capped() -> None:
    assert hashtags(["#Kitchen Fail", "kitchenfail", "", "crème-brûlée", "#"], 10) == (
        "#KitchenFail",
        "#crèmebrûlée",
    )
    style = PostStyle(hashtags=tuple(f"tag{i}" for i in range(40)))
    assert len(clip_post(plan(), style).hashtags) == 30  # Instagram's limit
    assert len(clip_post(plan(), replace(style, platform="youtube")).hashtags) == 15


def test_hashtags_go_last_when_even_they_do_not_fit() -> None:
    tags = tuple(f"#tag{i}" for i in range(5))
    post = fit("A description here.", "A question?", tags, Limits(20, 30))
    assert post.text == "#tag0 #tag1 #tag2"
    assert fit("Short.", "Q?", (), Limits(10, 30)).text == "Short.\n\nQ?"


def test_cut_at_word() -> None:
    assert cut_at_word("one two three", 20) == "one two three"
    assert cut_at_word("one two three", 10) == "one two" + ELLIPSIS
    assert cut_at_word("one, two three", 8) == "one" + ELLIPSIS
    assert cut_at_word("onetwothree", 5) == ""


def test_style_from_preset_like_values() -> None:
    style = PostStyle.from_mapping({
        "post_platform": "tiktok",
        "post_hashtags": "#fail, cooking  #oops",
        "post_templates": "Look: {caption} | At {time}: {caption}",
        "post_max_chars": 100,
    })  # fmt: skip
    assert style.hashtags == ("#fail", "cooking", "#oops")
    assert style.templates == ("Look: {caption}", "At {time}: {caption}")
    assert style.limits == Limits(100, 30)
    assert PostStyle.for_preset("shorts").platform == "youtube"
    assert PostStyle.for_preset("my-own").platform == "instagram"


def test_bad_style_values_say_what_and_where() -> None:
    with pytest.raises(PresetError, match="did you mean 'x'|did you mean 'tiktok'"):
        PostStyle.from_mapping({"post_platform": "tiktak"})
    with pytest.raises(PresetError, match="did you mean 'post_hashtags'"):
        PostStyle.from_mapping({"post_hashtag": "a"})
    with pytest.raises(PresetError, match=r"'\{title\}' is not one of \{caption\}"):
        PostStyle.from_mapping({"post_templates": "{title}"})
    with pytest.raises(PresetError, match="is not one of"):
        PostStyle.from_mapping({"post_templates": "{caption.__class__}"})


def test_reel_post_counts_the_clips_and_is_deterministic() -> None:
    plans = [plan(peak=10.0 + i) for i in range(8)]
    post = reel_post(plans, PostStyle(), "Fail Friday 2026-12-04")
    assert post == reel_post(plans, PostStyle(), "Fail Friday 2026-12-04")
    assert "Fail Friday 2026-12-04" in post.description and "8" in post.description
    assert post.question.endswith("?") or post.question.endswith("!")


def test_written_beside_the_clip(tmp_path: Path) -> None:
    path = text_path(tmp_path / "day1_01_reels.mp4")
    assert path.name == "day1_01_reels.txt"
    post = clip_post(plan(), PostStyle())
    write_post(path, post)
    assert path.read_text(encoding="utf-8") == post.text + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["day1_01_reels.txt"]
