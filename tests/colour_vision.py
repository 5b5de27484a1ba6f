"""How far apart colours stay for people with a colour-vision deficiency: colours simulated with the Machado,
Oliveira & Fernandes (2009) matrices at full severity, compared in CIELAB (a difference above ~10 is plain to see).
Used to check that palettes never rely on telling red from green."""

from __future__ import annotations

import itertools

import numpy as np

#: Machado et al. 2009, severity 1.0, on linear RGB.
DEFICIENCIES = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(rgb: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    x, y, z = m @ rgb / np.array([0.9505, 1.0, 1.089])

    def f(t: float) -> float:
        return float(np.cbrt(t)) if t > 0.008856 else 7.787 * t + 16 / 116

    return np.array([116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))])


def closest_pair(colours: list[str], deficiency: str | None = None) -> float:
    """The smallest CIELAB difference between two of ``colours``, as seen with ``deficiency`` (None: normal)."""
    m = DEFICIENCIES[deficiency] if deficiency else np.eye(3)
    labs = [_lab(np.clip(m @ _linear(c), 0.0, 1.0)) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(labs, 2))
