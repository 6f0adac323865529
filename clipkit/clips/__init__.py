"""Planning: Moments -> ClipPlans (window, crop path, recovery, captions); presets."""
