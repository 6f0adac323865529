"""What a file really is: duration, frame rate, size after rotation, audio or not.

Read from ``ffmpeg -i`` (no ffprobe needed). Bad or unreadable input fails here,
with the file's name in the message.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from clipkit.errors import InputError
from clipkit.media.ffmpeg import complaint, run_ffmpeg


@dataclass(frozen=True)
class VideoInfo:
    """A source file's facts, as later stages need them."""

    path: str
    duration: float  # seconds
    fps: float  # nominal frame rate (average for variable-rate footage)
    width: int  # as displayed: after rotation, and in square pixels
    height: int
    rotation: int  # degrees clockwise the player turns the coded picture: 0, 90, 180, 270
    codec: str
    pix_fmt: str
    has_audio: bool
    audio_rate: int  # Hz, 0 without audio
    audio_channels: int
    variable_fps: bool  # the container's average rate differs from its base rate
    size_bytes: int
    mtime_ns: int
    container: str = ""  # ffmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    matrix: str = ""  # YUV matrix tag as ffmpeg names it ("bt709", "bt2020nc"); "" untagged
    pixel_aspect: float = 1.0  # width of a coded pixel over its height (1: square)
    transfer: str = ""  # transfer tag ("bt709", "arib-std-b67" = HLG, "smpte2084" = PQ)
    # How the fields of a frame are stored, as ffprobe names it: "progressive", or "tt",
    # "bb", "tb", "bt" for interlaced video (MPEG-2, MTS); "" when the stream does not say.
    field_order: str = ""
    # When it was recorded, as the container says (ISO 8601, "" when it does not say).
    creation_time: str = ""

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def interlaced(self) -> bool:
        return self.field_order in FIELD_ORDERS.values()

    @property
    def recorded(self) -> float:
        """When it was recorded, in seconds since the epoch: the container's creation
        time, else the file's modification time."""
        return recorded_time(self.creation_time, self.mtime_ns)

    @property
    def hdr(self) -> str:
        """ "HLG" or "PQ" for high-dynamic-range footage (phones record HLG), else ""."""
        return HDR_TRANSFERS.get(self.transfer, "")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


# ffmpeg's words for an interlaced stream's field order, and ffprobe's names for them.
FIELD_ORDERS = {
    "top first": "tt",
    "bottom first": "bb",
    "top coded first": "tb",  # (swapped)
    "bottom coded first": "bt",
}


def recorded_time(creation_time: str, mtime_ns: int) -> float:
    """Seconds since the epoch of an ISO 8601 ``creation_time`` (UTC when it has no zone),
    else of the modification time ``mtime_ns``."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(creation_time.replace("Z", "+00:00"))
    except ValueError:
        return mtime_ns / 1e9
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    # A camera without a clock writes 1904 or 1970: no recording time, then.
    return when.timestamp() if when.year > 1970 else mtime_ns / 1e9


# Transfer tags of high-dynamic-range video, by the name a user knows them by.
HDR_TRANSFERS = {"arib-std-b67": "HLG", "smpte2084": "PQ"}

_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+[^:]*: (Video|Audio): (.*)$")
_SIZE = re.compile(r"(?<![\w])(\d{2,5})x(\d{2,5})(?![\w])")
# The stream's pixel shape, then the container's where it sets one (MOV pasp, MKV
# display size): "1440x1080 [SAR 1:1 DAR 4:3], ..., SAR 4:3 DAR 16:9". The last counts.
_SAR = re.compile(r"(?:\[|, )SAR (\d+):(\d+) DAR")
_FPS = re.compile(r"([\d.]+)(k?) fps")
_TBR = re.compile(r"([\d.]+)(k?) tbr")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_AUDIO_RATE = re.compile(r"(\d+) Hz")
_INPUT = re.compile(r"^Input #0, (\S+), from ", re.M)
_TIME = re.compile(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)")
# The first creation_time ffmpeg prints is the container's (the streams' follow).
_CREATED = re.compile(r"^\s*creation_time\s*:\s*(\S+)", re.M)
# The pixel format's details: "yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67, progressive)".
_PIX_DETAILS = re.compile(r", (?:yuv|nv|p0|gbr)\w*\(([^)]*)\)")
# Ranges, scan types and chroma locations, which share those brackets with the colour
# tags (as do field orders: "top first", "bottom coded first (swapped)").
_NOT_COLOUR = {
    "tv",
    "pc",
    "progressive",
    "left",
    "center",
    "topleft",
    "top",
    "bottomleft",
    "bottom",
}


def _rate(m: re.Match[str] | None) -> float:
    if not m:
        return 0.0
    return float(m.group(1)) * (1000.0 if m.group(2) else 1.0)


def _channels(desc: str) -> int:
    for name, n in (("mono", 1), ("stereo", 2), ("5.1", 6), ("7.1", 8), ("quad", 4)):
        if f", {name}" in desc:
            return n
    m = re.search(r"(\d+) channels", desc)
    return int(m.group(1)) if m else 2


def _colour(desc: str) -> tuple[str, str]:
    """(matrix, transfer) tags of a video stream's description; "" where untagged.

    ffmpeg prints "matrix/primaries/transfer", or one name when all three agree."""
    m = _PIX_DETAILS.search(desc)
    for part in m.group(1).split(", ") if m else []:
        if part in _NOT_COLOUR or " first" in part:
            continue
        names = [n if n != "unknown" else "" for n in part.split("/")]
        return names[0], names[-1]
    return "", ""


def _field_order(desc: str) -> str:
    """The field order of a video stream's description (see VideoInfo.field_order)."""
    m = _PIX_DETAILS.search(desc)
    for part in m.group(1).split(", ") if m else []:
        part = part.split(" (")[0]  # "bottom coded first (swapped)"
        if part == "progressive" or part in FIELD_ORDERS:
            return FIELD_ORDERS.get(part, part)
    return ""


