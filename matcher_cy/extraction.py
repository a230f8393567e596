"""Fingerprint image -> minutiae Template, as a flat sequence of named stages.

Stages (each a function below, constants in ``params``): validate and resample to
WORK_DPI, segmentation, orientation field (gradient structure tensor), ridge period
(spectral peak), oriented Gabor enhancement, binarisation and thinning, minutiae by
crossing number, direction from the skeleton, false-minutiae removal, quality.

Cost: tens of milliseconds for a 300x400 image on one core, dominated by the Gabor
filter bank (FFT) and thinning. Pure functions of their inputs: thread-safe.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import ndimage

from matcher_cy import params
from matcher_cy.template import MINUTIA_DTYPE, MinutiaType, Template

Thinning = Callable[[np.ndarray], np.ndarray]
#: ``correlate(image, weights_axis0, weights_axis1)``: see ``correlate_separable``.
Correlate = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Orientation:
    """Ridge orientation (radians in [0, pi), image y down) and coherence (0..1) per pixel."""

    angle: np.ndarray
    coherence: np.ndarray


def extract(
    image: np.ndarray,
    dpi: int = 500,
    *,
    thinning: Thinning | None = None,
    correlate: Correlate | None = None,
) -> Template:
    """Extract a Template from a uint8 grayscale image (H, W), ridges dark, at ``dpi``.

    Raises ValueError on a non-uint8 or non-2D array, a side under MIN_IMAGE_SIDE_PX or
    over MAX_IMAGE_SIDE_PX, or a resolution outside MIN_DPI..MAX_DPI. An image without a
    usable print yields a Template with no minutiae and quality 0. ``thinning`` and
    ``correlate`` default to the selected implementation's (compiled, or ``thin`` and
    ``correlate_separable`` below); both give the same values.
    """
    validate_image(image, dpi)
    if thinning is None or correlate is None:
        from matcher_cy.matching import DEFAULT_BACKEND

        thinning = thinning or DEFAULT_BACKEND.thin
        if correlate is None:
            correlate = correlate_separable
            if DEFAULT_BACKEND.name == "cython":
                from matcher_cy import _extract  # type: ignore[attr-defined]

                correlate = _extract.correlate_separable
    height, width = image.shape
    scale = params.WORK_DPI / dpi
    work = resample(image, scale)
    mask = segment(work)
    orientation = orientation_field(work, correlate)
    mask &= orientation.coherence >= params.SEGMENT_MIN_COHERENCE
    mask = smooth_mask(mask)
    if mask.sum() < (4 * params.BORDER_MARGIN_PX) ** 2:
        return Template(np.zeros(0, MINUTIA_DTYPE), width=width, height=height, dpi=dpi)
    period = ridge_period(work, mask)
    enhanced = gabor_enhance(work, orientation.angle, period, mask)
    skeleton = thinning(enhanced < 0)
    skeleton &= mask
    skeleton = remove_short_pieces(skeleton, params.MIN_SKELETON_PIECE_PX)
    ys, xs, kinds = crossing_number_minutiae(skeleton)
    angles = minutia_directions(skeleton, ys, xs, orientation.angle)
    border = border_distance(mask, ys, xs)
    keep = remove_false_minutiae(border, ys, xs)
    ys, xs, angles, kinds, border = ys[keep], xs[keep], angles[keep], kinds[keep], border[keep]
    qualities = minutia_quality(ys, xs, border, orientation.coherence)
    order = np.argsort(-qualities, kind="stable")[: params.MAX_MINUTIAE]
    minutiae = np.zeros(len(order), dtype=MINUTIA_DTYPE)
    minutiae["x"] = np.clip(np.round(xs[order] / scale), 0, width - 1)
    minutiae["y"] = np.clip(np.round(ys[order] / scale), 0, height - 1)
    minutiae["angle"] = angles[order]
    minutiae["type"] = kinds[order]
    minutiae["quality"] = qualities[order]
    quality = template_quality(mask, orientation.coherence, len(minutiae))
    return Template(minutiae, width=width, height=height, dpi=dpi, quality=quality)


def validate_image(image: np.ndarray, dpi: int) -> None:
    """Raise ValueError unless ``image`` is a 2-D uint8 array of a sane size and ``dpi`` sane."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 grayscale, got dtype {image.dtype}")
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    if min(image.shape) < params.MIN_IMAGE_SIDE_PX or max(image.shape) > params.MAX_IMAGE_SIDE_PX:
        raise ValueError(
            f"image sides must be {params.MIN_IMAGE_SIDE_PX}..{params.MAX_IMAGE_SIDE_PX} px, "
            f"got {image.shape}"
        )
    if not isinstance(dpi, int | np.integer) or not params.MIN_DPI <= dpi <= params.MAX_DPI:
        raise ValueError(f"dpi must be an integer in {params.MIN_DPI}..{params.MAX_DPI}, got {dpi}")


