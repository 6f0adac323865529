"""Burned-in captions: wrap text into the safe zone, draw it with an outline, blend it.

Drawn once per clip with Pillow in the font clipkit ships, so any text the font
covers works (é ñ ü ß ç ...) whatever the system has installed. The image is
cropped to the pixels actually drawn, and the layout shrinks the font until
the text fits the safe zone, so nothing is ever cut off. Blending touches only
the caption's own bounding box of each frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from clipkit.clips.presets import Preset, font_file
from clipkit.errors import PresetError

# Smallest size the layout may shrink a caption to, as a fraction of the preset's.
MIN_SCALE = 0.5
# Each shrinking step, as a fraction of the current size.
SHRINK = 0.9
# What ends a caption cut short.
ELLIPSIS = "\u2026"
# Space between lines, as a fraction of the font size.
LINE_GAP = 0.15

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in frame pixels


def safe_box(preset: Preset, width: int, height: int) -> Box:
    """The part of a width x height frame where captions may go."""
    return (
        round(width * preset.safe_left),
        round(height * preset.safe_top),
        round(width * (1 - preset.safe_right)),
        round(height * (1 - preset.safe_bottom)),
    )


@lru_cache(maxsize=32)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A font shipped in clipkit.fonts by file name, or a font file path."""
    try:
        path = font_file(name)  # presets check it when they are read
        return ImageFont.truetype(path, size)
    except (ValueError, OSError) as e:
        raise PresetError(f"caption_font: {e}") from None


