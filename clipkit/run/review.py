"""The review page: ``out/index.html``, opened from disk with no server.

Per source: a timeline picture of its motion and audio signals (embedded as a data
URI, so the page needs no extra files) under a legend, over a time axis, with the
clips' windows and the candidates that detection turned down (faint, with the
reason). Per clip: its player (the cover as poster), cover, notes, a keep/drop
switch and its caption to edit; the page saves the kept clips as a plan file
(a download made in the page) that ``clipkit render`` takes.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import cv2
import numpy as np

from clipkit.analysis.signals import Signals
from clipkit.clips.plan import PLAN_VERSION
from clipkit.files import write_if_changed
from clipkit.run.manifest import ClipRecord, State

# Timeline picture size: wide enough to place a moment to about 0.1 s on a 60 s
# clip, short enough that a page of sources stays scannable.
TIMELINE_W, TIMELINE_H = 960, 120

# The picture's colours (BGR), named once: the legend shows the same ones (as CSS).
MOTION, SOUND = (0, 120, 255), (200, 120, 40)
MOMENT, PEAK = (200, 230, 255), (0, 0, 200)
TURNED_DOWN, TURNED_DOWN_PEAK = (236, 236, 236), (175, 175, 175)


def _css(bgr: tuple[int, int, int]) -> str:
    return "#{2:02x}{1:02x}{0:02x}".format(*bgr)


# Tick steps of the time axis (s): the first giving at most 10 ticks is used.
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def ticks(duration: float) -> list[int]:
    """Whole seconds to mark on a time axis ``duration`` s long (at most ~10)."""
    step = next((s for s in TICK_STEPS if duration / s <= 10), TICK_STEPS[-1])
    return list(range(0, int(duration) + 1, step))


def clock(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour): how players show a time."""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


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


def timeline_png(
    signals: Signals,
    moments: Sequence[dict[str, Any]],
    rejected: Sequence[dict[str, Any]] = (),
) -> bytes:
    """A picture of motion (orange) and audio loudness (blue) with the moments shaded
    (a red line at each peak), the turned-down candidates faint grey, and a light grid
    line at each tick of the page's time axis."""
    img = np.full((TIMELINE_H, TIMELINE_W, 3), 250, np.uint8)
    d = max(signals.duration, 1e-6)
    x = lambda t: int(min(max(t / d, 0.0), 1.0) * (TIMELINE_W - 1))  # noqa: E731
    for s in ticks(d):
        img[:, x(s)] = (228, 228, 228)
    for spans, band, line in ((rejected, TURNED_DOWN, TURNED_DOWN_PEAK), (moments, MOMENT, PEAK)):
        for m in spans:
            img[:, x(m["start"]) : x(m["end"]) + 1] = band
        for m in spans:
            cv2.line(img, (x(m["peak"]), 0), (x(m["peak"]), TIMELINE_H - 1), line, 1)
    if signals.has_audio:
        rms = signals.audio_rms - np.min(signals.audio_rms)
        pts = _trace(rms, signals.audio_t, d, TIMELINE_H)
        cv2.polylines(img, [pts], False, SOUND, 1)
    pts = _trace(signals.motion, signals.t, d, TIMELINE_H)
    cv2.polylines(img, [pts], False, MOTION, 2)
    ok, buf = cv2.imencode(".png", img)
    return buf.tobytes() if ok else b""


def timeline_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


