"""The review page: ``out/index.html``, opened from disk with no server.

Per source: a timeline picture of its motion and audio signals with the detected
moments marked (embedded as a data URI, so the page needs no extra files). Per
clip: its cover image, caption, score and a player (relative links to the clips
beside the page).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

import cv2
import numpy as np

from clipkit.manifest import ClipRecord, write_if_changed
from clipkit.signals import Signals

# Timeline picture size: wide enough to place a moment to about 0.1 s on a 60 s
# clip, short enough that a page of sources stays scannable.
TIMELINE_W, TIMELINE_H = 960, 120


def _trace(values: np.ndarray, t: np.ndarray, duration: float, h: int) -> np.ndarray:
    """One point per pixel column (the column's maximum), scaled to the 99th percentile.

    Drawing the per-column envelope instead of every sample keeps the picture
    readable and small: a 10-minute file has ~18,000 frames but 960 columns.
    """
    if values.size == 0:
        return np.zeros((0, 2), np.int32)
    v = np.nan_to_num(values.astype(np.float64))
    top = np.percentile(v, 99) or 1.0
    col = np.clip((t / max(duration, 1e-6) * (TIMELINE_W - 1)).astype(int), 0, TIMELINE_W - 1)
    env = np.full(TIMELINE_W, np.nan)
    np.fmax.at(env, col, v)
    xs = np.flatnonzero(~np.isnan(env))
    y = h - 1 - np.clip(env[xs] / top, 0, 1) * (h - 4)
    return np.stack([xs, y], axis=1).astype(np.int32)


def timeline_png(signals: Signals, moments: list[dict[str, Any]]) -> bytes:
    """A picture of motion (orange) and audio loudness (blue) with moments shaded."""
    img = np.full((TIMELINE_H, TIMELINE_W, 3), 250, np.uint8)
    d = max(signals.duration, 1e-6)
    for m in moments:
        x0, x1 = (int(m[k] / d * (TIMELINE_W - 1)) for k in ("start", "end"))
        img[:, x0 : x1 + 1] = (200, 230, 255)
        xp = int(m["peak"] / d * (TIMELINE_W - 1))
        cv2.line(img, (xp, 0), (xp, TIMELINE_H - 1), (0, 0, 200), 1)
    if signals.has_audio:
        rms = signals.audio_rms - np.min(signals.audio_rms)
        pts = _trace(rms, signals.audio_t, d, TIMELINE_H)
        cv2.polylines(img, [pts], False, (200, 120, 40), 1)
    pts = _trace(signals.motion, signals.t, d, TIMELINE_H)
    cv2.polylines(img, [pts], False, (0, 120, 255), 2)
    for s in range(0, int(d) + 1, 5 if d < 120 else 30):  # a tick every 5 s (30 s when long)
        x = int(s / d * (TIMELINE_W - 1))
        cv2.line(img, (x, TIMELINE_H - 6), (x, TIMELINE_H - 1), (90, 90, 90), 1)
    ok, buf = cv2.imencode(".png", img)
    return buf.tobytes() if ok else b""


def timeline_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


CSS = """
body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:2em;word-break:break-all}
.err{color:#b00} .timeline{width:100%;border:1px solid #ccc}
.clips{display:flex;flex-wrap:wrap;gap:1em}
.clip{width:300px;border:1px solid #ddd;padding:.5em;border-radius:6px;display:grid;
grid-template-columns:90px minmax(0,1fr);gap:.5em}
.clip img{width:90px;height:160px;object-fit:cover;background:#000}
.clip video{grid-column:1/3;width:100%;max-height:360px;background:#000}
.meta{color:#666;font-size:.85em;overflow-wrap:anywhere}
"""


def _url(rel: str) -> str:
    """A relative link that survives '#', '%' and spaces in file names."""
    return html.escape(quote(rel))


def _clip_html(r: ClipRecord) -> str:
    e = html.escape
    cover = (
        f'<img src="{_url(r.cover)}" alt="cover of {e(r.output)}">' if r.cover else "<span></span>"
    )
    return (
        f'<div class="clip">{cover}'
        f"<div><b>{e(r.caption)}</b>"
        f'<div class="meta">{e(r.output)}<br>{e(r.preset)} · score {r.score:.2f}<br>'
        f"source {r.start:.1f}-{r.end:.1f} s · {r.duration:.1f} s long</div></div>"
        f'<video controls preload="none" src="{_url(r.output)}"></video></div>'
    )


def render_page(sources: list[dict[str, Any]], records: list[ClipRecord]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>clipkit review</title>",
        f"<style>{CSS}</style></head><body><h1>clipkit review</h1>",
        f"<p>{len(sources)} source(s), {len(records)} clip(s).</p>",
    ]
    for src in sources:
        path = str(src.get("path"))
        parts.append(f"<h2>{e(path)}</h2>")
        if src.get("error"):
            parts.append(f'<p class="err">{e(str(src["error"]))}</p>')
            continue
        if src.get("timeline"):
            parts.append(
                f'<img class="timeline" alt="timeline of {e(path)}" src="{src["timeline"]}">'
            )
        moments = src.get("moments") or []
        parts.append(
            f"<p>{len(moments)} moment(s)"
            + "".join(
                f" · {m['peak']:.1f} s ({m['score']:.2f})"
                for m in sorted(moments, key=lambda m: m["peak"])
            )
            + "</p>"
        )
        clips = [r for r in records if r.source == path]
        parts.append('<div class="clips">' + "".join(map(_clip_html, clips)) + "</div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_review(out_dir: Path, sources: list[dict[str, Any]], records: list[ClipRecord]) -> Path:
    path = out_dir / "index.html"
    write_if_changed(path, render_page(sources, records))
    return path
