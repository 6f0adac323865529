"""Analysis: footage -> Signals (features per frame and per audio hop), cached."""