def resample(image: np.ndarray, scale: float) -> np.ndarray:
    """float32 image resampled by ``scale`` (bilinear) when it differs from 1 by over 2%."""
    work = image.astype(np.float32)
    if abs(scale - 1.0) > 0.02:
        work = ndimage.zoom(work, scale, order=1)
    return work


def segment(image: np.ndarray) -> np.ndarray:
    """Foreground mask: local standard deviation above a fraction of its 95th percentile."""
    size = params.SEGMENT_WINDOW_PX
    mean = ndimage.uniform_filter(image, size)
    mean_sq = ndimage.uniform_filter(image * image, size)
    std = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
    reference = float(np.percentile(std, 95))
    if reference <= 1e-3:
        return np.zeros(image.shape, dtype=bool)
    return std >= params.SEGMENT_STD_FRACTION * reference


def smooth_mask(mask: np.ndarray) -> np.ndarray:
    """Open and close with a disc, fill holes, keep the largest region; on 4x4-pixel blocks."""
    block = 4
    h, w = mask.shape
    bh, bw = -(-h // block), -(-w // block)
    padded = np.zeros((bh * block, bw * block), dtype=np.float32)
    padded[:h, :w] = mask
    blocks = padded.reshape(bh, block, bw, block).mean(axis=(1, 3)) >= 0.5
    radius = max(1, round(params.SEGMENT_SMOOTH_RADIUS_PX / block))
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disc = xx * xx + yy * yy <= radius * radius
    blocks = ndimage.binary_opening(blocks, disc)
    blocks = ndimage.binary_closing(blocks, disc, border_value=0)
    blocks = ndimage.binary_fill_holes(blocks)
    labels, count = ndimage.label(blocks)
    if count > 1:
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        blocks = labels == int(np.argmax(sizes))
    full = np.repeat(np.repeat(blocks, block, axis=0), block, axis=1)
    return full[:h, :w]


def orientation_field(image: np.ndarray, correlate: Correlate | None = None) -> Orientation:
    """Ridge orientation and coherence from the smoothed gradient structure tensor.

    Gaussian-derivative gradients (sigma GRADIENT_SIGMA_PX, truncated at 4 sigma) and a
    Gaussian smoothing of their products (sigma ORIENTATION_SIGMA_PX, truncated at 2.5
    sigma), both mode 'reflect': the values of ``ndimage.gaussian_filter`` with those
    arguments, computed by ``correlate`` (default ``correlate_separable``).
    """
    correlate = correlate or correlate_separable
    smooth = gaussian_kernel(params.GRADIENT_SIGMA_PX, 0, 4.0)
    derivative = gaussian_kernel(params.GRADIENT_SIGMA_PX, 1, 4.0)
    gx = correlate(image, smooth, derivative)
    gy = correlate(image, derivative, smooth)
    window = gaussian_kernel(params.ORIENTATION_SIGMA_PX, 0, 2.5)
    gxx = correlate(gx * gx, window, window)
    gyy = correlate(gy * gy, window, window)
    gxy = correlate(gx * gy, window, window)
    diff = gxx - gyy
    gradient_angle = 0.5 * np.arctan2(2.0 * gxy, diff)
    angle = np.mod(gradient_angle + math.pi / 2, math.pi)
    coherence = np.sqrt(diff * diff + 4.0 * gxy * gxy) / np.maximum(gxx + gyy, 1e-6)
    return Orientation(angle.astype(np.float32), coherence.astype(np.float32))


@functools.cache
def gaussian_kernel(sigma: float, order: int, truncate: float) -> np.ndarray:
    """Correlation weights of ``ndimage.gaussian_filter1d(sigma, order, truncate)``
    (order 0 or 1), bit for bit: radius int(truncate sigma + 0.5), normalised, reversed.
    Read-only (cached)."""
    radius = int(truncate * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * x**2)
    phi = phi / phi.sum()
    if order == 1:
        phi = x * (-1.0 / (sigma * sigma)) * phi
    elif order != 0:
        raise ValueError(f"order must be 0 or 1, got {order}")
    weights = np.ascontiguousarray(phi[::-1])
    weights.flags.writeable = False
    return weights


def correlate_separable(
    image: np.ndarray, weights_axis0: np.ndarray, weights_axis1: np.ndarray
) -> np.ndarray:
    """float32 ``image`` correlated along axis 0, then along axis 1, mode 'reflect'
    (``ndimage.correlate1d`` twice; ``_extract.correlate_separable`` gives the same)."""
    middle = ndimage.correlate1d(image.astype(np.float32, copy=False), weights_axis0, axis=0)
    return ndimage.correlate1d(middle, weights_axis1, axis=1)


def ridge_period(image: np.ndarray, mask: np.ndarray) -> float:
    """Dominant ridge period (pixels) from the radial peak of the foreground's spectrum."""
    ys, xs = np.nonzero(mask)
    crop = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    crop_mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    values = np.where(crop_mask, crop - crop[crop_mask].mean(), 0.0)
    size = 256
    spectrum = np.abs(np.fft.rfft2(values, s=(size, size))) ** 2
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    radius = np.hypot(fx, fy)
    band = (radius >= 1.0 / params.RIDGE_PERIOD_MAX_PX) & (
        radius <= 1.0 / params.RIDGE_PERIOD_MIN_PX
    )
    if not band.any() or spectrum[band].sum() <= 0:
        return params.RIDGE_PERIOD_DEFAULT_PX
    bins = np.round(radius * size).astype(int)
    energy = np.bincount(bins[band], weights=spectrum[band], minlength=size)
    energy = np.convolve(energy, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(energy))
    if peak == 0:
        return params.RIDGE_PERIOD_DEFAULT_PX
    return float(np.clip(size / peak, params.RIDGE_PERIOD_MIN_PX, params.RIDGE_PERIOD_MAX_PX))


def gabor_enhance(
    image: np.ndarray, angle: np.ndarray, period: float, mask: np.ndarray
) -> np.ndarray:
    """Even Gabor filter tuned per pixel to the ridge orientation; ridges come out negative.

    The filters are applied in the frequency domain with their analytic spectra (two
    Gaussians at +-1/period across the ridges, DC removed), one inverse FFT per
    orientation present, on the mask's bounding box grown by GABOR_MARGIN_PX (zero
    outside it: the thinning there cannot reach the mask). The filters are tuned to
    ``period`` x GABOR_PERIOD_FACTOR (sigma scaled with it): slightly above the ridge
    frequency, which gave a lower EER than the estimated period itself (docs/matcher.md).
    """
    period *= params.GABOR_PERIOD_FACTOR
    inside = image[mask]
    normalized = np.where(mask, (image - inside.mean()) / max(float(inside.std()), 1e-3), 0.0)
    sigma = params.GABOR_SIGMA_PER_PERIOD * period
    pad = int(math.ceil(3 * sigma))
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    margin = pad + params.GABOR_MARGIN_PX
    top, bottom = max(0, ys[0] - margin), min(image.shape[0], ys[-1] + 1 + margin)
    left, right = max(0, xs[0] - margin), min(image.shape[1], xs[-1] + 1 + margin)
    region = (slice(top, bottom), slice(left, right))
    height, width = bottom - top, right - left
    shape = tuple(sp_fft.next_fast_len(side + 2 * pad, real=True) for side in (height, width))
    spectrum = sp_fft.rfft2(normalized[region].astype(np.float32), s=shape, workers=1)
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    spread = 2.0 * (math.pi * sigma) ** 2
    count = params.GABOR_ORIENTATIONS
    bins = (np.round(angle[region] / math.pi * count).astype(np.uint8) % count).astype(np.uint8)
    present = np.bincount(bins.ravel(), minlength=count)
    out = np.zeros(image.shape, dtype=np.float32)
    target = out[region]
    frequency = 1.0 / period
    dc = math.exp(-spread * frequency * frequency)
    dc_term = 2.0 * dc * np.exp(-spread * fy * fy) * np.exp(-spread * fx * fx)
    for index in range(count):
        if not present[index]:
            continue
        theta = index * math.pi / count
        # the ridge normal in (x, y) is (-sin, cos): the filter oscillates along it
        nx, ny = -math.sin(theta) * frequency, math.cos(theta) * frequency
        # each Gaussian is separable: an outer product of two 1-D Gaussians, no 2-D exp
        response = np.exp(-spread * (fy - ny) ** 2) * np.exp(-spread * (fx - nx) ** 2)
        response += np.exp(-spread * (fy + ny) ** 2) * np.exp(-spread * (fx + nx) ** 2)
        response -= dc_term
        filtered = sp_fft.irfft2(spectrum * response.astype(np.float32), s=shape, workers=1)
        np.copyto(target, filtered[:height, :width], where=bins == index)
    return out


@functools.cache
def thin_tables() -> tuple[np.ndarray, np.ndarray]:
    """Guo-Hall deletion tables for the two sub-iterations, indexed by 8-neighbour code.

    Built once (cached); the arrays are read-only.
    """
    first = np.zeros(256, dtype=bool)
    second = np.zeros(256, dtype=bool)
    for code in range(256):
        # bit i: neighbour x_{i+1}; x1=E, x2=NE, x3=N, x4=NW, x5=W, x6=SW, x7=S, x8=SE
        x = [(code >> i) & 1 for i in range(8)] + [code & 1]
        crossings = sum((not x[2 * i]) and (x[2 * i + 1] or x[2 * i + 2]) for i in range(4))
        n1 = sum(x[2 * k] or x[2 * k + 1] for k in range(4))
        n2 = sum(x[2 * k + 1] or x[2 * k + 2] for k in range(4))
        ok = crossings == 1 and 2 <= min(n1, n2) <= 3
        first[code] = ok and ((x[1] or x[2] or not x[7]) and x[0]) == 0
        second[code] = ok and ((x[5] or x[6] or not x[3]) and x[4]) == 0
    first.flags.writeable = second.flags.writeable = False
    return first, second


_NEIGHBOUR_OFFSETS = ((0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1))


def neighbour_code(binary: np.ndarray) -> np.ndarray:
    """8-neighbour code per pixel (bit i set when neighbour i of _NEIGHBOUR_OFFSETS is set)."""
    padded = np.pad(binary.astype(np.uint8), 1)
    h, w = binary.shape
    code = np.zeros((h, w), dtype=np.uint8)
    for bit, (dy, dx) in enumerate(_NEIGHBOUR_OFFSETS):
        code |= padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] << bit
    return code


