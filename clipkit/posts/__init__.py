"""From clips to posts: sound stings, post text, editor timelines, before/after stills
and compilation reels, each a standalone module built on clip plans (no decoding to
decide anything)."""
