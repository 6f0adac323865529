"""Captions: inside the safe zone, never clipped, any text the shipped font covers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from clipkit.clips.captions import (
    _stroke,
    draw_text,
    layout,
    load_font,
    not_in_font,
    safe_box,
    wrap,
)
from clipkit.clips.presets import list_presets, load_preset

TEXTS = [
    "Oops!",
    "Crème brûlée: señor Müller heißt François, ça glisse!",
    "Wait for it... the whole pot of pasta goes everywhere, and then the dog arrives too",
    "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen",
    "ÉÇÑÜ gjpqy ß",
]


@pytest.mark.parametrize("name", list_presets())
def test_caption_box_inside_safe_zone(name: str) -> None:
    preset = load_preset(name)
    w, h = preset.size
    x0, y0, x1, y1 = safe_box(preset, w, h)
    for text in TEXTS:
        cap = layout(text, preset, w, h)
        assert cap is not None
        cx0, cy0, cx1, cy1 = cap.box
        assert x0 <= cx0 < cx1 <= x1 and y0 <= cy0 < cy1 <= y1, (text, cap.box)
        assert cap.rgba[:, :, 3].any()


def _ink_size(line: str, font_name: str, size: int, stroke: int) -> tuple[int, int]:
    """Ink size of ``line`` drawn on a canvas far larger than it could need."""
    font = load_font(font_name, size)
    img = Image.new("L", (size * (len(line) + 4), size * 4), 0)
    ImageDraw.Draw(img).text(
        (size * 2, size), line, font=font, fill=255, stroke_width=stroke, stroke_fill=255
    )
    bbox = img.getbbox()
    assert bbox is not None
    x0, y0, x1, y1 = bbox
    return x1 - x0, y1 - y0


@pytest.mark.parametrize("text", ["ÉÇÑÜ gjpqy ß", "Ça glisse, señor", "Å ÿ Ê fjord"])
def test_text_is_never_clipped(text: str) -> None:
    preset = load_preset("reels")
    lines, size = wrap(text, preset, safe_box(preset, 1080, 1920), 1920)
    stroke = _stroke(preset, size)
    for line in lines:
        drawn = draw_text([line], preset, size)
        want = _ink_size(line, preset.caption_font, size, stroke)
        # Within a pixel: the caption is drawn at a sub-pixel position (centred).
        assert abs(drawn.width - want[0]) <= 1 and abs(drawn.height - want[1]) <= 1


def test_font_covers_accented_letters() -> None:
    font = load_font("DejaVuSans-Bold.ttf", 40)
    missing = np.asarray(font.getmask("\ue000"))  # a private-use code point: no glyph
    for ch in "éñüßçÉÑÜÇ":
        glyph = np.asarray(font.getmask(ch))
        assert glyph.any() and (glyph.shape != missing.shape or (glyph != missing).any()), ch


def test_long_caption_shrinks_then_is_cut_short_at_max_lines() -> None:
    preset = load_preset("reels")
    box = safe_box(preset, 1080, 1920)
    lines, size = wrap(TEXTS[1], preset, box, 1920)
    assert len(lines) <= preset.caption_max_lines and size < preset.caption_size * 1920
    assert " ".join(lines) == TEXTS[1]  # it fits once smaller: nothing lost
    assert layout(TEXTS[1], preset, 1080, 1920).cut_short is False  # type: ignore[union-attr]
    lines, size = wrap(TEXTS[2] * 4, preset, box, 1920)
    font, room = load_font(preset.caption_font, size), box[2] - box[0] - 2 * _stroke(preset, size)
    assert len(lines) == preset.caption_max_lines and lines[-1].endswith("\u2026")
    assert all(font.getlength(ln) <= room for ln in lines)
    assert layout(TEXTS[2] * 4, preset, 1080, 1920).cut_short  # type: ignore[union-attr]
    assert not layout(TEXTS[3], preset, 1080, 1920).cut_short  # type: ignore[union-attr]


def test_a_line_break_typed_in_a_caption_is_kept() -> None:
    preset = load_preset("reels")
    lines, _ = wrap("Oops!\n  \nIt fell", preset, safe_box(preset, 1080, 1920), 1920)
    assert lines == ["Oops!", "It fell"]


def test_blend_only_touches_the_box() -> None:
    preset = load_preset("square")
    cap = layout("Ça glisse", preset, 1080, 1080)
    assert cap is not None
    frame = np.full((1080, 1080, 3), 90, np.uint8)
    cap.blend(frame)
    x0, y0, x1, y1 = cap.box
    outside = frame.copy()
    outside[y0:y1, x0:x1] = 90
    assert (outside == 90).all()
    opaque = cap.rgba[:, :, 3] == 255
    assert (frame[y0:y1, x0:x1][opaque] == cap.rgba[:, :, :3][opaque]).all()
    assert layout("   ", preset, 1080, 1080) is None


def test_characters_the_font_lacks_are_left_out_and_said() -> None:
    preset = load_preset("reels")
    assert not_in_font("Crème brûlée ❤ 100%", preset.caption_font) == ""
    with_emoji = layout(
        "Oops \U0001f373\U0001f95a\u200d egg down! \u2764\ufe0f", preset, 1080, 1920
    )
    plain = layout("Oops  egg down! \u2764", preset, 1080, 1920)
    assert with_emoji is not None and plain is not None
    assert with_emoji.left_out == "\U0001f373\U0001f95a"
    # No empty boxes: drawn exactly as the text without them.
    assert with_emoji.rgba.shape == plain.rgba.shape and (with_emoji.rgba == plain.rgba).all()
