"""clipkit: find the mishap moments in raw kitchen footage and cut them into clips.

The pipeline is one straight line, one module per stage::

    probe -> analyse -> detect -> plan -> render -> manifest

Importing clipkit does nothing else: no config reads, no ffmpeg look-ups.
"""

__version__ = "0.1.0"