def _scan_duration(path: str) -> float:
    """Duration by reading the packets, for containers that do not state it."""
    out = run_ffmpeg(["-i", path, "-map", "0:V:0", "-c", "copy", "-f", "null", "-"])
    times = _TIME.findall(out.stderr.decode("utf-8", "replace"))
    if not times:
        return 0.0
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file of data")


def _readable(p: str) -> os.stat_result:
    """The file's stat, or InputError saying why it is no video to read."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror})") from None
    if Path(p).is_dir():
        raise InputError(f"{p}: is a folder, not a video file")
    if not stat.S_ISREG(st.st_mode):  # never opened: reading a FIFO or a device blocks
        raise InputError(f"{p}: not a regular file ({_file_kind(st.st_mode)}), not a video file")
    if st.st_size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    if not os.access(p, os.R_OK):
        raise InputError(f"{p}: permission denied")
    return st


def _streams(err: str, p: str) -> tuple[str, str, str | None]:
    """The first video stream's description and its side data lines, and the first audio
    stream's description (None without sound), from ``ffmpeg -i``'s ``err``."""
    video: str | None = None
    video_tail: list[str] = []
    audio: str | None = None
    lines = err.splitlines()
    for i, line in enumerate(lines):
        m = _STREAM.match(line)
        if not m:
            continue
        kind, desc = m.groups()
        if kind == "Video" and video is None and "attached pic" not in desc:
            video = desc
            # Side data (rotation) follows on the stream's indented lines.
            for nxt in lines[i + 1 :]:
                if _STREAM.match(nxt) or not nxt.startswith("    "):
                    break
                video_tail.append(nxt)
        elif kind == "Audio" and audio is None:
            audio = desc
    if video is None:
        if "Input #0" not in err:
            raise InputError(f"{p}: not a readable video ({complaint(err)})")
        raise InputError(f"{p}: no video stream")
    return video, "\n".join(video_tail), audio


def _picture(video: str, side_data: str, p: str) -> tuple[int, int, int, float]:
    """Width and height as displayed, rotation and pixel aspect of a video stream."""
    size = _SIZE.search(video)
    if not size:
        raise InputError(f"{p}: video stream has no frame size")
    coded_w, coded_h = int(size.group(1)), int(size.group(2))
    rot = 0
    rm = _ROTATION.search(side_data)
    if rm:
        # ffmpeg reports the display matrix angle counter-clockwise; players turn
        # the picture clockwise by its negation.
        rot = int(round(-float(rm.group(1)))) % 360
    sars = [(int(a), int(b)) for a, b in _SAR.findall(video) if int(a) > 0 and int(b) > 0]
    aspect = sars[-1][0] / sars[-1][1] if sars else 1.0
    if aspect != 1.0:
        # Non-square pixels (anamorphic HDV, DV): the picture as shown is this wide.
        coded_w = 2 * round(coded_w * aspect / 2)
    w, h = (coded_h, coded_w) if rot in (90, 270) else (coded_w, coded_h)
    return w, h, rot, aspect


def _frame_rate(video: str, p: str) -> tuple[float, bool]:
    """The stream's frame rate, and whether it is variable."""
    fps = _rate(_FPS.search(video))
    tbr = _rate(_TBR.search(video))
    # The average rate ("fps") can never exceed the base rate ("tbr"), in which every
    # timestamp fits; where it reads higher it was guessed from a fine time base (AVI
    # with B-frames reads "600 fps, 30 tbr"), and the base rate is the real one.
    if fps <= 0 or (tbr > 0 and fps > tbr * 1.01):
        fps = tbr
    if fps <= 0:
        raise InputError(f"{p}: video stream has no frame rate")
    return fps, tbr > 0 and abs(fps - tbr) / tbr > 0.01


def _duration(err: str, p: str) -> float:
    dm = _DURATION.search(err)
    duration = int(dm.group(1)) * 3600 + int(dm.group(2)) * 60 + float(dm.group(3)) if dm else 0.0
    if duration <= 0:
        duration = _scan_duration(p)
    if duration <= 0:
        raise InputError(f"{p}: cannot tell its duration (truncated or not a video?)")
    return duration


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Return the facts of the video at ``path`` or raise InputError naming it."""
    p = str(path)
    st = _readable(p)
    err = run_ffmpeg(["-i", p], timeout=60).stderr.decode("utf-8", "replace")
    video, side_data, audio = _streams(err, p)
    w, h, rot, aspect = _picture(video, side_data, p)
    fps, variable = _frame_rate(video, p)
    duration = _duration(err, p)
    codec = video.split(" ", 1)[0].rstrip(",")
    pix = video.split(", ")[1].split("(")[0] if ", " in video else ""
    rate = _AUDIO_RATE.search(audio) if audio else None
    demuxer = _INPUT.search(err)
    matrix, transfer = _colour(video)
    created = _CREATED.search(err)
    return VideoInfo(
        path=p,
        duration=round(duration, 3),
        fps=fps,
        width=w,
        height=h,
        rotation=rot,
        codec=codec,
        pix_fmt=pix,
        has_audio=audio is not None,
        audio_rate=int(rate.group(1)) if rate else 0,
        audio_channels=_channels(audio) if audio else 0,
        variable_fps=variable,
        size_bytes=st.st_size,
        mtime_ns=st.st_mtime_ns,
        container=demuxer.group(1) if demuxer else "",
        matrix=matrix,
        transfer=transfer,
        pixel_aspect=aspect,
        field_order=_field_order(video),
        creation_time=created.group(1) if created else "",
    )