CSS = f"""
body{{font:15px/1.4 system-ui,sans-serif;margin:0 auto 3em;max-width:1000px;color:#222;
padding:0 1em}}
h1{{font-size:1.4em;margin:.6em 0 .2em}} h2{{font-size:1.1em;margin-top:2em;word-break:break-all}}
.bar{{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #ddd;
padding:.5em 0}}
.bar button{{font:inherit;padding:.25em .8em;margin-right:.5em;cursor:pointer}}
.hint{{color:#555;font-size:.85em}} .hint code{{background:#f3f3f3;padding:0 .3em}}
.err{{color:#b00}} .warn{{color:#a55a00}}
.legend{{font-size:.8em;color:#444;margin:.3em 0}}
.legend span.sw{{display:inline-block;width:1.6em;height:.8em;margin:0 .3em 0 1em;
vertical-align:middle;border:1px solid #bbb}}
.legend span.sw:first-child{{margin-left:0}}
.sw.motion{{background:{_css(MOTION)};height:3px!important;border:0!important}}
.sw.sound{{background:{_css(SOUND)};height:1px!important;border:0!important}}
.sw.moment{{background:{_css(MOMENT)};border-left:2px solid {_css(PEAK)}!important}}
.sw.turned{{background:{_css(TURNED_DOWN)};
border-left:2px solid {_css(TURNED_DOWN_PEAK)}!important}}
.sw.window{{background:#2a6;height:.5em!important;border:0!important}}
.tl{{position:relative}}
.timeline{{display:block;width:100%;border:1px solid #ccc;box-sizing:border-box}}
.lane{{position:relative;height:1.3em;margin-top:2px}}
.lane a{{position:absolute;top:0;height:1.1em;background:#2a6;color:#fff;font-size:.75em;
line-height:1.1em;text-decoration:none;border-radius:2px;padding-left:2px;overflow:hidden;
box-sizing:border-box;min-width:1.4em}}
.lane a.dropped{{background:#bbb}}
.axis{{position:relative;height:1.4em;border-top:1px solid #999;font-size:.75em;color:#555}}
.axis span{{position:absolute;top:0;transform:translateX(-50%);padding-top:3px}}
.axis span::before{{content:"";position:absolute;left:50%;top:-1px;height:4px;
border-left:1px solid #999}}
.axis span:first-child{{transform:none}} .axis span:first-child::before{{left:0}}
.axis span.end{{transform:translateX(-100%)}} .axis span.end::before{{left:auto;right:0}}
.turned{{font-size:.8em;color:#888;margin:.3em 0}}
.turned ul{{margin:.2em 0;padding-left:1.4em}}
.clips{{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}}
.clip,.reel{{width:300px;border:1px solid #ddd;padding:.5em;border-radius:6px;
scroll-margin-top:7em}}
.reel .head{{margin-bottom:.2em}}
.reel video{{display:block;width:auto;height:auto;max-width:100%;max-height:400px;
margin:.4em auto;background:#000}}
h2 small{{font-weight:normal;color:#888;font-size:.75em;margin-left:.5em}}
.clip.dropped{{opacity:.45;background:#f6f6f6}}
.clip .head{{display:flex;justify-content:space-between;align-items:center;gap:.5em}}
.clip video{{display:block;width:auto;height:auto;max-width:100%;max-height:400px;
margin:.4em auto;background:#000}}
.clip .cover{{float:right;width:auto;height:auto;max-width:96px;max-height:96px;
margin:0 0 .3em .5em;border:1px solid #ccc}}
.clip .still{{display:block;max-width:100%;max-height:240px;margin:.4em auto;
border:1px solid #ccc}}
.clip textarea{{width:100%;box-sizing:border-box;font:inherit;resize:vertical}}
.clip.edited textarea{{background:#fffbe6;border-color:#e0b000}}
.meta{{color:#666;font-size:.85em;overflow-wrap:anywhere}}
.notes{{margin:.3em 0 0;padding-left:1.2em;font-size:.85em;color:#a55a00;clear:both}}
"""


def _url(rel: str) -> str:
    """A relative link that survives '#', '%' and spaces in file names."""
    return html.escape(quote(rel))


def _pct(t: float, duration: float) -> str:
    return f"{100.0 * min(max(t / duration, 0.0), 1.0):.2f}%"


def _anchor(r: ClipRecord) -> str:
    return "clip-" + quote(r.output, safe="")


def plan_of(r: ClipRecord) -> dict[str, Any]:
    """The clip's plan as ``clipkit render`` reads it (``ClipPlan.to_dict``), its files
    named as the record names them (relative to the output folder: the page makes them
    whole from its own location when it saves). It carries the source's fingerprint,
    so that ``clipkit render`` of the saved plan still refuses a changed source."""
    return r.to_plan().to_dict()


def _notes(r: ClipRecord) -> list[str]:
    """The clip's notes, one per item (the renderer joins its own with '; ')."""
    parts = [p.strip() for n in r.notes for p in n.split("; ")]
    if r.recovery is None and r.recovery_note:
        parts.insert(0, r.recovery_note)
    return [p for p in dict.fromkeys(parts) if p]


