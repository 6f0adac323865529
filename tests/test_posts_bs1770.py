"""BS.1770 loudness in numpy: the standard's calibration figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clipkit.render.bs1770 import _biquads, integrated_loudness


def test_48k_coefficients_are_the_standards() -> None:
    (b1, a1), (b2, a2) = _biquads(48000)
    assert np.allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285])
    assert np.allclose(a1, [1.0, -1.69065929318241, 0.73248077421585])
    assert np.allclose(b2, [1.0, -2.0, 1.0])
    assert np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621])


@pytest.mark.parametrize("rate", [44100, 48000])
def test_a_1khz_sine_reads_as_the_standard_says(rate: int) -> None:
    t = np.arange(5 * rate) / rate
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)  # -20 dBFS
    assert integrated_loudness(sine, rate) == pytest.approx(-23.01, abs=0.05)
    assert integrated_loudness(np.stack([sine, sine], 1), rate) == pytest.approx(-20.0, abs=0.05)


def test_gates() -> None:
    rate = 48000
    assert integrated_loudness(np.zeros(rate * 2), rate) == -math.inf
    assert integrated_loudness(np.ones(100), rate) == -math.inf  # shorter than a block
    t = np.arange(8 * rate) / rate
    tone = 0.1 * np.sin(2 * np.pi * 997 * t)
    tone[: 4 * rate] *= 10 ** (-30 / 20)  # half of it 30 dB down: the relative gate drops it
    # (The three blocks across the step, partly loud, pass the gate: -23.18.)
    assert integrated_loudness(tone, rate) == pytest.approx(-23.01, abs=0.25)
