"""Load a page in headless Chromium and report which images and videos loaded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

# Appended to a copy of the page: waits for every image and video's metadata and
# writes [[url, loaded], ...] into the DOM, which --dump-dom then prints.
CHECKER = """
<script>
(async () => {
  const imgs = [...document.images].map(i => new Promise(r => {
    if (i.complete) r([i.src, i.naturalWidth > 0]);
    else { i.onload = () => r([i.src, true]); i.onerror = () => r([i.src, false]); }
  }));
  const vids = [...document.querySelectorAll('video')].map(v => new Promise(r => {
    v.preload = 'metadata';
    v.onloadedmetadata = () => r([v.currentSrc || v.src, v.videoWidth > 0]);
    v.onerror = () => r([v.src, false]);
    v.load();
  }));
  const res = await Promise.all([...imgs, ...vids]);
  const out = document.createElement('pre');
  out.id = 'clipkit-check';
  out.textContent = JSON.stringify(res);
  document.body.appendChild(out);
})();
</script>
"""

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files",
]  # fmt: skip


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def loaded_media(page: Path) -> list[tuple[str, bool]]:
    """Every image and video the page references, and whether it loaded."""
    exe = chromium()
    assert exe, "chromium not installed"
    check = page.with_name("_clipkit_check.html")
    check.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECKER + "</body>"))
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
    assert m, f"checker did not run: {out.stderr[-500:]}"
    return [(url, ok) for url, ok in json.loads(m.group(1).replace("&amp;", "&"))]


def screenshot(page: Path, png: Path, size: str = "1100,1400") -> None:
    exe = chromium()
    assert exe
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
             f"--screenshot={png.resolve()}", "--hide-scrollbars", page.resolve().as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
