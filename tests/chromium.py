"""Load a page in headless Chromium and report which images and videos loaded."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

# Appended to a copy of the page: runs an async function's body and writes what it
# returns (as JSON) into the DOM, which --dump-dom then prints.
RUNNER = """
<script>
(async () => {
  let res;
  try { res = await (async () => { %s })(); } catch (e) { res = {error: String(e)}; }
  const out = document.createElement('pre');
  out.id = 'clipkit-check';
  out.textContent = JSON.stringify(res);
  document.body.appendChild(out);
})();
</script>
"""

# Waits for every image, video poster and video's metadata: [[url, loaded], ...].
MEDIA = """
  const img = (src, i) => new Promise(r => {
    if (i.complete) r([src, i.naturalWidth > 0]);
    else { i.onload = () => r([src, true]); i.onerror = () => r([src, false]); }
  });
  const imgs = [...document.images].map(i => img(i.src, i));
  const posters = [...document.querySelectorAll('video[poster]')].map(v => {
    const i = new Image(); i.src = v.poster; return img(v.poster, i);
  });
  const vids = [...document.querySelectorAll('video')].map(v => new Promise(r => {
    v.preload = 'metadata';
    v.onloadedmetadata = () => r([v.currentSrc || v.src, v.videoWidth > 0]);
    v.onerror = () => r([v.src, false]);
    v.load();
  }));
  return await Promise.all([...imgs, ...posters, ...vids]);
"""

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files",
]  # fmt: skip


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_in_page(page: Path, script: str) -> Any:
    """Open ``page`` in headless Chromium, run ``script`` (the body of an async function)
    in it once it has loaded, and return what the function returned (JSON)."""
    exe = chromium()
    assert exe, "chromium not installed"
    check = page.with_name("_clipkit_check.html")
    runner = RUNNER.replace("%s", script)
    check.write_text(page.read_text(encoding="utf-8").replace("</body>", runner + "</body>"))
    try:
        with tempfile.TemporaryDirectory() as profile:
            out = subprocess.run(
                [exe, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                 "--dump-dom", check.resolve().as_uri()],  # fmt: skip
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
    finally:
        check.unlink()
    m = re.search(r'<pre id="clipkit-check">(.*?)</pre>', out.stdout, re.S)
    assert m, f"the script did not run: {out.stderr[-500:]}"
    return json.loads(html.unescape(m.group(1)))


def loaded_media(page: Path) -> list[tuple[str, bool]]:
    """Every image, poster and video the page references, and whether it loaded."""
    return [(url, ok) for url, ok in run_in_page(page, MEDIA)]


def screenshot(page: Path, png: Path, size: str = "1100,1400") -> None:
    exe = chromium()
    assert exe
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
             f"--screenshot={png.resolve()}", "--hide-scrollbars", page.resolve().as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
