"""A synthetic finger's identity: orientation, ridge frequency and ridge pattern (SFinGe-style).

Steps, after Cappelli, Maio and Maltoni's SFinGe:

1. class and singular points: arch, tented arch, left loop, right loop or whorl, with cores
   and deltas placed at random around a pattern centre that itself varies per finger
   (``CENTRE_SD_PX``), so two fingers' minutiae do not sit at the same places around
   their cores;
2. orientation field: the Sherlock-Monro zero-pole model (each core adds half the argument
   of ``z - core``, each delta subtracts half the argument of ``z - delta``) for the
   classes with singular points, an arch-shaped field for plain arches, plus a smooth
   random perturbation that moves no singular point, and a fine one
   (``ORIENTATION_FINE_NOISE_RAD``, about two ridge periods across) that makes ridges
   converge and diverge locally, so ridges end as often as they begin and neighbouring
   minutiae point both ways along the flow, as in real prints (without it, minutiae arose
   only where the class geometry and the period map spread the ridges, all with one sense
   over large regions, and the matcher, which compares directed angles, found any two
   synthetic fingers alike: 10 % of impostor pairs above the FMR 1e-2 score, 0.6 % of real
   ones; ``bench.fingers_realism`` prints both and the sense coherence);
3. ridge period map: a per-finger mean period (8.5 to 10.5 px at 500 dpi) with a smooth
   +-14 % variation and a finer +-6 % local one (``PERIOD_LOCAL_VARIATION``), never
   finer than ``PERIOD_MIN_PX``;
4. ridge pattern: white noise grown into ridges by iterated space-variant Gabor filtering.
   Each iteration filters the whole image in the frequency domain with a bank of
   ``ORIENTATION_BINS x 2`` oriented band-pass filters and takes, per pixel, the bilinear
   blend of the responses of the two orientation bins and two frequency bins around the
   pixel's own orientation and frequency, then saturates. Where the pattern cannot stay
   parallel (curvature, frequency change) it forks or ends: these are the finger's
   minutiae, fixed by the noise seed and so by the finger's identity.

The master is at 500 dpi on a ``MASTER_HEIGHT_PX x MASTER_WIDTH_PX`` canvas, larger than any
sensor window, so impressions can be displaced and rotated over it. Cost: about 0.1 to 0.3 s
per master on one core of the project's machines (``bench/fingers.py`` measures it). Pure
function of ``(seed, finger_id)``; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

MASTER_HEIGHT_PX = 448
MASTER_WIDTH_PX = 384
MASTER_DPI = 500

#: Orientation bins of the Gabor bank (pi / 16 = 11.25 degrees apart).
ORIENTATION_BINS = 16
#: Iterations of filter-and-saturate that grow noise into ridges.
GROWTH_ITERATIONS = 8
#: Radial (frequency) bandwidth of each filter, cycles/px, one standard deviation.
RADIAL_SIGMA_CPP = 0.018
#: Angular bandwidth: spread across the ridge normal, cycles/px, one standard deviation.
ANGULAR_SIGMA_CPP = 0.026
#: Saturation gain applied to the normalised filter response each iteration.
GROWTH_GAIN = 1.6
#: Mean ridge period range, px at 500 dpi (0.43 to 0.53 mm, the usual adult range).
PERIOD_RANGE_PX = (8.5, 10.5)
#: Relative spatial variation of the ridge period within one finger.
PERIOD_VARIATION = 0.14
#: Relative fine-scale (about 8 features across) variation of the ridge period: where the
#: period changes locally ridges must fork or end, so this scatters each finger's minutiae
#: at places of its own instead of only where the class geometry bends the ridges (halved
#: from 0.12 when the fine orientation noise came: that adds minutiae of its own).
PERIOD_LOCAL_VARIATION = 0.06
#: Local ridge period never goes below this, px at 500 dpi (0.4 mm: finer adult ridges are rare).
PERIOD_MIN_PX = 8.0
#: Standard deviation of the pattern centre (cores) around the canvas centre, px (x, y).
CENTRE_SD_PX = (45.0, 40.0)
#: Amplitude of the smooth orientation perturbation, radians (half as much again at a
#: finer scale).
ORIENTATION_NOISE_RAD = 0.4
#: Amplitude of the fine orientation perturbation, radians, with about
#: ``ORIENTATION_FINE_CELLS`` features across the master (about 20 px, two ridge periods):
#: ridges converge and diverge locally, so minutiae of both senses arise side by side.
#: Chosen on synthetic seed 1000, fingers 1-30 (sense coherence 0.44 -> 0.22, impostor
#: pairs above the FMR 1e-2 score 10.3 % -> 3.9 %, above 1e-3 4.6 % -> 0 of 435), with
#: FVC2002 DB1_B and DB3_B (sense coherence 0.18 and -0.01) as the reference.
ORIENTATION_FINE_NOISE_RAD = 0.25
ORIENTATION_FINE_CELLS = 20

#: Natural class frequencies (Wilson et al.): arch, tented arch, left loop, right loop, whorl.
CLASSES = ("arch", "tented_arch", "left_loop", "right_loop", "whorl")
CLASS_PROBABILITIES = (0.037, 0.029, 0.338, 0.317, 0.279)


@dataclass(frozen=True, slots=True, eq=False)
class MasterFinger:
    """One finger's identity, shared by all its impressions (arrays are read-only).

    ``orientation_rad``: ridge direction per pixel in image coordinates (x right, y down),
    in [0, pi). ``period_px``: local ridge period. ``ridges``: the grown pattern in [-1, 1],
    +1 on a ridge centre. ``cores``/``deltas``: singular points as (x, y) pixels of the
    master canvas.
    """

    finger_id: int
    seed: int
    finger_class: str
    cores: tuple[tuple[float, float], ...]
    deltas: tuple[tuple[float, float], ...]
    orientation_rad: np.ndarray
    period_px: np.ndarray
    ridges: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the master canvas in pixels."""
        return self.ridges.shape  # type: ignore[return-value]


