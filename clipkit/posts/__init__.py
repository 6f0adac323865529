"""From clips to posts: post text, editor timelines, before/after stills and
compilation reels, each a standalone module built on clip plans and the renderer (no
decoding to decide anything)."""
