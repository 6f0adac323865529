"""Rendering: ClipPlan + Preset -> file (moviepy); its sound: loudness, stings."""
