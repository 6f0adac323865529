"""Where each picture of an MP4/MOV file's H.264 track is, read from its sample table.

Counting non-reference pictures (``clipkit.media.decode``) needs one byte per picture: the NAL
header of its first slice. In an MP4 or MOV file the sample table says where every
picture starts, so that byte is read directly, a few bytes per picture, instead of
copying the whole stream through ffmpeg (about 0.3 s of CPU for a minute of 35 Mbit/s
footage). Anything this reader does not expect (another container, a fragmented file,
several sample descriptions, a damaged table) gives None, and the caller counts with
ffmpeg instead.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Boxes an MP4/MOV file may start with; anything else is not tried.
FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}
# A sample table this large (bytes) is not read: about 40 hours of 30 fps footage.
MAX_MOOV = 64 << 20
# Bytes of a visual sample entry before its child boxes (ISO 14496-12, 12.1.3).
VISUAL_ENTRY = 78
# NAL unit types of coded slices (non-IDR and IDR).
SLICE_TYPES = (1, 5)
# Seed of the pseudo-random choice of samples: the same ones on every run.
SAMPLE_SEED = 0
# H.264 sample descriptions.
AVC_ENTRIES = (b"avc1", b"avc3")
# Handlers of tracks that ffmpeg never takes for video (sound, text and subtitles,
# timecode, hint, MPEG-4 systems): such tracks before the video one are passed over.
OTHER_HANDLERS = {
    b"soun", b"text", b"sbtl", b"subt", b"clcp", b"tmcd", b"hint", b"sdsm", b"odsm",
}  # fmt: skip


def non_reference(nal_header: int) -> bool:
    """True for a NAL unit no other picture is predicted from (nal_ref_idc 0)."""
    return (nal_header >> 5) & 3 == 0


@dataclass(frozen=True)
class AvcTrack:
    """File offset and size of each sample of an H.264 track, in decoding order."""

    offsets: np.ndarray  # int64
    sizes: np.ndarray  # int64
    length_size: int  # bytes in front of each NAL unit giving its length: 1, 2 or 4


def _header(buf: bytes, i: int, end: int) -> tuple[bytes, int, int] | None:
    """``(type, header length, size)`` of the box at ``buf[i]`` in a container that ends
    at ``end``; None when it is malformed or cut off."""
    have = min(end, len(buf))
    if i + 8 > have:
        return None
    size, kind = struct.unpack_from(">I4s", buf, i)
    head = 8
    if size == 1:
        if i + 16 > have:
            return None
        (size,) = struct.unpack_from(">Q", buf, i + 8)
        head = 16
    elif size == 0:
        size = end - i
    if size < head or i + size > end:
        return None
    return kind, head, size


def _boxes(buf: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, end)`` of each box in ``buf[start:end]``; stops at the
    first malformed one."""
    i = start
    while (box := _header(buf, i, end)) is not None:
        kind, head, size = box
        yield kind, i + head, i + size
        i += size