def _size(out_dir: Path | None, rel: str | None) -> str:
    """width/height attributes of a picture in the output folder, so the browser gives it
    its own aspect before it loads ("" when it cannot be read)."""
    if out_dir is None or not rel:
        return ""
    try:
        from PIL import Image

        with Image.open(out_dir / rel) as im:
            w, h = im.size
    except (OSError, ValueError):
        return ""
    return f' width="{w}" height="{h}"'


def _player(r: ClipRecord, size: str) -> str:
    """The clip's or reel's video, its cover as the poster (``size``: its attributes)."""
    poster = f' poster="{_url(r.cover)}"' if r.cover else ""
    return f'<video controls preload="none"{poster}{size} src="{_url(r.output)}"></video>'


def _notes_html(r: ClipRecord) -> str:
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in _notes(r))
    return f'<ul class="notes">{notes}</ul>' if notes else ""


def _clip_html(r: ClipRecord, out_dir: Path | None) -> str:
    e = html.escape
    size = _size(out_dir, r.cover)
    cover = (
        f'<img class="cover" src="{_url(r.cover)}"{size} alt="cover of {e(r.output)}">'
        if r.cover
        else ""
    )
    if r.recovery:
        rec = f"recovery shot {r.recovery[0]:.1f}-{r.recovery[1]:.1f} s"
        if r.recovery_source and Path(r.recovery_source).name != Path(r.source).name:
            rec += f" of {e(Path(r.recovery_source).name)}"
        rec += f": “{e(r.recovery_caption)}”" if r.recovery_caption else ""
    else:  # its note says why, in the list below
        rec = "" if r.recovery_note else '<span class="warn">no recovery shot</span>'
    return (
        f'<div class="clip" id="{_anchor(r)}" data-output="{e(r.output)}" '
        f'data-preset="{e(r.preset)}">'
        f'<div class="head"><b>#{r.index} · {e(r.preset)}</b>'
        f'<label><input type="checkbox" class="keep" checked> keep</label></div>'
        f"{_player(r, size)}{cover}"
        f'<div class="meta">{e(r.output)}<br>score {r.score:.2f} · '
        f"{clock(r.start)}-{clock(r.end)} of the source ({r.start:.1f}-{r.end:.1f} s) · "
        f"{r.duration:.1f} s long{'<br>' + rec if rec else ''}</div>"
        f'<label class="meta" style="clear:both;display:block">caption'
        f'<textarea class="caption" rows="2">{e(r.caption)}</textarea></label>'
        + _extras_html(r)
        + _notes_html(r)
        + "</div>"
    )


def _extras_html(r: ClipRecord) -> str:
    """The clip's before/after still, and links to its post text and timelines."""
    e, extras = html.escape, r.extras
    still = extras.get("still")
    img = (
        f'<a href="{_url(still)}"><img class="still" src="{_url(still)}" loading="lazy" '
        f'alt="before and after of {e(r.output)}"></a>'
        if still
        else ""
    )
    names = {"text": "post text", "otio": "OTIO", "fcpxml": "FCPXML", "edl": "EDL"}
    links = " · ".join(
        f'<a href="{_url(extras[k])}">{n}</a>' for k, n in names.items() if k in extras
    )
    return img + (f'<div class="meta extras">{links}</div>' if links else "")


def _legend(has_turned_down: bool) -> str:
    items = [
        ("motion", "motion"),
        ("sound", "sound loudness"),
        ("moment", "moment found (red: its peak)"),
        ("window", "a clip's window (its number)"),
    ]
    if has_turned_down:
        items.append(("turned", "turned down (see below)"))
    return (
        '<div class="legend">'
        + "".join(f'<span class="sw {c}"></span>{t}' for c, t in items)
        + "</div>"
    )