def thin(binary: np.ndarray) -> np.ndarray:
    """Guo-Hall thinning to a one-pixel, 8-connected skeleton (bool array)."""
    first, second = thin_tables()
    skeleton = binary.copy()
    skeleton[0, :] = skeleton[-1, :] = skeleton[:, 0] = skeleton[:, -1] = False
    while True:
        changed = False
        for table in (first, second):
            delete = skeleton & table[neighbour_code(skeleton)]
            if delete.any():
                skeleton &= ~delete
                changed = True
        if not changed:
            return skeleton


def remove_short_pieces(skeleton: np.ndarray, min_pixels: int) -> np.ndarray:
    """Erase 8-connected skeleton components with fewer than ``min_pixels`` pixels."""
    labels, count = ndimage.label(skeleton, structure=np.ones((3, 3)))
    if count == 0:
        return skeleton
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_pixels
    keep[0] = False
    return keep[labels]


@functools.cache
def _crossing_lut() -> np.ndarray:
    lut = np.zeros(256, dtype=np.uint8)
    for code in range(256):
        x = [(code >> i) & 1 for i in range(8)]
        lut[code] = sum(abs(x[i] - x[(i + 1) % 8]) for i in range(8)) // 2
    lut.flags.writeable = False
    return lut


def crossing_number_minutiae(skeleton: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and MinutiaType of skeleton pixels with crossing number 1 or 3."""
    crossings = _crossing_lut()[neighbour_code(skeleton)]
    ending = skeleton & (crossings == 1)
    bifurcation = skeleton & (crossings == 3)
    ys_e, xs_e = np.nonzero(ending)
    ys_b, xs_b = np.nonzero(bifurcation)
    ys = np.concatenate([ys_e, ys_b])
    xs = np.concatenate([xs_e, xs_b])
    kinds = np.concatenate(
        [
            np.full(len(ys_e), MinutiaType.ENDING, np.uint8),
            np.full(len(ys_b), MinutiaType.BIFURCATION, np.uint8),
        ]
    )
    return ys, xs, kinds


def minutia_directions(
    skeleton: np.ndarray, ys: np.ndarray, xs: np.ndarray, ridge_angle: np.ndarray
) -> np.ndarray:
    """Direction (radians, counter-clockwise as seen, [0, 2 pi)) of each minutia.

    The local ridge orientation gives the line; the sense points towards the ridge for an
    ending and into the fork for a bifurcation (towards the mean of the skeleton pixels
    within DIRECTION_RADIUS_PX that are 8-connected to the minutia inside that disc: the
    neighbouring ridges do not count), so an ending and its dual bifurcation agree.
    Counting every skeleton pixel of the disc (neighbouring ridges too) gave a mean
    FVC2002 EER of 4.08% at radius 8 px and swung between 3.3% and 4.2% for radii 5-7;
    its own ridge only: 3.2-3.3% for radii 6-10 (docs/matcher.md).
    """
    radius = int(params.DIRECTION_RADIUS_PX)
    oy, ox = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disc = (ox * ox + oy * oy <= radius * radius) & ((ox != 0) | (oy != 0))
    oy, ox = oy[disc], ox[disc]
    padded = np.pad(skeleton, radius)
    hits = padded[ys[:, None] + radius + oy[None, :], xs[:, None] + radius + ox[None, :]]
    hits &= own_ridge(hits, oy + radius, ox + radius, 2 * radius + 1)
    mean_x = (hits * ox).sum(axis=1)
    mean_y = (hits * oy).sum(axis=1)
    theta = ridge_angle[ys, xs].astype(np.float64)  # image coordinates, y down
    dx, dy = np.cos(theta), np.sin(theta)
    flip = dx * mean_x + dy * mean_y < 0
    theta = np.where(flip, theta + math.pi, theta)
    return np.mod(-theta, 2 * math.pi)


def own_ridge(hits: np.ndarray, rows: np.ndarray, cols: np.ndarray, side: int) -> np.ndarray:
    """(n, k) bool: which of the disc pixels ``hits[i]`` (at ``rows``, ``cols`` of a
    ``side`` x ``side`` window centred on minutia i) are 8-connected to the centre within
    the disc. Cost: one connected-component labelling of all n windows side by side.
    """
    count = len(hits)
    if count == 0:
        return np.zeros_like(hits)
    windows = np.zeros((count, side + 1, side), dtype=bool)  # a blank row between windows
    centre = side // 2
    windows[:, rows, cols] = hits
    windows[:, centre, centre] = True
    labels, _ = ndimage.label(windows.reshape(count * (side + 1), side), np.ones((3, 3), bool))
    labels = labels.reshape(count, side + 1, side)
    return labels[:, rows, cols] == labels[:, centre, centre][:, None]


def border_distance(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Euclidean distance (pixels) from each point (ys, xs) to the nearest background pixel.

    The same values as ``ndimage.distance_transform_edt(mask)[ys, xs]``, computed only at
    the points: the nearest background pixel of a foreground point always has a
    foreground 4-neighbour, so only those background pixels are candidates.
    """
    if len(ys) == 0 or mask.all():
        return ndimage.distance_transform_edt(mask)[ys, xs]
    padded = np.pad(mask, 1)
    touches = (padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]) & ~mask
    by, bx = np.nonzero(touches)
    if len(by) == 0:  # background present but touching no foreground: mask is empty
        return np.zeros(len(ys))
    distance_sq = np.full(len(ys), np.inf)
    chunk = max(1, 2_000_000 // len(by))
    for start in range(0, len(ys), chunk):
        py = ys[start : start + chunk, None].astype(np.int64)
        px = xs[start : start + chunk, None].astype(np.int64)
        distance_sq[start : start + chunk] = ((py - by) ** 2 + (px - bx) ** 2).min(axis=1)
    return np.sqrt(distance_sq)


def remove_false_minutiae(border: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Boolean keep-mask: drops minutiae near the mask border (``border``: distance to it
    per minutia) and clustered minutiae.

    Dropping broken-ridge pairs, spurs and low-coherence minutiae was tried and raised
    the EER on FVC2002 (the cylinders profit from more minutiae); see docs/matcher.md.
    """
    keep = border >= params.BORDER_MARGIN_PX
    if len(ys) < 2:
        return keep
    dy = ys[:, None].astype(np.float64) - ys[None, :]
    dx = xs[:, None].astype(np.float64) - xs[None, :]
    distance = np.hypot(dx, dy)
    np.fill_diagonal(distance, np.inf)
    crowded = (distance < params.MIN_MINUTIA_DISTANCE_PX).any(axis=1)
    return keep & ~crowded


def minutia_quality(
    ys: np.ndarray, xs: np.ndarray, border: np.ndarray, coherence: np.ndarray
) -> np.ndarray:
    """Quality 0..100: local coherence, reduced within 3 border margins of the mask edge
    (``border``: distance to it per minutia)."""
    edge = np.clip(border / (3 * params.BORDER_MARGIN_PX), 0.0, 1.0)
    value = 100.0 * np.clip(coherence[ys, xs], 0.0, 1.0) * (0.5 + 0.5 * edge)
    return np.clip(np.round(value), 1, 100).astype(np.uint8)


def template_quality(mask: np.ndarray, coherence: np.ndarray, minutiae: int) -> int:
    """Overall quality 0..100: mean foreground coherence x area factor x minutiae factor."""
    area_px = float(mask.sum())
    if area_px == 0:
        return 0
    clarity = float(coherence[mask].mean())
    area = min(1.0, area_px / (160.0 * 160.0))
    count = min(1.0, minutiae / 25.0)
    return int(round(100 * min(1.0, clarity / 0.6) * area * count))