def _basis(length: int, cells: int) -> np.ndarray:
    """(length, cells + 3) Gaussian interpolation weights, rows normalised to unit energy."""
    centres = np.linspace(1.0, cells + 1.0, length)[:, None]
    weights = np.exp(-0.5 * (centres - np.arange(cells + 3)[None, :]) ** 2 / 0.6**2)
    return weights / np.sqrt((weights**2).sum(axis=1, keepdims=True))


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth random field of ``shape`` with about ``cells`` features across, std ~1.

    A ``(cells+3)^2`` grid of normal values interpolated separably with Gaussian weights
    (two small matrix products). Cost: well under 1 ms for a sensor window.
    """
    coarse = rng.standard_normal((cells + 3, cells + 3))
    return (_basis(shape[0], cells) @ coarse @ _basis(shape[1], cells).T).astype(np.float32)


def _singular_points(
    rng: np.random.Generator, finger_class: str
) -> tuple[list[complex], list[complex]]:
    """Cores and deltas in centred math coordinates (x right, y up, px from the centre)."""
    centre = complex(rng.normal(0.0, CENTRE_SD_PX[0]), rng.normal(35.0, CENTRE_SD_PX[1]))
    if finger_class == "arch":
        return [], []
    if finger_class == "tented_arch":
        delta = centre - complex(rng.normal(0.0, 6.0), rng.uniform(45.0, 80.0))
        return [centre], [delta]
    if finger_class in ("left_loop", "right_loop"):
        side = 1.0 if finger_class == "left_loop" else -1.0  # left loop: delta on the right
        delta = centre + complex(side * rng.uniform(45.0, 130.0), -rng.uniform(85.0, 165.0))
        return [centre], [delta]
    gap = complex(rng.normal(0.0, 14.0), rng.uniform(10.0, 40.0))
    deltas = [
        centre + complex(-rng.uniform(75.0, 140.0), -rng.uniform(80.0, 155.0)),
        centre + complex(rng.uniform(75.0, 140.0), -rng.uniform(80.0, 155.0)),
    ]
    return [centre + gap / 2, centre - gap / 2], deltas


def orientation_field(
    rng: np.random.Generator, finger_class: str, shape: tuple[int, int]
) -> tuple[np.ndarray, list[complex], list[complex]]:
    """Ridge orientation (image coordinates, radians in [0, pi)) and singular points."""
    height, width = shape
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    z = (cols - width / 2) + 1j * (height / 2 - rows)
    cores, deltas = _singular_points(rng, finger_class)
    if finger_class == "arch":
        amplitude = rng.uniform(0.8, 1.6)
        spread = rng.uniform(70.0, 110.0)
        rise = 0.5 * (1.0 + np.tanh((z.imag - rng.normal(20.0, 15.0)) / 90.0))
        slope = amplitude * z.real / spread * np.exp(-(z.real**2) / (2 * spread**2)) * rise
        theta_math = np.arctan(slope)
    else:
        theta_math = np.zeros(shape)
        for core in cores:
            theta_math += 0.5 * np.angle(z - core)
        for delta in deltas:
            theta_math -= 0.5 * np.angle(z - delta)
    theta_math += ORIENTATION_NOISE_RAD * smooth_field(rng, shape, 4)
    theta_math += 0.5 * ORIENTATION_NOISE_RAD * smooth_field(rng, shape, 9)
    theta_math += ORIENTATION_FINE_NOISE_RAD * smooth_field(rng, shape, ORIENTATION_FINE_CELLS)
    orientation = np.mod(-theta_math, np.pi)
    return orientation.astype(np.float32), cores, deltas


def _bin_weights(position: np.ndarray, bins: int, wrap: bool) -> list[np.ndarray]:
    """Bilinear weights of each of ``bins`` bins for fractional bin positions."""
    low = np.floor(position)
    frac = (position - low).astype(np.float32)
    low_i = low.astype(np.int64)
    high_i = low_i + 1
    if wrap:
        low_i %= bins
        high_i %= bins
    else:
        high_i = np.minimum(high_i, bins - 1)
    weights = []
    for index in range(bins):
        weight = np.where(low_i == index, 1.0 - frac, 0.0) + np.where(high_i == index, frac, 0.0)
        weights.append(weight.astype(np.float32))
    return weights


def grow_ridges(
    rng: np.random.Generator,
    orientation_rad: np.ndarray,
    period_px: np.ndarray,
    *,
    iterations: int = GROWTH_ITERATIONS,
) -> np.ndarray:
    """Grow a ridge pattern in [-1, 1] from white noise by iterated oriented filtering.

    Cost: ``iterations x (1 forward + up to 2 x ORIENTATION_BINS inverse)`` real FFTs of the
    canvas; ~0.1-0.2 s for the default master canvas.
    """
    height, width = orientation_rad.shape
    freq_lo = 1.0 / float(period_px.max())
    freq_hi = 1.0 / float(period_px.min())
    if freq_hi - freq_lo < 1e-6:
        freq_hi = freq_lo + 1e-6
    freqs = (freq_lo, freq_hi)
    orient_weights = _bin_weights(
        orientation_rad / (np.pi / ORIENTATION_BINS), ORIENTATION_BINS, True
    )
    freq_pos = (1.0 / period_px - freq_lo) / (freq_hi - freq_lo)
    freq_weights = _bin_weights(np.clip(freq_pos, 0.0, 1.0 - 1e-6), 2, False)
    fy = sfft.fftfreq(height)[:, None]
    fx = sfft.rfftfreq(width)[None, :]
    bank: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(ORIENTATION_BINS):
        if not orient_weights[k].any():
            continue
        angle = k * np.pi / ORIENTATION_BINS
        across = np.abs(-fx * np.sin(angle) + fy * np.cos(angle))
        along = fx * np.cos(angle) + fy * np.sin(angle)
        angular = np.exp(-(along**2) / (2 * ANGULAR_SIGMA_CPP**2))
        for f_index, freq in enumerate(freqs):
            weight = orient_weights[k] * freq_weights[f_index]
            if not weight.any():
                continue
            response = angular * np.exp(-((across - freq) ** 2) / (2 * RADIAL_SIGMA_CPP**2))
            bank.append((response.astype(np.complex64), weight))
    pattern = rng.standard_normal((height, width)).astype(np.float32)
    for _ in range(iterations):
        spectrum = sfft.rfft2(pattern)
        mixed = np.zeros((height, width), np.float32)
        for response, weight in bank:
            mixed += weight * sfft.irfft2(spectrum * response, s=(height, width))
        pattern = np.clip(mixed * (GROWTH_GAIN / (float(mixed.std()) + 1e-12)), -1.0, 1.0)
    return pattern.astype(np.float32)


def build_master(finger_id: int, *, seed: int = 0) -> MasterFinger:
    """Make the master finger for ``(seed, finger_id)`` (uncached; see fingers.master_finger)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, finger_id, 0x4D41]))
    shape = (MASTER_HEIGHT_PX, MASTER_WIDTH_PX)
    finger_class = str(rng.choice(CLASSES, p=CLASS_PROBABILITIES))
    orientation, cores, deltas = orientation_field(rng, finger_class, shape)
    mean_period = rng.uniform(*PERIOD_RANGE_PX)
    period = mean_period * (1.0 + PERIOD_VARIATION * np.tanh(smooth_field(rng, shape, 3)))
    if PERIOD_LOCAL_VARIATION > 0:
        period *= 1.0 + PERIOD_LOCAL_VARIATION * np.tanh(smooth_field(rng, shape, 8))
    period = np.maximum(period, PERIOD_MIN_PX)
    period = period.astype(np.float32)
    ridges = grow_ridges(rng, orientation, period)

    def to_pixels(points: list[complex]) -> tuple[tuple[float, float], ...]:
        return tuple(
            (float(p.real + MASTER_WIDTH_PX / 2), float(MASTER_HEIGHT_PX / 2 - p.imag))
            for p in points
        )

    for array in (orientation, period, ridges):
        array.flags.writeable = False
    return MasterFinger(
        finger_id=finger_id,
        seed=seed,
        finger_class=finger_class,
        cores=to_pixels(cores),
        deltas=to_pixels(deltas),
        orientation_rad=orientation,
        period_px=period,
        ridges=ridges,
    )
