"""The span reader: RGB pictures of one stretch of a file, picked by time, for render.

ffmpeg makes the pictures (its filters cut the crop out, shrink, deinterlace and
tone-map, see ``clipkit.media.filters``) and pipes them as raw RGB; the reader keeps
the last one and moves forward through the pipe as the times asked for move on. It
picks the frame shown at a time the way moviepy's own reader does (the frame number
``int(fps * t)``, read forward, a new seek when asked to go back or far ahead), so a
clip's frames are the ones moviepy would have given.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np

from clipkit.errors import RenderError
from clipkit.media.ffmpeg import complaint, spawn

# A picture asked for this close to a file's end may be past its last one (frame times
# round, the sound runs longer): the last picture is held, and only earlier is it noted.
END_REPEAT = 0.5
# A jump forward of more than this many frames seeks instead of reading through them.
MAX_SKIP = 100
# ffmpeg prints 24000/1001 fps as "23.98": the rates so near x * 1000/1001 are that.
NTSC_BASES = (23, 24, 25, 30, 50)


def exact_rate(fps: float) -> float:
    """``fps`` as stated (29.97) made the exact rate it rounds (30000/1001)."""
    for x in NTSC_BASES:
        if fps != x and abs(fps - x * 1000.0 / 1001.0) < 0.01:
            fps = x * 1000.0 / 1001.0
    return fps


@dataclass(frozen=True)
class Source:
    """What the reader needs of a file: where, how fast and how long."""

    path: str
    fps: float  # as probe states it
    duration: float  # seconds


class SpanReader:
    """The pictures of ``source`` made by ffmpeg's ``filters`` (which end at ``size``).

    Nothing is decoded until ``open(t)``; ``get_frame(t)`` gives the picture shown at
    ``t`` s. ``dry_at`` is when the pictures ran out before the file's end (None if
    they did not)."""

    def __init__(self, source: Source, filters: str, size: tuple[int, int]) -> None:
        self.source = source
        self.filters = filters or "null"
        self.size = size
        self.fps = exact_rate(source.fps)
        self.proc: subprocess.Popen[bytes] | None = None
        self.pos = 0  # the frame the next read gives
        self.last_read: np.ndarray | None = None
        self.dry_at: float | None = None

    def frame_number(self, t: float) -> int:
        # (1e-5: a time n / fps computed as a hair under it is still frame n.)
        return int(self.fps * t + 0.00001)

    def args(self, start: float) -> list[str]:
        """ffmpeg's arguments for the pictures from frame ``pos`` (shown at ``start``)."""
        # The frame shown at t: ffmpeg's -ss skips frames before t, hence the epsilon;
        # the first -ss jumps (to the key frame before), the second decodes up to it.
        seek = ["-ss", f"{start - min(1.0, start):.06f}"] if start else []
        fine = ["-ss", f"{min(1.0, start):.06f}"] if start else []
        path = self.source.path
        name = "./" + path if path.startswith("-") else path
        return [
            *seek, "-i", name, *fine, "-loglevel", "error", "-f", "image2pipe",
            "-vf", self.filters, "-sws_flags", "bicubic", "-pix_fmt", "rgb24",
            "-vcodec", "rawvideo", "-",
        ]  # fmt: skip

    def open(self, t: float = 0.0) -> None:
        """Start reading at the picture shown at ``t`` s, and read it."""
        self.close()
        self.pos = self.frame_number(t)
        start = self.pos / self.fps - 0.00001 if self.pos else 0.0
        w, h = self.size
        # Often started by a helper thread that ends before it: then it ends on its own
        # when clipkit does, as its pipe to clipkit breaks.
        self.proc = spawn(self.args(start), bufsize=3 * w * h + 100, in_thread=True)
        self.last_read = self.read_frame()

    def read_frame(self) -> np.ndarray:
        """The next picture; past the last one, the last one again."""
        w, h = self.size
        assert self.proc is not None and self.proc.stdout is not None
        data = self.proc.stdout.read(3 * w * h)
        t, self.pos = self.pos / self.fps, self.pos + 1
        if len(data) == 3 * w * h:
            self.last_read = np.frombuffer(data, np.uint8).reshape(h, w, 3)
        elif self.last_read is None:
            raise RenderError(f"{self.source.path}: no picture at {t:.2f} s ({self._why()})")
        elif self.dry_at is None and t < self.source.duration - END_REPEAT:
            self.dry_at = t  # the clip's note says so; the last picture is held
        return self.last_read

    def get_frame(self, t: float) -> np.ndarray:
        """The picture shown at ``t`` s."""
        pos = self.frame_number(t) + 1  # where the reader is once it has read it
        if self.proc is None or pos < self.pos or pos > self.pos + MAX_SKIP:
            self.open(t)
        elif pos > self.pos:
            w, h = self.size
            assert self.proc.stdout is not None
            for _ in range(pos - self.pos - 1):  # read through to it
                self.proc.stdout.read(3 * w * h)
            self.pos = pos - 1
            self.read_frame()
        assert self.last_read is not None
        return self.last_read

    def _why(self) -> str:
        """ffmpeg's last complaint, once it has stopped."""
        assert self.proc is not None and self.proc.stderr is not None
        try:
            self.proc.wait(timeout=5)
            err = self.proc.stderr.read().decode("utf-8", "replace")
        except (subprocess.TimeoutExpired, OSError, ValueError):
            err = ""
        return complaint(err, "truncated or corrupt")

    def close(self) -> None:
        """Stop ffmpeg (the last picture is kept)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()
