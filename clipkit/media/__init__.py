"""The media layer: every ffmpeg process clipkit starts.

- ``ffmpeg``: finding the binary, and the one function that starts it (``spawn``);
- ``decode``: the analysis pipe (small grey frames with their times, mono audio);
- ``filters``: what a source needs before its pictures are seen as they are meant to
  be (deinterlacing, tone mapping, its colour matrix);
- ``reader``: the span reader render takes its pictures from;
- ``audio``: the sound's filter graphs, loudness measurement and encoding.

Nothing here knows moviepy, presets or plans; nothing runs at import time.
"""
