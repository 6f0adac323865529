"""Streaming decode through ffmpeg pipes: small grey frames with their own timestamps,
and mono audio in chunks.

This is the only place (with probe) that runs a decoder over the footage. Nothing here
holds more than one frame or one audio chunk at a time, so memory does not grow with the
length of the footage.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import io
import itertools
import os
import re
import subprocess
import threading
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: pipes keep their size
    fcntl = None  # type: ignore[assignment]

from clipkit.media.ffmpeg import ffmpeg_exe, spawn
from clipkit.media.filters import deinterlace_filter, tone_map_filter
from clipkit.media.mp4 import SAMPLE_SEED, SLICE_TYPES, avc_track, non_reference, picture_refs
from clipkit.media.probe import VideoInfo
from clipkit.options import default_jobs

# Largest analysed picture, in pixels: 320x180 (a 16:9 frame 320 px wide). Motion of a
# falling mug or a coin still covers a few dozen pixels there, while the per-frame work
# in numpy/OpenCV stays well under a millisecond. Smaller footage is kept at native size.
MAX_ANALYSIS_PIXELS = 320 * 180
# Non-reference frames (no other frame is predicted from them) are not decoded when at
# least this many frames per second of footage are left to analyse, on average over the
# file. (Encoders vary their share with the content: on x264's defaults it swings
# between 0 and 50 % from one stretch to the next.) Most 25-30 fps footage with B-frames
# has about half of them non-reference and keeps every frame.
MIN_ANALYSED_FPS = 20.0
# For H.264 the share is counted from the slice headers of a random sample of the
# stream's pictures, not decoded: a quarter of them, but at least 600 (all of a short
# file). Read where an MP4/MOV sample table says they are, that costs about 0.02 s a
# minute of footage; through an ffmpeg stream copy, about 1 % of the decoding time.
# A sampled share is taken two standard errors high, so that sampling error rarely tips
# a file under MIN_ANALYSED_FPS.
# (Changing how the share is counted changes the analysis: bump ANALYSIS_VERSION.)
SCAN_ALL = 600
SCAN_SAMPLE = 0.25
# Footage whose first 2 seconds hold no non-reference picture (phones record without
# B-frames) is not counted further: nothing is skipped, and the count is saved.
SCAN_HEAD = 2.0
# Other codecs are not counted: they are assumed to have three frames in four
# non-reference (three B-frames between references, none of them referenced), so they
# skip only from 80 fps on.
ASSUMED_NONREF_SHARE = 0.75
# Everything that decides which frames are skipped, for keys of cached analyses: the
# outcome follows from the file's content and this rule (working it out reads the file).
SKIP_RULE = (MIN_ANALYSED_FPS, ASSUMED_NONREF_SHARE, SCAN_ALL, SCAN_SAMPLE, SCAN_HEAD, SAMPLE_SEED)
# Audio is analysed mono at 8 kHz: impacts, clatter and shouts have most of their onset
# energy below 4 kHz, and a low rate keeps the audio pass cheap.
AUDIO_RATE = 8000
# One audio chunk read from the pipe: one second of s16 mono samples.
AUDIO_CHUNK_BYTES = AUDIO_RATE * 2
# Frames the video pipe can hold, and the most a pipe may be widened to (Linux's
# default /proc/sys/fs/pipe-max-size for unprivileged processes).
PIPE_FRAMES = 8
PIPE_MAX = 1 << 20
# Lines of ffmpeg's stderr kept for error messages.
STDERR_TAIL = 20

# Footage is decoded in two halves side by side (one ffmpeg each, half the threads each)
# when it runs at least this long. ffmpeg's frame threads wait on each other's rows:
# with a quarter of the pictures skipped 1.8 of 2 cores were busy, and two halves took
# 5-7 % less wall time for 1-3 % more CPU time. Without B-frames (phones) every
# picture waits on the one before: two frame threads took 1.6 % more CPU than one, and
# on cores shared with other work (one of them descheduled stalls the other) 40 % more
# wall time than two halves, which cost 0.7 % less CPU than the two threads (bench
# files, 8 runs each). Shorter footage gains less than the second process costs to start.
SPLIT_MIN_DURATION = 20.0
# ...and only in containers whose index times every frame (MP4/MOV, Matroska/WebM),
# where the second half, read after a seek, keeps the times one pass gives it. After a
# seek in MPEG-TS, MPEG-PS or AVI, ffmpeg offsets the times differently (12 ms in a TS
# file here), and the halves would not meet.
SPLIT_CONTAINERS = ("mov", "matroska")

# ffmpeg's lines that say the stream itself is damaged (with -loglevel level+info an
# error is tagged "[error]"; the words are those of the decoders' own messages)...
_DAMAGE = re.compile(
    rb"\[(?:error|fatal)\]|corrupt|conceal|damaged|error while decoding|invalid nal", re.I
)
# ...and its lines that are not about the stream: information (which names the file,
# whatever its name says), the pipe to clipkit closed early, the muxer's time stamps.
_NOT_DAMAGE = re.compile(
    rb"\[(?:info|verbose|debug|trace)\]|pipe|muxer|error (?:writing|muxing|closing)"
    rb"|conversion failed",
    re.I,
)

# showinfo's line for each frame: its time and (not printed by every ffmpeg) key flag.
_PTS = re.compile(rb"n:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.e+-]+)(?:[^\n]*?iskey:(\d))?")


@dataclass(frozen=True)
class DecodePlan:
    """How the footage is decoded: analysed size and whether non-reference frames are skipped."""

    width: int
    height: int
    skip_noref: bool
    # HDR footage is analysed tone-mapped, as it is shown: read as it is, an HLG copy of
    # a sample read 13.5 % off its SDR copy's motion (8.5 % tone-mapped), and darker.
    tone_map: str = ""
    # Interlaced footage is made whole pictures first: its fields' combs would read as
    # motion all over the picture.
    deinterlace: str = ""


def analysed_size(info: VideoInfo) -> tuple[int, int]:
    """The analysed picture size: aspect kept, even sides, at most MAX_ANALYSIS_PIXELS."""
    w, h = info.width, info.height
    scale = min(1.0, (MAX_ANALYSIS_PIXELS / float(w * h)) ** 0.5)
    if scale < 1.0:
        w = max(2, int(round(w * scale / 2)) * 2)
        h = max(2, int(round(h * scale / 2)) * 2)
    return w, h


def plan_decode(info: VideoInfo) -> DecodePlan:
    """Pick the analysed size and whether non-reference frames are skipped. (For H.264
    this reads the file's packets once; see ``count_pictures``.)"""
    w, h = analysed_size(info)
    skip = info.fps * (1 - ASSUMED_NONREF_SHARE) >= MIN_ANALYSED_FPS
    if info.codec == "h264" and info.fps >= MIN_ANALYSED_FPS:
        head = max(1, round(SCAN_HEAD * info.fps))
        _, nonref = count_pictures(info.path, 1.0, info.size_bytes, info.mtime_ns, head)
        skip = nonref > 0 and analysed_rate(info) >= MIN_ANALYSED_FPS
    return DecodePlan(
        width=w, height=h, skip_noref=skip, tone_map=tone_map_filter(info),
        deinterlace=deinterlace_filter(info),
    )  # fmt: skip


def analysed_rate(info: VideoInfo) -> float:
    """Frames per second of footage left when the non-reference pictures of an H.264 file
    are skipped, from a count of its pictures (0 when they cannot be counted)."""
    packets = max(1.0, info.fps * info.duration)
    keep = round(max(SCAN_SAMPLE, min(1.0, SCAN_ALL / packets)), 3)
    pictures, nonref = count_pictures(info.path, keep, info.size_bytes, info.mtime_ns)
    if not pictures:
        return 0.0
    share = nonref / pictures
    if keep < 1.0:
        share += 2.0 * (share * (1.0 - share) / pictures) ** 0.5
    # The counted rate, where the stated one is off: probe already prefers a container's
    # base rate to a guessed average, but a base rate can be off too (a stream with
    # dropped or repeated timestamps), and the pictures are what gets decoded.
    rate = min(info.fps, pictures / keep / max(info.duration, 1e-3))
    return rate * (1.0 - share)


@functools.lru_cache(maxsize=64)
def count_pictures(
    path: str, keep: float = 1.0, size: int = 0, mtime_ns: int = 0, packets: int = 0
) -> tuple[int, int]:
    """Pictures and non-reference pictures in a random ``keep`` share of the H.264 video
    packets of ``path`` (the same ones on every run), or in its first ``packets`` when
    that is not 0; (0, 0) when they cannot be read. Only each picture's first NAL header
    is looked at: read where the sample table says it is (MP4/MOV), or else from the
    packets copied (not decoded) by ffmpeg. ``size`` and ``mtime_ns`` key the cache, so
    a file changed in place is counted again."""
    track = avc_track(path)
    if track is None:
        return _count_copied(path, keep, packets)
    try:
        return picture_refs(path, track, keep, packets)
    except OSError:  # gone or unreadable since: ffmpeg will say so when it decodes
        return 0, 0


def _count_copied(path: str, keep: float, packets: int) -> tuple[int, int]:
    """``count_pictures`` on the packets ffmpeg copies out as Annex B. An ffmpeg without
    the noise filter's ``drop`` (before 5.0) counts them all."""
    sample = ["-bsf:v", f"noise=amount=0:drop=gte(random(0)\\,{keep:g})"] if keep < 1 else []
    head = ["-frames:v", str(packets)] if packets else []
    args = [
        "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
        "-map", "0:V:0", "-c", "copy", *sample, *head, "-f", "h264", "pipe:1",
    ]  # fmt: skip
    with spawn(args, stderr=subprocess.DEVNULL) as proc:
        out = proc.stdout
        assert out is not None
        _widen_pipe(out.fileno(), PIPE_MAX)
        counts = h264_picture_refs(iter(lambda: out.read(1 << 20), b""))
    if proc.returncode == 0:
        return counts
    return _count_copied(path, 1.0, packets) if keep < 1 else (0, 0)


def h264_picture_refs(pieces: Iterable[bytes]) -> tuple[int, int]:
    """Pictures and non-reference pictures in an Annex B H.264 stream read in pieces."""
    pictures = nonref = 0
    carry = b""
    for piece in pieces:
        buf = carry + piece
        p, n = _picture_refs(buf)
        pictures, nonref = pictures + p, nonref + n
        # A start code in the last 4 bytes was not counted: its header may be cut off.
        carry = buf[-4:]
    return pictures, nonref


def _picture_refs(stream: bytes) -> tuple[int, int]:
    """Pictures and non-reference pictures in a piece of an Annex B H.264 stream, from
    the NAL header of each picture's first slice: nal_ref_idc 0 means no other picture
    is predicted from it. Start codes in the last 4 bytes are left for the next piece."""
    pictures = nonref = 0
    end = len(stream) - 4
    i = stream.find(b"\x00\x00\x01")
    while 0 <= i < end:
        head, first = stream[i + 3], stream[i + 4]
        # Slices (SLICE_TYPES) whose first_mb_in_slice is 0 (ue(v) coded as a
        # single 1 bit) start a picture.
        if head & 0x1F in SLICE_TYPES and first & 0x80:
            pictures += 1
            nonref += non_reference(head)
        i = stream.find(b"\x00\x00\x01", i + 3)
    return pictures, nonref


def split_point(info: VideoInfo, plan: DecodePlan) -> float | None:
    """Where the second of two halves decoded side by side starts (seconds), or None
    when the footage is decoded in one go (see SPLIT_MIN_DURATION)."""
    if info.container.split(",")[0] not in SPLIT_CONTAINERS:
        return None
    if default_jobs() < 2 or info.duration < SPLIT_MIN_DURATION:
        return None
    return round(info.duration / 2, 3)


def split_threads() -> tuple[int, int]:
    """Decoder threads for the head and the tail of a split decode."""
    n = default_jobs()
    return n - n // 2, n // 2


def _video_cmd(
    path: str, plan: DecodePlan, start: float | None = None, threads: int | None = None
) -> list[str]:
    skip = ["-skip_frame", "noref"] if plan.skip_noref else []
    # From ``start``: from the key frame at or before it (a seek without decoding the
    # frames in between); its times then count from ``start``.
    seek = ["-ss", f"{start:.6f}", "-noaccurate_seek"] if start is not None else []
    # Scaled down first: tone mapping the analysed size costs next to nothing.
    tone = f"{plan.tone_map}," if plan.tone_map else ""
    # Whole pictures first: scaled down, the fields would blend into one another.
    deint = f"{plan.deinterlace}," if plan.deinterlace else ""
    vf = f"{deint}scale={plan.width}:{plan.height}:flags=area,{tone}format=gray,showinfo=checksum=0"
    return [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "level+info",
        # One decoder thread per core this process may use: ffmpeg's own default, one
        # more than that, costs more CPU for frame threading and is no faster.
        "-threads", str(threads or default_jobs()), "-skip_loop_filter", "all", *skip,
        *seek, "-i", path, "-map", "0:V:0", "-an", "-sn", "-dn", "-vf", vf,
        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
    ]  # fmt: skip


def _widen_pipe(fd: int, size: int) -> None:
    """Let the pipe hold a few frames, so ffmpeg and the reader wake each other once per
    frame or less instead of for every 64 KiB page (that ping-pong cost ffmpeg ~15 %
    more CPU). Linux only; elsewhere, or over the system limit, the pipe stays as it is."""
    if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, PIPE_MAX))


