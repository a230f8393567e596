"""A synthetic finger's identity: orientation, ridge frequency and ridge pattern (SFinGe-style).

Steps, after Cappelli, Maio and Maltoni's SFinGe:

1. class and singular points: arch, tented arch, left loop, right loop or whorl, with cores
   and deltas placed at random around a pattern centre that itself varies per finger
   (``CENTRE_SD_PX``), so two fingers' minutiae do not sit at the same places around
   their cores;
2. orientation field: the Sherlock-Monro zero-pole model (each core adds half the argument
   of ``z - core``, each delta subtracts half the argument of ``z - delta``), with each
   core's argument warped so that the loops around it are nested hairpins of parallel
   legs (``LOOP_LEGS_RAD``, after Vizcaya and Gerhardt's piecewise-linear correction), for the
   classes with singular points, an arch-shaped field for plain arches, plus a smooth
   random perturbation that moves no singular point (``ORIENTATION_NOISE_RAD``, 0.2 rad).
   The flow is calm, as in real prints: an earlier version made ridges wind locally, and
   its prints carried 58-60 minutiae, up to 100 on fingers of fine ridges, against about
   37 on FVC2002 prints; a wavier flow (0.5 rad) forced rows of same-sense minutiae;
3. ridge period map: a per-finger mean period (``PERIOD_MEAN_SD_PX``, within
   ``PERIOD_RANGE_PX``, at 500 dpi) that follows the
   flow (:func:`flow_period_log`): where ridges spread apart, as below a loop's core, the
   period grows instead of new ridges being forced in, the way skin ridges do. A period
   that ignores the flow forced minutiae wherever flow and period disagreed, all of one
   sense over a region and at the same places around the core on every finger of a class;
   never finer than ``PERIOD_MIN_PX``;
4. ridge pattern: white noise grown into ridges by iterated space-variant Gabor filtering.
   Each iteration filters the whole image in the frequency domain with a bank of
   ``ORIENTATION_BINS x 2`` oriented band-pass filters and takes, per pixel, the bilinear
   blend of the responses of the two orientation bins and two frequency bins around the
   pixel's own orientation and frequency, then saturates. Where the pattern cannot stay
   parallel (curvature, singular points) it forks or ends;
5. random minutiae (:func:`add_dislocations`): ``DISLOCATION_PAIRS`` ridge dislocations are
   cut into the grown pattern at random places, each a pair of minutiae of opposite sense
   (a ridge that ends here and another that ends there, ``DISLOCATION_LENGTH_PERIODS``
   apart) made by displacing the pattern along the ridge normal by the phase of
   ``log((z - a) / (z - b))``, then one more growth iteration smooths the cut. Most of a
   real print's minutiae are of this kind: placed at random, pointing either way along the
   flow. All minutiae are fixed by the finger's seed, so by its identity.

Against FVC2002 (``bench.fingers_realism``, docs/matcher.md, "Synthetic prints against
real ones"): about 30 minutiae per sensor window (real 37.7), sense coherence and ladder
share as real prints', genuine pairs below the FMR 1e-2 / 1e-3 / 1e-4 scores about as
often as real ones (with the impressions of ``fingers_impression``); impostor pairs pass
the 1e-2 score 1.2 times as often as real ones (held out, 400 fingers; the generator before
2026-12-06: 17 times), and at 1e-3 and 1e-4 about 0.05 % and 0.015 % of them, where no
real pair of FVC2002 DB1-3_B passes.

The master is at 500 dpi on a ``MASTER_HEIGHT_PX x MASTER_WIDTH_PX`` canvas, larger than any
sensor window, so impressions can be displaced and rotated over it. Cost: about 0.36 s per
master on one core of the project's development machine, quiet (0.25 s before the
flow-following period, the dislocations and the second growth pass of 2026-12-06;
``python -m bench.fingers --fingers 20 --impressions 8 --repeat 3`` measures it), of which
the flow-following period (a sparse least-squares solve on an 8 px grid) takes about 30 ms;
an impression about 10 ms.
Pure function of ``(seed, finger_id)``; thread-safe.
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
#: A finger's mean ridge period is clipped to this range, px at 500 dpi (0.41 to 0.58 mm).
PERIOD_RANGE_PX = (8.0, 11.5)
#: The flow-following period (:func:`flow_period_log`): grid cell, px; weight of its
#: smoothness against following the flow (per px^2); curvature scale below which the flow
#: is followed fully, px (near singular points it cannot be); and the largest change of
#: the log period either way (0.3: the period within 0.74 to 1.35 x the finger's mean).
#: The last two were 20 px and 0.2 until 2026-12-06 (see ORIENTATION_NOISE_RAD for how
#: they were chosen): following the flow closer to cores and deltas leaves fewer forced
#: minutiae there, the look-alike kind.
FLOW_PERIOD_CELL_PX = 8
FLOW_PERIOD_SMOOTHNESS = 0.1
FLOW_PERIOD_CURVATURE_PX = 10.0
FLOW_PERIOD_MAX_LOG = 0.3
#: Random dislocation pairs cut into each master (Poisson mean; the 256 x 288 sensor window
#: covers about 43 % of the master, so about 10 pairs fall in it), their length in ridge
#: periods (log-uniform), how far from a core or delta they stay, px, and the growth
#: iterations that smooth the cut afterwards (more would let pairs annihilate).
#: 20 with the calmer flow of ORIENTATION_NOISE_RAD (12 / 20 / 35 pairs: 26 / 30 / 33
#: minutiae per print, FVC2002 DB1-3_B 37.7; impostors alike).
DISLOCATION_PAIRS = 20
DISLOCATION_LENGTH_PERIODS = (4.0, 16.0)
DISLOCATION_SINGULAR_CLEARANCE_PX = 30.0
DISLOCATION_HEAL_ITERATIONS = 1
#: Local ridge period never goes below this, px at 500 dpi (0.4 mm: finer adult ridges are rare).
PERIOD_MIN_PX = 8.0
#: Standard deviation of the pattern centre (cores) around the canvas centre, px (x, y)
#: (45 x 40 before 2026-12-06: with smooth flows, same-class loops then matched each other,
#: 22 % of right-loop pairs above the FMR 1e-2 score; see ORIENTATION_NOISE_RAD).
CENTRE_SD_PX = (110.0, 95.0)
#: The pattern centre sits this far above the canvas centre on average, px.
CENTRE_RISE_PX = 35.0
#: Pattern geometry drawn per finger as real populations have it: the whole pattern's
#: tilt, degrees (normal, clipped); a loop's core-to-delta ridge count (mean, sd, low,
#: high; distance = (count + 1) x the finger's mean period) and a tented arch's (uniform);
#: the delta's angle below the horizontal through the core, degrees; a whorl's core gap,
#: px, and its direction, degrees from vertical (sd), its deltas WHORL_EXTRA_PX further
#: out than a loop's; the finger's mean ridge period, px (mean, sd).
TILT_SD_DEG = 15.0
TILT_MAX_DEG = 35.0
LOOP_RIDGE_COUNT = (11.0, 4.5, 3.0, 20.0)
TENTED_RIDGE_COUNT = (2.0, 6.0)
DELTA_ANGLE_DEG = (30.0, 70.0)
WHORL_CORE_GAP_PX = (0.0, 50.0)
WHORL_GAP_ANGLE_SD_DEG = 40.0
WHORL_EXTRA_PX = 20.0
PERIOD_MEAN_SD_PX = (9.5, 0.7)
#: Amplitude of the smooth orientation perturbation, radians (half as much again at a
#: finer scale). 0.5 until 2026-12-06: a wavy flow forces ridges in and out where it
#: spreads and gathers, and those forced minutiae stand in rows of one sense (ladders)
#: that the matcher finds in every finger alike. Chosen with FLOW_PERIOD_* and
#: DISLOCATION_PAIRS on synthetic seeds 1000 and 2000, fingers 1-60 each (15,930 impostor
#: pairs a seed; session screening runs), against FVC2002 DB1-3_B (0.41 % above the FMR
#: 1e-2 score, 37.7 minutiae, ladder share 0.28): impostors above 1e-2 for 0.5 rad, no
#: dislocation pairs 5.2 %, 35.8 minutiae, ladder share 0.47; 0.3 / 0.2 / 0.1 rad 1.5 /
#: 1.3 / 1.4 % (27 / 24 / 23 minutiae, ladder 0.29 / 0.22 / 0.19); 0.2 rad with 20 pairs
#: 0.55 and 2.05 % (seeds 1000, 2000), with the flow period's 10 px and 0.3 as well 0.55
#: and 1.38 %. A pattern centre spread of 60 x 50 px instead of 110 x 95 gave 4.1 %.
ORIENTATION_NOISE_RAD = 0.2
#: Half-angle of a loop's legs around each core, radians, drawn per core (uniform): the
#: directions around the core, either side of its tail, where the ridges run parallel as the
#: legs of nested hairpins (pi / 2: parallel legs and a semicircular head; 0: the plain
#: Sherlock-Monro half-vortex, whose flow lines are confocal parabolas that spread apart
#: along the legs, and the growth then ended ridges in rows around every core's shoulders,
#: the commonest match of high-scoring synthetic impostor pairs). Chosen on synthetic seeds
#: 1000 and 2000 (fingers 1-60) with fingers_impression.PRESSURE_SD: impostors above the
#: FMR 1e-2 score 0.69 and 1.52 % for 0 (the flow before), 0.73 and 0.74 % for 1.0-1.57,
#: 0.53 and 0.59 % for 1.3-1.57 (0.42 and 0.63 % with pressure sd 0.5 instead of 0.6).
LOOP_LEGS_RAD = (1.3, np.pi / 2)

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


def _ridge_count_distance(rng: np.random.Generator, mean_period: float) -> float:
    """A core-to-delta distance, px: ``LOOP_RIDGE_COUNT`` ridges of ``mean_period``."""
    mean, sd, low, high = LOOP_RIDGE_COUNT
    count = float(np.clip(rng.normal(mean, sd), low, high))
    return (count + 1.0) * mean_period


def _singular_points(
    rng: np.random.Generator, finger_class: str, mean_period: float
) -> tuple[list[complex], list[complex], complex, float]:
    """Cores, deltas, the pattern centre (centred math coordinates: x right, y up, px from
    the canvas centre) and the pattern's tilt, radians (counter-clockwise), all untilted:
    :func:`orientation_field` turns them by the tilt about the centre."""
    centre = complex(rng.normal(0.0, CENTRE_SD_PX[0]), rng.normal(CENTRE_RISE_PX, CENTRE_SD_PX[1]))
    tilt = float(np.deg2rad(np.clip(rng.normal(0.0, TILT_SD_DEG), -TILT_MAX_DEG, TILT_MAX_DEG)))
    if finger_class == "arch":
        return [], [], centre, tilt
    if finger_class == "tented_arch":
        count = rng.uniform(*TENTED_RIDGE_COUNT)
        delta = centre - complex(rng.normal(0.0, 6.0), (count + 1.0) * mean_period)
        return [centre], [delta], centre, tilt
    if finger_class in ("left_loop", "right_loop"):
        side = 1.0 if finger_class == "left_loop" else -1.0  # left loop: delta on the right
        distance = _ridge_count_distance(rng, mean_period)
        angle = np.deg2rad(rng.uniform(*DELTA_ANGLE_DEG))  # below the horizontal
        delta = centre + distance * complex(side * np.cos(angle), -np.sin(angle))
        return [centre], [delta], centre, tilt
    gap_length = rng.uniform(*WHORL_CORE_GAP_PX)
    gap_angle = np.deg2rad(90.0 + rng.normal(0.0, WHORL_GAP_ANGLE_SD_DEG))
    gap = gap_length * complex(np.cos(gap_angle), np.sin(gap_angle))
    deltas = []
    for side in (-1.0, 1.0):
        distance = _ridge_count_distance(rng, mean_period) + WHORL_EXTRA_PX
        angle = np.deg2rad(rng.uniform(*DELTA_ANGLE_DEG))
        deltas.append(centre + distance * complex(side * np.cos(angle), -np.sin(angle)))
    return [centre + gap / 2, centre - gap / 2], deltas, centre, tilt


def _hairpin_core(
    z: np.ndarray, core: complex, other_cores: list[complex], deltas: list[complex], legs_rad: float
) -> np.ndarray:
    """A core's share of the orientation (math angle, radians) with hairpin loops.

    The Sherlock-Monro share is half the argument of ``z - core``. Here the argument is
    measured from the core's tail (the direction in which the flow leaves the core: twice
    the other singular points' share there) and warped so that it stays 0 within
    ``legs_rad`` of the tail, where the loops' legs run parallel, and rises linearly to
    +-pi over the head. It still turns by 2 pi around the core (Poincare index 1/2), and
    equals the Sherlock-Monro share for ``legs_rad`` 0 (modulo pi).
    """
    other = sum(0.5 * np.angle(core - c) for c in other_cores)
    other -= sum(0.5 * np.angle(core - d) for d in deltas)
    tail = 2.0 * other
    around = np.angle((z - core) * np.exp(-1j * tail))  # 0 along the tail
    head = np.clip((np.abs(around) - legs_rad) / (np.pi - legs_rad), 0.0, 1.0)
    return 0.5 * (np.sign(around) * np.pi * head + tail)


def orientation_field(
    rng: np.random.Generator, finger_class: str, shape: tuple[int, int], mean_period: float
) -> tuple[np.ndarray, list[complex], list[complex]]:
    """Ridge orientation (image coordinates, radians in [0, pi)) and singular points
    (centred math coordinates, tilted)."""
    height, width = shape
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    z = (cols - width / 2) + 1j * (height / 2 - rows)
    cores, deltas, centre, tilt = _singular_points(rng, finger_class, mean_period)
    # the class pattern in the finger's own frame, turned by the tilt about its centre
    turn = complex(np.cos(tilt), np.sin(tilt))
    z = (z - centre) / turn + centre
    if finger_class == "arch":
        amplitude = rng.uniform(0.8, 1.6)
        spread = rng.uniform(70.0, 110.0)
        local = z - centre.real
        rise = 0.5 * (1.0 + np.tanh((local.imag - rng.normal(20.0, 15.0)) / 90.0))
        slope = amplitude * local.real / spread * np.exp(-(local.real**2) / (2 * spread**2)) * rise
        theta_math = np.arctan(slope)
    else:
        theta_math = np.zeros(shape)
        for k, core in enumerate(cores):
            others = cores[:k] + cores[k + 1 :]
            theta_math += _hairpin_core(z, core, others, deltas, rng.uniform(*LOOP_LEGS_RAD))
        for delta in deltas:
            theta_math -= 0.5 * np.angle(z - delta)
    theta_math += tilt
    theta_math += ORIENTATION_NOISE_RAD * smooth_field(rng, shape, 4)
    theta_math += 0.5 * ORIENTATION_NOISE_RAD * smooth_field(rng, shape, 9)
    orientation = np.mod(-theta_math, np.pi)
    cores = [(p - centre) * turn + centre for p in cores]
    deltas = [(p - centre) * turn + centre for p in deltas]
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


#: One oriented band-pass filter of the growth: its frequency response (rfft2 layout) and
#: the per-pixel weight with which its output is blended.
FilterBank = list[tuple[np.ndarray, np.ndarray]]


def ridge_filter_bank(orientation_rad: np.ndarray, period_px: np.ndarray) -> FilterBank:
    """The space-variant Gabor bank for a field: up to ``ORIENTATION_BINS x 2`` filters, each
    weighted where the pixel's orientation and frequency lie near its own. Built once per
    master and used by every :func:`grow_ridges` call on it. Cost: tens of ms."""
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
    return bank


def grow_ridges(pattern: np.ndarray, bank: FilterBank, iterations: int) -> np.ndarray:
    """Grow ``pattern`` (white noise, or a pattern to heal) towards ridges in [-1, 1] by
    ``iterations`` rounds of filtering with ``bank`` and saturating.

    Cost: ``iterations x (1 forward + len(bank) inverse)`` real FFTs of the canvas; ~0.1-0.2 s
    for 8 iterations on the default master canvas.
    """
    height, width = pattern.shape
    pattern = np.asarray(pattern, np.float32)
    for _ in range(iterations):
        spectrum = sfft.rfft2(pattern)
        mixed = np.zeros((height, width), np.float32)
        for response, weight in bank:
            mixed += weight * sfft.irfft2(spectrum * response, s=(height, width))
        pattern = np.clip(mixed * (GROWTH_GAIN / (float(mixed.std()) + 1e-12)), -1.0, 1.0)
    return pattern.astype(np.float32)


def _central_difference(index: np.ndarray, axis: int, cell: int):
    """Sparse (n, n) central difference along ``axis`` of a grid numbered by ``index``
    (one-sided at the edges), per px for cells of ``cell`` px."""
    from scipy import sparse

    rows_i, cols_j = np.indices(index.shape)
    if axis == 1:
        lo, hi = np.maximum(cols_j - 1, 0), np.minimum(cols_j + 1, index.shape[1] - 1)
        low, high = index[rows_i, lo], index[rows_i, hi]
    else:
        lo, hi = np.maximum(rows_i - 1, 0), np.minimum(rows_i + 1, index.shape[0] - 1)
        low, high = index[lo, cols_j], index[hi, cols_j]
    step = 1.0 / ((hi - lo) * cell).ravel()
    rows = index.ravel()
    return sparse.csr_matrix(
        (np.r_[step, -step], (np.r_[rows, rows], np.r_[high.ravel(), low.ravel()])),
        shape=(index.size, index.size),
    )


def flow_period_log(orientation_rad: np.ndarray) -> np.ndarray:
    """Log of the ridge period relative to the finger's mean (mean 0, clipped to
    +-``FLOW_PERIOD_MAX_LOG``) that keeps ridges continuous along the flow.

    Neighbouring flow lines of a unit direction field t spread apart at the rate div t
    per unit length along t, so ridges stay continuous where the log period L changes
    along the flow as ``t . grad L = div t``. That cannot hold near singular points, so
    it is solved in least squares on a ``FLOW_PERIOD_CELL_PX`` grid, weighted down where
    the flow turns within ``FLOW_PERIOD_CURVATURE_PX``, with a smoothness term
    (``FLOW_PERIOD_SMOOTHNESS``), and interpolated back. div t = n . grad(theta) is read
    from the doubled-angle field, so the 180-degree ambiguity of ridge directions does not
    matter. Cost: about 30 ms for the master canvas (one sparse solve of ~2,700 unknowns).
    """
    from scipy import ndimage, sparse
    from scipy.sparse.linalg import spsolve

    cell = FLOW_PERIOD_CELL_PX
    height, width = orientation_rad.shape
    gh, gw = height // cell, width // cell
    doubled = np.exp(2j * orientation_rad[: gh * cell, : gw * cell].astype(np.float64))
    doubled = doubled.reshape(gh, cell, gw, cell).mean(axis=(1, 3))
    coherence = np.abs(doubled)
    unit = doubled / np.maximum(coherence, 1e-12)
    theta = 0.5 * np.angle(unit)
    d_row, d_col = np.gradient(unit, float(cell))
    theta_x = 0.5 * np.imag(np.conj(unit) * d_col)
    theta_y = 0.5 * np.imag(np.conj(unit) * d_row)
    tx, ty = np.cos(theta), np.sin(theta)
    divergence = -ty * theta_x + tx * theta_y
    curvature = np.hypot(theta_x, theta_y)
    weight = (coherence / (1.0 + (curvature * FLOW_PERIOD_CURVATURE_PX) ** 2)).ravel()
    index = np.arange(gh * gw).reshape(gh, gw)
    gx, gy = _central_difference(index, 1, cell), _central_difference(index, 0, cell)
    along = sparse.diags(weight * tx.ravel()) @ gx + sparse.diags(weight * ty.ravel()) @ gy
    smooth = np.sqrt(FLOW_PERIOD_SMOOTHNESS)
    system = sparse.vstack(
        [along, smooth * gx, smooth * gy, 1e-3 * sparse.identity(gh * gw)]
    ).tocsr()
    target = np.r_[weight * divergence.ravel(), np.zeros(3 * gh * gw)]
    solution = spsolve((system.T @ system).tocsc(), system.T @ target).reshape(gh, gw)
    solution -= solution.mean()
    full = ndimage.zoom(solution, (height / gh, width / gw), order=1)[:height, :width]
    return np.clip(full, -FLOW_PERIOD_MAX_LOG, FLOW_PERIOD_MAX_LOG)


def add_dislocations(
    rng: np.random.Generator,
    ridges: np.ndarray,
    orientation_rad: np.ndarray,
    period_px: np.ndarray,
    singular: list[complex],
) -> np.ndarray:
    """``ridges`` with about ``DISLOCATION_PAIRS`` dislocation pairs cut in at random.

    A pair at ends a and b (complex pixel positions) displaces the pattern along the local
    ridge normal by ``period x phase / 2 pi``, phase = arg((z - a) / (z - b)) with a
    random sign: the phase jumps by 2 pi across the segment a-b, where the displacement is
    one whole period (invisible), and turns once around a and b, where a ridge ends or
    forks, the two of opposite sense. The displacement fades out beyond the pair (smooth
    step from ``|ab| / 2 + period`` to that plus ``max(|ab|, 3 periods)``). Pairs closer
    than ``DISLOCATION_SINGULAR_CLEARANCE_PX`` to a core or delta are dropped. The normal's
    sign is taken consistent with the pair's centre (ridge directions are defined up to
    180 degrees). Cost: a few ms (patches around each pair, one bilinear remap).
    """
    from scipy import ndimage

    height, width = ridges.shape
    shift_x = np.zeros((height, width))
    shift_y = np.zeros((height, width))
    normal_x = -np.sin(orientation_rad.astype(np.float64))
    normal_y = np.cos(orientation_rad.astype(np.float64))
    log_lo, log_hi = np.log(DISLOCATION_LENGTH_PERIODS[0]), np.log(DISLOCATION_LENGTH_PERIODS[1])
    for _ in range(rng.poisson(DISLOCATION_PAIRS)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        angle = rng.uniform(0, 2 * np.pi)
        polarity = 1.0 if rng.random() < 0.5 else -1.0
        stretch = float(np.exp(rng.uniform(log_lo, log_hi)))
        centre = complex(cx, cy)
        if any(abs(centre - p) < DISLOCATION_SINGULAR_CLEARANCE_PX for p in singular):
            continue
        row, col = int(cy), int(cx)
        period = float(period_px[row, col])
        length = period * stretch
        inner = length / 2 + period
        outer = inner + max(length, 3 * period)
        x0, x1 = max(int(cx - outer), 0), min(int(cx + outer) + 1, width)
        y0, y1 = max(int(cy - outer), 0), min(int(cy + outer) + 1, height)
        rows, cols = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        z = cols + 1j * rows
        half = 0.5 * length * np.exp(1j * angle)
        phase = np.angle((z - (centre - half)) / (z - (centre + half)))
        fade = np.clip((outer - np.abs(z - centre)) / (outer - inner), 0.0, 1.0)
        fade = fade * fade * (3 - 2 * fade)
        nx, ny = normal_x[y0:y1, x0:x1], normal_y[y0:y1, x0:x1]
        sign = np.where(nx * normal_x[row, col] + ny * normal_y[row, col] < 0, -1.0, 1.0)
        amount = polarity * sign * phase * fade * period_px[y0:y1, x0:x1] / (2 * np.pi)
        shift_x[y0:y1, x0:x1] += amount * nx
        shift_y[y0:y1, x0:x1] += amount * ny
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    moved = ndimage.map_coordinates(
        ridges, [rows - shift_y, cols - shift_x], order=1, mode="nearest"
    )
    return moved.astype(np.float32)


def build_master(finger_id: int, *, seed: int = 0) -> MasterFinger:
    """Make the master finger for ``(seed, finger_id)`` (uncached; see fingers.master_finger)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, finger_id, 0x4D41]))
    shape = (MASTER_HEIGHT_PX, MASTER_WIDTH_PX)
    finger_class = str(rng.choice(CLASSES, p=CLASS_PROBABILITIES))
    mean_period = float(np.clip(rng.normal(*PERIOD_MEAN_SD_PX), *PERIOD_RANGE_PX))
    orientation, cores, deltas = orientation_field(rng, finger_class, shape, mean_period)
    period = mean_period * np.exp(flow_period_log(orientation))
    period = np.maximum(period, PERIOD_MIN_PX).astype(np.float32)
    bank = ridge_filter_bank(orientation, period)
    noise = rng.standard_normal(shape).astype(np.float32)
    ridges = grow_ridges(noise, bank, GROWTH_ITERATIONS)

    def to_pixels(points: list[complex]) -> tuple[tuple[float, float], ...]:
        return tuple(
            (float(p.real + MASTER_WIDTH_PX / 2), float(MASTER_HEIGHT_PX / 2 - p.imag))
            for p in points
        )

    singular = [complex(x, y) for x, y in to_pixels(cores + deltas)]
    ridges = add_dislocations(rng, ridges, orientation, period, singular)
    ridges = grow_ridges(ridges, bank, DISLOCATION_HEAL_ITERATIONS)
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
