"""What a source needs before its pictures look as they are meant to: deinterlacing,
tone mapping (HDR -> SDR) and the colour matrix of untagged footage. The analysis
pipe and the span reader both put these in front of their own filters.
"""

from __future__ import annotations

from clipkit.media.ffmpeg import has_filters
from clipkit.media.probe import VideoInfo

# Interlaced video (MPEG-2 from DVDs and broadcast, AVCHD's MTS) shows combs along every
# moving edge until its two fields are made whole pictures again. bwdif (motion
# adaptive, ffmpeg's best built-in) does it from the field order each frame carries:
# one picture per frame, so the frame rate and the frame times stay as they are.
DEINTERLACE = "bwdif=mode=send_frame:parity=auto:deint=all"


def deinterlace_filter(info: VideoInfo) -> str:
    """The filter that makes ``info``'s interlaced frames whole pictures ("" when the
    stream says it is progressive, or nothing)."""
    return DEINTERLACE if info.interlaced else ""


# HDR -> SDR, as zscale and tonemap do it: light made linear with HDR's reference white
# (203 cd/m2, ITU-R BT.2408) at 1.0, moved to BT.709 primaries, then the mobius curve,
# which keeps everything up to about reference white as it was graded and rolls the
# highlights off instead of clipping them. On colour bars made SDR -> HLG -> SDR this
# way, the mean error is 9 levels of 255; hable's curve gave 38, and reading the HLG
# values as BT.709 (what happens without this) 31, with every colour washed out.
TONE_MAP = (
    "zscale=tin={transfer}:min={matrix}:pin=bt2020:t=linear:npl=203,format=gbrpf32le,"
    "zscale=p=bt709,tonemap=tonemap=mobius,zscale=t=bt709,format=gbrp"
)


def tone_map_filter(info: VideoInfo) -> str:
    """The filters that turn ``info``'s HDR pictures into SDR BT.709 RGB: "" if it is not
    HDR or this ffmpeg lacks them (then its pictures are read as they are)."""
    if not info.hdr or not has_filters("zscale", "tonemap"):
        return ""
    return TONE_MAP.format(transfer=info.transfer, matrix=info.matrix or "bt2020nc")


def untagged_matrix(info: VideoInfo) -> str:
    """The matrix of footage without a tag, as players take it: BT.709 from 720 lines up
    (HD), BT.601 below. "" when the file says which it is."""
    if info.matrix:
        return ""
    return "bt709" if min(info.width, info.height) >= 720 else "smpte170m"