def _timeline_html(src: dict[str, Any], clips: list[ClipRecord]) -> str:
    e = html.escape
    path, duration = str(src.get("path")), float(src.get("duration") or 0.0)
    rejected = src.get("rejected") or []
    parts = [_legend(bool(rejected)), '<div class="tl">']
    if src.get("timeline"):
        parts.append(f'<img class="timeline" alt="timeline of {e(path)}" src="{src["timeline"]}">')
    if duration > 0:
        lane = []
        for r in sorted(clips, key=lambda r: r.start):
            width = _pct(r.end - r.start, duration)
            lane.append(
                f'<a href="#{_anchor(r)}" data-output="{e(r.output)}" style="left:'
                f'{_pct(r.start, duration)};width:{width}" title="clip #{r.index} ({e(r.preset)})'
                f': {r.start:.1f}-{r.end:.1f} s">{r.index}</a>'
            )
        parts.append(f'<div class="lane">{"".join(lane)}</div>')
        # A label at the right end is set to the left of its tick, not past the edge.
        end = ' class="end"'
        labels = "".join(
            f'<span{end if s > 0.97 * duration else ""} style="left:{_pct(s, duration)}">'
            f"{clock(s)}</span>"
            for s in ticks(duration)
        )
        parts.append(f'<div class="axis" title="time in the source (m:ss)">{labels}</div>')
    parts.append("</div>")
    if rejected:
        items = "".join(
            f"<li>{clock(m['peak'])} ({m['start']:.1f}-{m['end']:.1f} s, score "
            f"{m['score']:.2f}): {e(str(m['why']))}</li>"
            for m in sorted(rejected, key=lambda m: m["peak"])
        )
        parts.append(
            f'<details class="turned" {"open" if len(rejected) <= 6 else ""}><summary>'
            f"{len(rejected)} candidate(s) turned down</summary><ul>{items}</ul></details>"
        )
    return "".join(parts)


# The page's own code: keep/drop, caption edits, and saving the plan of the kept
# clips per preset as a download (a Blob: no server). Plans name the source files
# relative to the output folder; the page makes them whole from its own location,
# so the saved file renders from wherever it is put (and after the folder moves).
SCRIPT = """
(() => {
  const data = JSON.parse(document.getElementById('clipkit-plans').textContent);
  const cards = () => [...document.querySelectorAll('.clip')];
  const whole = (p) => {
    if (!p) return p;
    p = p.replace(/\\\\/g, '/');
    if (p.startsWith('/') || /^[A-Za-z]:\\//.test(p)) return p;
    const url = new URL(p.split('/').map(encodeURIComponent).join('/'), location.href);
    const abs = decodeURIComponent(url.pathname);
    return /^\\/[A-Za-z]:\\//.test(abs) ? abs.slice(1) : abs;
  };
  const update = () => {
    for (const c of cards()) {
      const keep = c.querySelector('.keep').checked;
      c.classList.toggle('dropped', !keep);
      const cap = c.querySelector('.caption').value;
      c.classList.toggle('edited', cap !== data.clips[c.dataset.output].caption);
      for (const a of document.querySelectorAll('.lane a'))
        if (a.dataset.output === c.dataset.output) a.classList.toggle('dropped', !keep);
    }
    for (const b of document.querySelectorAll('button.save')) {
      const mine = cards().filter(c => c.dataset.preset === b.dataset.preset);
      const kept = mine.filter(c => c.querySelector('.keep').checked).length;
      b.textContent = `Save plan: ${b.dataset.preset} (${kept} of ${mine.length} clips)`;
    }
  };
  const plan = (preset) => ({
    version: data.version,
    clips: cards()
      .filter(c => c.dataset.preset === preset && c.querySelector('.keep').checked)
      .map(c => Object.assign({}, data.clips[c.dataset.output], {
        source: whole(data.clips[c.dataset.output].source),
        recovery_source: whole(data.clips[c.dataset.output].recovery_source),
        caption: c.querySelector('.caption').value,
      })),
  });
  const save = (preset) => {
    const text = JSON.stringify(plan(preset), null, 2) + '\\n';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], {type: 'application/json'}));
    a.download = `plan-${preset}.json`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    const folder = whole('.');
    document.getElementById('saved').textContent =
      `Saved ${a.download}. Render the kept clips with: clipkit render ${a.download} ` +
      `-p ${preset} -o NEW_FOLDER (or -o ${folder}: unchanged clips are up to date there, ` +
      `but a dropped clip's file goes only when its video still has a kept clip)`;
  };
  document.addEventListener('change', update);
  document.addEventListener('input', update);
  for (const b of document.querySelectorAll('button.save'))
    b.addEventListener('click', () => save(b.dataset.preset));
  update();
})();
"""