def _wrap_words(words: list[str], font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and font.getlength(f"{lines[-1]} {word}") <= max_w:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _break_long(line: str, font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    """Split a word wider than the box by characters (the last resort)."""
    out = [""]
    for ch in line:
        if out[-1] and font.getlength(out[-1] + ch) > max_w:
            out.append("")
        out[-1] += ch
    return out


def _shorten(line: str, font: ImageFont.FreeTypeFont, max_w: float) -> str:
    """``line`` cut short with an ellipsis so that it fits ``max_w``."""
    while line and font.getlength(line.rstrip() + ELLIPSIS) > max_w:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def wrap(text: str, preset: Preset, box: Box, frame_h: int) -> tuple[list[str], int]:
    """Lines and font size that fit ``box``: shrink first, then break words, and at most
    ``caption_max_lines`` lines (a caption still too long then ends in an ellipsis).
    A line break typed in the caption is kept."""
    size = max(8, round(preset.caption_size * frame_h))
    paragraphs = [p.split() for p in text.splitlines() if p.strip()]
    max_w = box[2] - box[0]
    most = preset.caption_max_lines
    while True:
        font = load_font(preset.caption_font, size)
        pad = 2 * _stroke(preset, size)
        lines = [ln for words in paragraphs for ln in _wrap_words(words, font, max_w - pad)]
        fits = all(font.getlength(ln) <= max_w - pad for ln in lines)
        if fits and len(lines) <= most:
            return lines, size
        if size * SHRINK < preset.caption_size * frame_h * MIN_SCALE:
            broken = [part for ln in lines for part in _break_long(ln, font, max_w - pad)]
            if len(broken) > most:
                broken = broken[: most - 1] + [_shorten(broken[most - 1], font, max_w - pad)]
            return broken, size
        size = round(size * SHRINK)


def _stroke(preset: Preset, size: int) -> int:
    return round(preset.caption_outline * size)


@dataclass(frozen=True)
class Caption:
    """A drawn caption and where it goes; ``blend`` puts it on a frame in place."""

    x: int
    y: int
    rgba: np.ndarray  # h x w x 4, cropped to the drawn pixels
    rgb: np.ndarray  # h x w x 3 uint8, contiguous
    weight: np.ndarray  # h x w float32: alpha / 255
    inv_weight: np.ndarray  # h x w float32: 1 - weight
    cut_short: bool = False  # too long for caption_max_lines: it ends in an ellipsis
    left_out: str = ""  # characters the font has no glyph for (emoji, say)

    @property
    def box(self) -> Box:
        h, w = self.rgba.shape[:2]
        return self.x, self.y, self.x + w, self.y + h

    def blend(self, frame: np.ndarray) -> np.ndarray:
        """Alpha-blend onto ``frame`` (h x w x 3 uint8, writable) in place; return it."""
        x0, y0, x1, y1 = self.box
        roi = frame[y0:y1, x0:x1]
        # One SIMD pass: rgb * weight + roi * (1 - weight), ~7x numpy's uint16 maths.
        roi[...] = cv2.blendLinear(self.rgb, roi, self.weight, self.inv_weight)
        return frame


def draw_text(lines: list[str], preset: Preset, size: int) -> Image.Image:
    """The lines, centred, with an outline, on a transparent image cropped to the ink."""
    pad = _stroke(preset, size) + size // 4  # room for accents above and tails below
    while True:
        img = _draw(lines, preset, size, pad)
        bbox = img.getchannel("A").getbbox()
        if not bbox:
            return img.crop((0, 0, 1, 1))
        if bbox[0] > 0 and bbox[1] > 0 and bbox[2] < img.width and bbox[3] < img.height:
            return img.crop(bbox)
        pad *= 2  # the ink reached the edge: something may be cut off, draw again


def _draw(lines: list[str], preset: Preset, size: int, pad: int) -> Image.Image:
    font = load_font(preset.caption_font, size)
    stroke = _stroke(preset, size)
    ascent, descent = font.getmetrics()
    step = ascent + descent + round(LINE_GAP * size)
    width = max(round(font.getlength(ln)) for ln in lines) + 2 * pad
    img = Image.new("RGBA", (width, step * len(lines) + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    fill = ImageColor.getrgb(preset.caption_color)
    outline = ImageColor.getrgb(preset.caption_outline_color)
    for i, line in enumerate(lines):
        draw.text(
            (width / 2, pad + i * step),
            line,
            font=font,
            anchor="ma",
            fill=fill,
            stroke_width=stroke,
            stroke_fill=outline,
        )
    return img


def _even(v: int, lo: int, hi: int) -> int:
    """``v`` moved to an even number (the 4:2:0 chroma grid) within lo..hi if possible."""
    for c in (v + v % 2, v - v % 2):
        if lo <= c <= hi:
            return c
    return v


# Joiners and variation selectors only shape the emoji around them (which the shipped
# font does not have); drawn alone they are boxes.
SHAPING = {"\u200d", *map(chr, range(0xFE00, 0xFE10))}


def not_in_font(text: str, font_name: str) -> str:
    """The characters of ``text`` the font has no glyph for (e.g. emoji), each once: drawn,
    they would be empty boxes."""
    font = load_font(font_name, 32)
    box = np.asarray(font.getmask("\U0010fffd"))  # a code point no font draws

    def missing(ch: str) -> bool:
        mask = np.asarray(font.getmask(ch))
        return mask.shape == box.shape and bool((mask == box).all())

    chars = dict.fromkeys(ch for ch in text if not ch.isspace() and ch not in SHAPING)
    return "".join(ch for ch in chars if missing(ch))


def layout(text: str, preset: Preset, width: int, height: int) -> Caption | None:
    """The caption for ``text`` on a width x height frame, or None for no text. Characters
    the font lacks are left out (``Caption.left_out`` says which)."""
    left_out = not_in_font(text, preset.caption_font)
    if left_out:
        text = "".join(ch for ch in text if ch not in left_out and ch not in SHAPING)
    if not text.strip():
        return None
    box = safe_box(preset, width, height)
    lines, size = wrap(text, preset, box, height)
    img = draw_text(lines, preset, size)
    if img.width > box[2] - box[0] or img.height > box[3] - box[1]:
        # Still too big (a very long caption): scale the drawing down to fit.
        k = min((box[2] - box[0]) / img.width, (box[3] - box[1]) / img.height)
        img = img.resize(
            (max(1, int(img.width * k)), max(1, int(img.height * k))), Image.Resampling.LANCZOS
        )
    x = box[0] + (box[2] - box[0] - img.width) // 2
    y = {
        "top": box[1],
        "bottom": box[3] - img.height,
        "center": (box[1] + box[3] - img.height) // 2,
    }[preset.caption_position]
    x, y = _even(x, box[0], box[2] - img.width), _even(y, box[1], box[3] - img.height)
    rgba = np.asarray(img, dtype=np.uint8)
    weight = rgba[:, :, 3].astype(np.float32) / 255
    return Caption(
        x=x,
        y=y,
        rgba=rgba,
        rgb=np.ascontiguousarray(rgba[:, :, :3]),
        weight=weight,
        inv_weight=1 - weight,
        # (a word broken across lines is still all there)
        cut_short="".join("".join(lines).split()) != "".join(text.split()),
        left_out=left_out,
    )
