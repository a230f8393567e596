"""The compiled matcher agrees with the numpy reference (the specification)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher_cy import mcc

_mcc = pytest.importorskip("matcher_cy._mcc", reason="compiled matcher not built")


@st.composite
def minutiae_sets(draw: st.DrawFn, max_size: int = 60) -> tuple[np.ndarray, ...]:
    count = draw(st.integers(0, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 400, count)
    y = rng.uniform(0, 400, count)
    theta = rng.uniform(0, 2 * math.pi, count)
    return x, y, theta


def moved(x: np.ndarray, y: np.ndarray, theta: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """A rotated, shifted, jittered copy with some minutiae dropped (a genuine-like mate)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(-0.6, 0.6)
    keep = rng.random(len(x)) > 0.2
    c, s = math.cos(angle), math.sin(angle)
    nx = c * x - s * y + rng.uniform(-40, 40) + rng.normal(0, 2, len(x))
    ny = s * x + c * y + rng.uniform(-40, 40) + rng.normal(0, 2, len(x))
    nt = np.mod(theta + angle + rng.normal(0, 0.1, len(x)), 2 * math.pi)
    return nx[keep], ny[keep], nt[keep]


def assert_same_cylinders(a: mcc.Cylinders, b: mcc.Cylinders) -> None:
    assert np.array_equal(a.bits, b.bits)
    assert np.array_equal(a.masks, b.masks)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.theta, b.theta)
    assert np.allclose(a.cos_t, b.cos_t, rtol=0, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(minutiae_sets())
def test_cylinders_agree(geometry: tuple[np.ndarray, ...]) -> None:
    assert_same_cylinders(mcc.build_cylinders(*geometry), _mcc.build_cylinders(*geometry))


@settings(max_examples=80, deadline=None)
@given(minutiae_sets(), minutiae_sets(), st.integers(0, 2**32 - 1), st.booleans())
def test_scores_agree(first, second, seed: int, mate: bool) -> None:
    if mate:
        second = moved(*first, seed)
    ref_a, ref_b = mcc.build_cylinders(*first), mcc.build_cylinders(*second)
    cy_a, cy_b = _mcc.build_cylinders(*first), _mcc.build_cylinders(*second)
    expected = mcc.score(ref_a, ref_b)
    assert _mcc.score(cy_a, cy_b) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert 0.0 <= expected <= 1.0


def test_scores_agree_on_synthetic_prints(synthetic_templates) -> None:
    forms = {
        key: (mcc.cylinders_of(t), _mcc.build_cylinders(*mcc.geometry(t)))
        for key, t in synthetic_templates.items()
    }
    for ref_a, cy_a in forms.values():
        for ref_b, cy_b in forms.values():
            assert _mcc.score(cy_a, cy_b) == pytest.approx(mcc.score(ref_a, ref_b), rel=1e-9)


def random_codes(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Sparse random cylinder words (about 1 bit in 8 set, like real cylinders)."""
    words = rng.integers(0, 2**63, size=(3, *shape), dtype=np.uint64)
    return words[0] & words[1] & words[2]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 40),
    st.integers(1, 20),
    st.integers(0, 64),
    st.sampled_from([1, 3, 9]),
)
def test_prefilter_scores_agree(
    seed: int, rows: int, top: int, probe_count: int, words: int
) -> None:
    from matcher_cy import index, params

    rng = np.random.default_rng(seed)
    gallery_codes = params.INDEX_GALLERY_CODES
    codes = random_codes(rng, (rows + 3, gallery_codes, words))
    if rows:
        codes[0, 1] = codes[0, 0]  # equal codes, and one with no bits: tie and zero paths
        codes[0, 2] = 0
    popcounts = np.bitwise_count(codes).sum(axis=2, dtype=np.int32)
    sectors = rng.integers(0, params.INDEX_DIRECTION_SECTORS, size=popcounts.shape).astype(np.int32)
    counts = rng.integers(0, gallery_codes + 1, size=rows + 3).astype(np.int32)
    probe_bits = random_codes(rng, (probe_count, words))
    if probe_count and rows:
        probe_bits[0] = codes[0, 0]
    probe = index.Codes(
        probe_bits,
        np.bitwise_count(probe_bits).sum(axis=1, dtype=np.int32).reshape(probe_count),
        rng.integers(0, params.INDEX_DIRECTION_SECTORS, size=probe_count).astype(np.int32),
    )
    slots = np.sort(rng.choice(rows + 3, size=rng.integers(0, rows + 4), replace=False))
    arrays = (codes, popcounts, sectors, counts, slots, top)
    expected = index.prefilter_scores(probe, *arrays)
    assert np.array_equal(_mcc.prefilter_scores(probe, *arrays), expected)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 20), st.integers(0, 16))
def test_packed_coarse_scan_agrees(seed: int, rows: int, top: int, probe_count: int) -> None:
    """matcher_cy._search.coarse_scores (the AVX2 and the branch-free kernels up to 12
    probe codes, the bit loop above) gives index.prefilter_scores' integers on the packed
    layout."""
    from matcher_cy import index, packed, params

    _search = pytest.importorskip("matcher_cy._search")
    rng = np.random.default_rng(seed)
    shape = (rows, packed.COARSE_CODES, index.COARSE_WORDS)
    codes = random_codes(rng, shape)
    codes[0, 1] = codes[0, 0]  # equal codes, and one with no bits: tie and zero paths
    codes[0, 2] = 0
    if rows > 1:  # the same rational |q & g|^2 / |g| from different counts: the first wins
        codes[1, :4] = 0
        codes[1, 0, 0] = 0b111  # against probe code 1 (6 bits): 3^2 / 3
        codes[1, 1, 0] = 0b111111 | 0b111111 << 20  # 6^2 / 12, the same rational
        codes[1, 2, 0] = 0b11
    popcounts = np.bitwise_count(codes).sum(axis=2).astype(np.uint8)
    sectors = rng.integers(
        0, params.INDEX_DIRECTION_SECTORS, size=(rows, packed.GALLERY_CODES), dtype=np.uint8
    )
    if rows > 1:
        sectors[1, :3] = 5
    info = np.zeros((rows, len(packed.INFO_FIELDS)), dtype=np.uint16)
    info[:, 5] = rng.integers(0, packed.GALLERY_CODES + 1, size=rows)  # above 20: 20 used
    probe_bits = random_codes(rng, (probe_count, index.COARSE_WORDS))
    if probe_count:
        probe_bits[0] = codes[0, 0]
    if probe_count > 1:
        probe_bits[1] = 0b111111
    probe_sectors = rng.integers(0, params.INDEX_DIRECTION_SECTORS, size=probe_count)
    probe_sectors[: min(2, probe_count)] = 5
    probe = index.Codes(
        probe_bits,
        np.bitwise_count(probe_bits).sum(axis=1, dtype=np.int32).reshape(probe_count),
        probe_sectors.astype(np.int32),
    )
    used = np.minimum(info[:, 5], packed.COARSE_CODES).astype(np.int32)
    expected = index.prefilter_scores(
        probe, codes, popcounts.astype(np.int32),
        sectors[:, : packed.COARSE_CODES].astype(np.int32), used, np.arange(rows), top,
    )  # fmt: skip
    for simd in (True, False):  # AVX2 four codes at a time where the CPU has it, and not
        out = np.full(rows, -1, dtype=np.int32)
        _search.coarse_scores(probe, codes, popcounts, sectors, info, 0, rows, out, top, simd)
        assert np.array_equal(out, expected)
        part = np.full(rows, -1, dtype=np.int32)
        half = rows // 2
        _search.coarse_scores(probe, codes, popcounts, sectors, info, half, rows, part, top, simd)
        assert np.array_equal(part[: rows - half], expected[half:])


def test_a_malformed_sector_meets_no_probe_code() -> None:
    """A sector byte outside 0..63 (a damaged file) reads nothing outside the near table."""
    from matcher_cy import index, packed

    _search = pytest.importorskip("matcher_cy._search")
    codes = np.full((1, packed.COARSE_CODES, index.COARSE_WORDS), 0xFF, dtype=np.uint64)
    popcounts = np.full((1, packed.COARSE_CODES), 24, dtype=np.uint8)
    info = np.zeros((1, len(packed.INFO_FIELDS)), dtype=np.uint16)
    info[0, 5] = packed.COARSE_CODES
    probe = index.Codes(
        np.full((3, index.COARSE_WORDS), 0xFF, dtype=np.uint64),
        np.full(3, 24, dtype=np.int32),
        np.array([0, 1, 63], dtype=np.int32),
    )
    for bad in (64, 200, 255):
        sectors = np.full((1, packed.GALLERY_CODES), bad, dtype=np.uint8)
        for simd in (True, False):
            out = np.full(1, -1, dtype=np.int32)
            _search.coarse_scores(probe, codes, popcounts, sectors, info, 0, 1, out, 6, simd)
            assert out[0] == 0
    sectors[0, 0] = 0
    _search.coarse_scores(probe, codes, popcounts, sectors, info, 0, 1, out, 6)
    assert out[0] > 0


@pytest.mark.parametrize("resolution", ["fine", "coarse"])
def test_prefilter_prefers_the_mate_cylinders(synthetic_templates, resolution: str) -> None:
    from matcher_cy import index, params

    forms = {key: mcc.cylinders_of(t) for key, t in synthetic_templates.items()}
    gallery = [
        getattr(index.index_codes(forms[(finger, 0)], params.INDEX_GALLERY_CODES), resolution)
        for finger in (1, 2, 3)
    ]
    shape = (len(gallery), params.INDEX_GALLERY_CODES)
    codes = np.zeros((*shape, gallery[0].bits.shape[1]), dtype=np.uint64)
    popcounts = np.zeros(shape, dtype=np.int32)
    sectors = np.zeros(shape, dtype=np.int32)
    counts = np.array([len(c) for c in gallery], dtype=np.int32)
    for row, entry in enumerate(gallery):
        codes[row, : len(entry)] = entry.bits
        popcounts[row, : len(entry)] = entry.popcounts
        sectors[row, : len(entry)] = entry.sectors
    slots = np.arange(len(gallery))
    for finger in (1, 2, 3):
        codes_of_probe = index.index_codes(forms[(finger, 1)], params.INDEX_PROBE_CODES)
        probe = getattr(codes_of_probe, resolution)
        arrays = (codes, popcounts, sectors, counts, slots, params.INDEX_TOP_CODES)
        expected = index.prefilter_scores(probe, *arrays)
        assert np.array_equal(_mcc.prefilter_scores(probe, *arrays), expected)
        assert int(np.argmax(expected)) == finger - 1


def test_coarse_codes_pool_the_fine_ones(synthetic_templates) -> None:
    from matcher_cy import index

    codes = index.index_codes(mcc.cylinders_of(synthetic_templates[(1, 0)]), 24)
    fine = np.unpackbits(codes.fine.bits.view(np.uint8), axis=1, bitorder="little")
    coarse = np.unpackbits(codes.coarse.bits.view(np.uint8), axis=1, bitorder="little")
    assert codes.coarse.bits.shape[1] == index.COARSE_WORDS < mcc.WORDS
    cells = fine[:, : mcc.BITS].reshape(len(codes), mcc.CELLS, -1)
    for cell, group in enumerate(index.COARSE_GROUP_OF_CELL):  # every fine bit is pooled
        pooled = coarse[:, group * cells.shape[2] : (group + 1) * cells.shape[2]]
        assert np.all(pooled >= cells[:, cell])
    assert np.array_equal(codes.coarse.popcounts, coarse.sum(axis=1))
    assert 0 < coarse.sum() < fine.sum()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 60), st.integers(3, 60), st.floats(0.2, 0.8))
def test_thinning_agrees(seed: int, height: int, width: int, density: float) -> None:
    from matcher_cy import _extract, extraction

    rng = np.random.default_rng(seed)
    binary = rng.random((height, width)) < density
    binary = binary | np.roll(binary, 1, axis=0)  # thicker, ridge-like blobs
    assert np.array_equal(_extract.thin(binary), extraction.thin(binary))


def test_extraction_agrees_on_a_synthetic_print() -> None:
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import _extract, extraction

    image = impression_image(4, 1)
    compiled = extraction.extract(image, thinning=_extract.thin)
    assert compiled == extraction.extract(image, thinning=extraction.thin)
    assert len(compiled) > 0


@pytest.mark.parametrize("shift", [(0.0, 0.0), (20.0, 0.0), (40.0, -20.0)])
def test_scores_agree_on_a_lattice_full_of_ties(shift: tuple[float, float]) -> None:
    """Many local pairs with equal similarity: the compiled candidate selection (histogram
    and heap) must walk them in the reference's stable order."""
    gx, gy = np.meshgrid(np.arange(8) * 20.0 + 50, np.arange(8) * 20.0 + 50)
    x, y = gx.ravel(), gy.ravel()
    theta = np.zeros(len(x))
    other = (x + shift[0], y + shift[1], theta.copy())
    expected = mcc.score(mcc.build_cylinders(x, y, theta), mcc.build_cylinders(*other))
    actual = _mcc.score(_mcc.build_cylinders(x, y, theta), _mcc.build_cylinders(*other))
    assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert expected > 0.0


def test_compiled_form_rejects_inconsistent_arrays() -> None:
    good = _mcc.build_cylinders(
        np.array([1.0, 50.0, 90.0]), np.array([3.0, 60.0, 10.0]), np.zeros(3)
    )
    import dataclasses

    broken = dataclasses.replace(good, bits=good.bits[:2], compiled=None)
    with pytest.raises(ValueError, match="bits and masks"):
        _mcc.score(broken, good)


def test_cylinders_pickle_after_scoring() -> None:
    import copy
    import pickle

    x, y = np.array([10.0, 60.0, 120.0, 80.0]), np.array([20.0, 90.0, 40.0, 150.0])
    theta = np.array([0.1, 1.2, 2.3, 4.0])
    form = _mcc.build_cylinders(x, y, theta)
    expected = _mcc.score(form, form)  # pins a CompiledForm on the cylinders
    assert form.compiled is not None
    for copied in (pickle.loads(pickle.dumps(form)), copy.deepcopy(form)):
        assert copied.compiled is None
        assert _mcc.score(copied, form) == expected