class FrameReader:
    """Iterate ``(pts_seconds, grey_frame)`` from one ffmpeg process.

    Frame times come from ffmpeg's ``showinfo`` filter on the small frames, so variable
    frame rate footage reports its true presentation times. With ``start``, frames come
    from the first key frame at or before it (earlier ones, if a seek lands short of a
    key frame, are left out), with the same times as when read from the beginning.
    Leaving the loop early stops ffmpeg.
    """

    def __init__(
        self,
        info: VideoInfo,
        plan: DecodePlan,
        start: float | None = None,
        threads: int | None = None,
    ) -> None:
        self.info = info
        self.plan = plan
        self.start = start
        self.threads = threads
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
        self.returncode: int | None = None
        self._frames: list[tuple[float, bool]] = []  # time and key flag, from showinfo
        # About when (the time of a frame decoded near it) ffmpeg found the stream damaged.
        self._damage: list[float] = []
        self._done = False
        self._ready = threading.Condition()

    def _read_stderr(self, fd: int) -> None:
        """Collect frame times from showinfo's lines, in blocks (cheap per frame)."""
        pending = b""
        while chunk := os.read(fd, 1 << 16):
            block, _, pending = (pending + chunk).rpartition(b"\n")
            found = _PTS.findall(block)
            for line in block.split(b"\n"):
                if line and b"showinfo" not in line:
                    self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())
                    if self._damaged(line):
                        self._damage.append(self._last_time(found))
            if found:
                with self._ready:
                    self._frames.extend((float(t), k != b"0") for t, k in found)
                    self._ready.notify()
        with self._ready:
            self._done = True
            self._ready.notify()

    def _damaged(self, line: bytes) -> bool:
        """Whether ``line`` says the stream is damaged. (Before the first key frame of a
        reader started after a seek, a decoder may miss pictures the seek skipped.)"""
        if not _DAMAGE.search(line) or _NOT_DAMAGE.search(line):
            return False
        return self.start is None or any(key for _, key in self._frames)

    def _last_time(self, found: list[tuple[bytes, bytes]]) -> float:
        """The time of the last frame reported (decoders run a few frames ahead of
        what they report, so a complaint's time is only about right)."""
        if found:
            return float(found[-1][0])
        return self._frames[-1][0] if self._frames else 0.0

    def damage(self) -> list[float]:
        """About when ffmpeg found the stream damaged, in seconds (in order, repeated
        for each complaint); empty for a stream that decoded cleanly."""
        return [t + (self.start or 0.0) for t in self._damage]

    def _frame_of(self, n: int) -> tuple[float, bool] | None:
        """The time and key flag of frame ``n``, waiting for ffmpeg to report them."""
        if len(self._frames) > n:  # reported already (the list only grows): no lock
            return self._frames[n]
        with self._ready:
            self._ready.wait_for(lambda: len(self._frames) > n or self._done, timeout=60)
            return self._frames[n] if len(self._frames) > n else None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        size = self.plan.width * self.plan.height
        cmd = _video_cmd(self.info.path, self.plan, self.start, self.threads)
        # Iterated to its end by the thread that started it: killed with clipkit.
        proc = spawn(cmd[1:], exe=cmd[0], bufsize=0)
        assert proc.stdout is not None and proc.stderr is not None
        _widen_pipe(proc.stdout.fileno(), PIPE_FRAMES * size)
        reader = threading.Thread(target=self._read_stderr, args=(proc.stderr.fileno(),))
        reader.daemon = True
        reader.start()
        stdout = typing.cast(io.RawIOBase, proc.stdout)  # unbuffered (bufsize=0)
        offset = self.start or 0.0
        keyed = self.start is None
        finished = False
        try:
            buf = bytearray(size)
            view = memoryview(buf)
            for n in itertools.count():
                got = 0
                while got < size:
                    k = stdout.readinto(view[got:])
                    if not k:
                        break
                    got += k
                meta = self._frame_of(n) if got == size else None
                if meta is None:
                    finished = True
                    break
                keyed = keyed or meta[1]
                if keyed:
                    frame = np.frombuffer(buf, np.uint8).reshape(self.plan.height, self.plan.width)
                    yield meta[0] + offset, frame
        finally:
            if not finished:
                proc.kill()
            proc.stdout.close()
            self.returncode = proc.wait()
            reader.join(timeout=5)

    def problem(self) -> str:
        """The most telling line of ffmpeg's complaints, for an error message."""
        for line in reversed(self.stderr_tail):
            low = line.lower()
            if any(w in low for w in ("error", "invalid", "truncat", "partial", "not found")):
                return _untagged(line)
        return _untagged(self.stderr_tail[-1]) if self.stderr_tail else "no frames decoded"


def _untagged(line: str) -> str:
    """ffmpeg's line without the "[h264 @ 0x..]" and "[error]" tags in front."""
    return re.sub(r"^(\[[^]]*\] ?)+", "", line.strip()).strip()


def audio_chunks(path: str) -> Iterator[np.ndarray]:
    """Yield the first audio stream as mono float32 chunks (about 1 s each) in -1..1."""
    args = [
        "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(AUDIO_RATE),
        "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    proc = spawn(args, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    try:
        while True:
            data = proc.stdout.read(AUDIO_CHUNK_BYTES)
            if not data:
                break
            n = len(data) // 2
            yield np.frombuffer(data[: n * 2], np.int16).astype(np.float32) / 32768.0
    finally:
        proc.stdout.close()
        proc.wait()