def _plans_json(records: list[ClipRecord]) -> str:
    doc = {"version": PLAN_VERSION, "clips": {r.output: plan_of(r) for r in records}}
    # "<" escaped: no caption can end the script element early.
    return json.dumps(doc, ensure_ascii=False).replace("<", "\\u003c")


def _reel_html(r: ClipRecord, out_dir: Path | None) -> str:
    """A reel: its video, title, length, moments and what was made beside it."""
    e = html.escape
    return (
        f'<div class="reel" data-output="{e(r.output)}">'
        f'<div class="head"><b>{e(r.caption)}</b></div>'
        f"{_player(r, _size(out_dir, r.cover))}"
        f'<div class="meta">{e(r.output)} · {e(r.preset)}<br>{r.index} moment(s) · '
        f"{r.duration:.1f} s long · best score {r.score:.2f}</div>"
        + _extras_html(r)
        + _notes_html(r)
        + "</div>"
    )


def render_page(
    sources: list[dict[str, Any]],
    records: list[ClipRecord],
    out_dir: Path | None = None,
    reels: Sequence[ClipRecord] = (),
) -> str:
    """The page's HTML; ``out_dir`` (the page's folder) is where covers are measured;
    ``reels``: the compilation reels made in the folder (clipkit.run.reel), shown first."""
    e = html.escape
    presets = list(dict.fromkeys(r.preset for r in records))
    buttons = "".join(
        f'<button class="save" data-preset="{e(p)}">Save plan: {e(p)}</button>' for p in presets
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>clipkit review</title>",
        f"<style>{CSS}</style></head><body>",
        f'<div class="bar"><h1>clipkit review</h1>'
        f"<div>{len(sources)} source(s), {len(records)} clip(s)"
        f"{f', {len(reels)} reel(s)' if reels else ''}. {buttons}</div>"
        f'<div class="hint" id="saved">Untick the clips to drop, fix captions, then save '
        f"the plan and render it with <code>clipkit render</code>.</div></div>",
    ]
    if reels:
        parts.append("<h2>Reels</h2>")
        parts.append(
            '<div class="clips">' + "".join(_reel_html(r, out_dir) for r in reels) + "</div>"
        )
    for src in sources:
        path = str(src.get("path"))
        name = PurePosixPath(path.replace("\\", "/")).name  # a Windows path too
        parts.append(f"<h2>{e(name)}<small>{e(path)}</small></h2>")
        if src.get("error"):
            parts.append(f'<p class="err">{e(str(src["error"]))}</p>')
            continue
        clips = [r for r in records if r.source == path]
        parts.append(_timeline_html(src, clips))
        moments = src.get("moments") or []
        parts.append(
            f"<p>{len(moments)} moment(s)"
            + "".join(
                f" · {clock(m['peak'])} = {m['peak']:.1f} s (score {m['score']:.2f})"
                for m in sorted(moments, key=lambda m: m["peak"])
            )
            + "</p>"
        )
        parts += [f'<p class="warn">{e(str(n))}</p>' for n in src.get("notes") or []]
        parts.append(
            '<div class="clips">' + "".join(_clip_html(r, out_dir) for r in clips) + "</div>"
        )
    parts += [
        f'<script type="application/json" id="clipkit-plans">{_plans_json(records)}</script>',
        f"<script>{SCRIPT}</script>",
        "</body></html>\n",
    ]
    return "\n".join(parts)


def write_review_of(state: State) -> Path:
    """The review page of everything the output folder's manifest records."""
    return write_review(state.out_dir, state.sources(), state.records(), state.reels())


def write_review(
    out_dir: Path,
    sources: list[dict[str, Any]],
    records: list[ClipRecord],
    reels: Sequence[ClipRecord] = (),
) -> Path:
    path = out_dir / "index.html"
    write_if_changed(path, render_page(sources, records, out_dir, reels))
    return path