def _child(buf: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for k, a, b in _boxes(buf, start, end):
        if k == kind:
            return a, b
    return None


def _path(buf: bytes, start: int, end: int, *kinds: bytes) -> tuple[int, int] | None:
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        if span is None:
            return None
        span = _child(buf, span[0], span[1], kind)
    return span


def _at(f: io.RawIOBase, pos: int, n: int) -> bytes:
    """Up to ``n`` bytes of ``f`` from ``pos`` (seek and read: os.pread is not on Windows)."""
    f.seek(pos)
    return f.read(n) or b""


def _read_moov(f: io.RawIOBase, file_size: int) -> bytes | None:
    """The payload of the top-level ``moov`` box, or None."""
    pos, first = 0, True
    while pos + 8 <= file_size:
        box = _header(_at(f, pos, 16), 0, file_size - pos)
        if box is None:
            return None
        kind, head, size = box
        if first and kind not in FIRST_BOXES:
            return None
        if kind == b"moov":
            if size - head > MAX_MOOV:
                return None
            data = _at(f, pos + head, size - head)
            return data if len(data) == size - head else None
        pos, first = pos + size, False
    return None


def _video_stbl(moov: bytes) -> tuple[int, int] | None:
    """The sample table of the first video track (ffmpeg's ``0:V:0``) when it is H.264.

    ffmpeg takes a track for video by its sample description as well as by its handler,
    so a track with H.264 samples counts whatever its handler says, and a track with a
    handler that is neither known video nor known non-video makes the answer None.
    """
    for kind, a, b in _boxes(moov, 0, len(moov)):
        if kind != b"trak":
            continue
        stbl = _path(moov, a, b, b"mdia", b"minf", b"stbl")
        stsd = _path(moov, *stbl, b"stsd") if stbl else None
        entry = _first_entry(moov, stsd) if stsd is not None else None
        if entry is not None and entry[0] in AVC_ENTRIES:
            return stbl
        hdlr = _path(moov, a, b, b"mdia", b"hdlr")
        # hdlr: version/flags, pre_defined (QuickTime: component type), handler type.
        handler = moov[hdlr[0] + 8 : hdlr[0] + 12] if hdlr else b""
        if handler not in OTHER_HANDLERS:
            return None  # video of another codec, or a track ffmpeg may take for video
    return None


def _first_entry(moov: bytes, stsd: tuple[int, int]) -> tuple[bytes, int, int] | None:
    """``(type, payload start, end)`` of the first sample description in ``stsd``."""
    return next(_boxes(moov, stsd[0] + 8, stsd[1]), None)


def _length_size(moov: bytes, stsd: tuple[int, int]) -> int | None:
    """NAL length size of the only sample description, when it is H.264."""
    a, b = stsd
    if b - a < 16 or struct.unpack_from(">I", moov, a + 4)[0] != 1:
        return None
    entry = _first_entry(moov, stsd)
    if entry is None or entry[0] not in AVC_ENTRIES:
        return None
    avcc = _child(moov, entry[1] + VISUAL_ENTRY, entry[2], b"avcC")
    if avcc is None or avcc[1] - avcc[0] < 5:
        return None
    n = (moov[avcc[0] + 4] & 3) + 1
    return n if n in (1, 2, 4) else None


def _table(moov: bytes, span: tuple[int, int], fmt: str, width: int) -> np.ndarray | None:
    """Entries of a full box holding a count and then ``width`` big-endian integers each."""
    a, b = span
    if b - a < 8:
        return None
    (count,) = struct.unpack_from(">I", moov, a + 4)
    if a + 8 + count * width * np.dtype(fmt).itemsize > b:
        return None
    return np.frombuffer(moov, fmt, count * width, a + 8).astype(np.int64)


def avc_track(path: str) -> AvcTrack | None:
    """The sample table of the first video track of an MP4/MOV file when that track is
    H.264 and not fragmented; None otherwise (or when anything looks wrong)."""
    try:
        with open(path, "rb", buffering=0) as f:
            file_size = os.fstat(f.fileno()).st_size
            moov = _read_moov(f, file_size)
    except OSError:
        return None
    if moov is None or _child(moov, 0, len(moov), b"mvex") is not None:
        return None  # not MP4/MOV, or fragmented: the samples are in the fragments
    try:
        return _track(moov, file_size)
    except (MemoryError, ValueError):  # a damaged table: the checks below missed it
        return None


def _track(moov: bytes, file_size: int) -> AvcTrack | None:
    stbl = _video_stbl(moov)
    if stbl is None:
        return None
    box = {k: (a, b) for k, a, b in _boxes(moov, *stbl)}
    if b"stsd" not in box or b"stsz" not in box or b"stsc" not in box:
        return None
    length_size = _length_size(moov, box[b"stsd"])
    if length_size is None:
        return None
    sizes = _sample_sizes(moov, box[b"stsz"], file_size)
    chunks = box.get(b"stco"), box.get(b"co64")
    offsets = (
        _table(moov, chunks[0], ">u4", 1) if chunks[0] else
        _table(moov, chunks[1], ">u8", 1) if chunks[1] else None
    )  # fmt: skip
    runs = _table(moov, box[b"stsc"], ">u4", 3)
    if sizes is None or offsets is None or runs is None or not sizes.size or not runs.size:
        return None
    starts = _sample_offsets(sizes, offsets, runs.reshape(-1, 3))
    if starts is None or starts.min() < 0:  # a 64-bit offset past 2**63: damaged
        return None
    return AvcTrack(starts, sizes, length_size)


def _sample_sizes(moov: bytes, span: tuple[int, int], file_size: int) -> np.ndarray | None:
    a, b = span
    if b - a < 12:
        return None
    size, count = struct.unpack_from(">II", moov, a + 4)
    if count > file_size:  # more samples than bytes: damaged
        return None
    if size:
        return np.full(count, size, np.int64)
    return _table(moov, (a + 4, b), ">u4", 1)  # the count, then a size per sample


def _sample_offsets(sizes: np.ndarray, chunks: np.ndarray, runs: np.ndarray) -> np.ndarray | None:
    """File offset of each sample from the chunk offsets and the sample-to-chunk runs
    (first chunk, 1-based; samples per chunk; description index)."""
    first = runs[:, 0] - 1
    if first[0] != 0 or np.any(np.diff(first) <= 0) or first[-1] >= chunks.size:
        return None
    per_chunk = np.repeat(runs[:, 1], np.diff(np.append(first, chunks.size)))
    ends = np.cumsum(per_chunk)  # samples up to the end of each chunk
    if ends[-1] < sizes.size:
        return None
    chunk = np.searchsorted(ends, np.arange(sizes.size), side="right")
    before = np.cumsum(sizes) - sizes  # bytes of the samples before each one
    chunk_first = (ends - per_chunk)[chunk]
    return chunks[chunk] + before - before[chunk_first]


def picture_refs(path: str, track: AvcTrack, keep: float = 1.0, first: int = 0) -> tuple[int, int]:
    """Pictures and non-reference pictures among the samples of ``track``: its first
    ``first`` when that is not 0, else a pseudo-random ``keep`` share (the same one on
    every run). A sample whose first slice cannot be read is not counted."""
    n = track.sizes.size
    if first:
        chosen = np.arange(min(first, n))
    elif keep < 1.0:
        chosen = np.flatnonzero(np.random.default_rng(SAMPLE_SEED).random(n) < keep)
    else:
        chosen = np.arange(n)
    pictures = nonref = 0
    ls = track.length_size
    with open(path, "rb", buffering=0) as f:
        for i in chosen.tolist():
            head = _first_slice(f, int(track.offsets[i]), int(track.sizes[i]), ls)
            if head is not None:
                pictures += 1
                nonref += non_reference(head)
    return pictures, nonref


def _first_slice(f: io.RawIOBase, pos: int, size: int, ls: int) -> int | None:
    """NAL header byte of the first slice in the sample at ``pos``, or None."""
    end = pos + size
    while pos + ls < end:
        head = _at(f, pos, ls + 1)
        if len(head) < ls + 1:
            return None
        if head[ls] & 0x1F in SLICE_TYPES:
            return head[ls]
        length = int.from_bytes(head[:ls], "big")
        if not length:  # no NAL unit is empty: damaged (or zeroed) data
            return None
        pos += ls + length
    return None
