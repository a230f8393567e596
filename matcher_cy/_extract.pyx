# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled extraction kernels, each equal to its numpy/scipy specification.

``thin``: Guo-Hall thinning, the same skeleton as ``matcher_cy.extraction.thin`` (numpy,
whole-image sub-iterations driven by lookup tables); this does the same sub-iterations
pixel by pixel with the same tables.
``correlate_separable``: the same values as ``extraction.correlate_separable`` (two
``scipy.ndimage.correlate1d`` passes, float32, mode 'reflect'): same double accumulation
in the same order, rows vectorised instead of one line buffer at a time.
Thread-safe: each works on its own arrays; the GIL is released while they run.
"""

import numpy as np

from matcher_cy.extraction import thin_tables


def thin(binary):
    """Same as ``matcher_cy.extraction.thin`` for a 2-D bool array.

    Each sub-iteration tests only the pixels still set (a list, compacted after every
    sub-iteration that deleted some): background pixels are never deleted, so the
    deletions are those of a scan over the whole image.
    """
    first_table, second_table = thin_tables()
    cdef unsigned char[::1] first = first_table.astype(np.uint8)
    cdef unsigned char[::1] second = second_table.astype(np.uint8)
    result = np.ascontiguousarray(binary, dtype=np.uint8).copy()
    cdef unsigned char[:, ::1] img = result
    cdef Py_ssize_t h = img.shape[0]
    cdef Py_ssize_t w = img.shape[1]
    if h == 0 or w == 0:
        return result.astype(bool)
    img[0, :] = 0
    img[h - 1, :] = 0
    img[:, 0] = 0
    img[:, w - 1] = 0
    if h < 3 or w < 3:
        return result.astype(bool)
    candidates_array = np.flatnonzero(result).astype(np.intp)
    delete_array = np.empty(max(len(candidates_array), 1), dtype=np.intp)
    cdef Py_ssize_t[::1] candidates = candidates_array
    cdef Py_ssize_t[::1] delete = delete_array
    cdef unsigned char* pixels = &img[0, 0]
    cdef unsigned char* p
    cdef unsigned char* above
    cdef unsigned char* below
    cdef Py_ssize_t n = candidates.shape[0], count, i, kept
    cdef int code, sub
    cdef bint changed = True
    cdef unsigned char[::1] table
    with nogil:
        while changed:
            changed = False
            for sub in range(2):
                table = first if sub == 0 else second
                count = 0
                for i in range(n):
                    p = pixels + candidates[i]
                    # bit i: neighbour (E, NE, N, NW, W, SW, S, SE)
                    above = p - w
                    below = p + w
                    code = (
                        p[1]
                        | (above[1] << 1)
                        | (above[0] << 2)
                        | ((above - 1)[0] << 3)
                        | ((p - 1)[0] << 4)
                        | ((below - 1)[0] << 5)
                        | (below[0] << 6)
                        | (below[1] << 7)
                    )
                    if table[code]:
                        delete[count] = candidates[i]
                        count += 1
                if count:
                    changed = True
                    for i in range(count):
                        pixels[delete[i]] = 0
                    kept = 0
                    for i in range(n):
                        if pixels[candidates[i]]:
                            candidates[kept] = candidates[i]
                            kept += 1
                    n = kept
    return result.astype(bool)


cdef inline Py_ssize_t _reflect(Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """Index ``i`` folded into 0..n-1 as scipy.ndimage's 'reflect' mode (d c b a | a b c d)."""
    cdef Py_ssize_t period = 2 * n
    i = i % period
    if i < 0:
        i += period
    if i >= n:
        i = period - 1 - i
    return i


cdef int _symmetry(const double[::1] weights):
    """1 symmetric, -1 antisymmetric, 0 neither: scipy's test (within DBL_EPSILON)."""
    cdef Py_ssize_t size = weights.shape[0], half = size // 2, i
    cdef double eps = np.finfo(np.float64).eps
    for i in range(1, half + 1):
        if abs(weights[half + i] - weights[half - i]) > eps:
            break
    else:
        return 1
    for i in range(1, half + 1):
        if abs(weights[half + i] + weights[half - i]) > eps:
            return 0
    return -1


cdef void _correlate_columns(
    const float[:, ::1] source, float[:, ::1] target, const double[::1] weights,
    int symmetry, double* acc
) noexcept nogil:
    """scipy.ndimage.correlate1d along axis 0, mode 'reflect', accumulated in double."""
    cdef Py_ssize_t h = source.shape[0], w = source.shape[1]
    cdef Py_ssize_t half = weights.shape[0] // 2
    cdef Py_ssize_t y, x, j
    cdef const float* a
    cdef const float* b
    cdef const float* centre
    cdef double weight
    for y in range(h):
        if symmetry != 0:
            centre = &source[y, 0]
            weight = weights[half]
            for x in range(w):
                acc[x] = centre[x] * weight
            for j in range(half, 0, -1):
                a = &source[_reflect(y - j, h), 0]
                b = &source[_reflect(y + j, h), 0]
                weight = weights[half - j]
                if symmetry > 0:
                    for x in range(w):
                        acc[x] += (<double>a[x] + <double>b[x]) * weight
                else:
                    for x in range(w):
                        acc[x] += (<double>a[x] - <double>b[x]) * weight
        else:
            a = &source[_reflect(y + half, h), 0]
            weight = weights[2 * half]
            for x in range(w):
                acc[x] = a[x] * weight
            for j in range(-half, half):
                a = &source[_reflect(y + j, h), 0]
                weight = weights[half + j]
                for x in range(w):
                    acc[x] += a[x] * weight
        for x in range(w):
            target[y, x] = <float>acc[x]


cdef void _correlate_rows(
    const float[:, ::1] source, float[:, ::1] target, const double[::1] weights,
    int symmetry, double* line, double* acc
) noexcept nogil:
    """scipy.ndimage.correlate1d along axis 1, mode 'reflect', accumulated in double."""
    cdef Py_ssize_t h = source.shape[0], w = source.shape[1]
    cdef Py_ssize_t half = weights.shape[0] // 2
    cdef Py_ssize_t y, x, j
    cdef double weight
    cdef double* centre = line + half
    for y in range(h):
        for x in range(w):
            centre[x] = source[y, x]
        for x in range(1, half + 1):
            centre[-x] = source[y, _reflect(-x, w)]
            centre[w - 1 + x] = source[y, _reflect(w - 1 + x, w)]
        if symmetry != 0:
            weight = weights[half]
            for x in range(w):
                acc[x] = centre[x] * weight
            for j in range(half, 0, -1):
                weight = weights[half - j]
                if symmetry > 0:
                    for x in range(w):
                        acc[x] += (centre[x - j] + centre[x + j]) * weight
                else:
                    for x in range(w):
                        acc[x] += (centre[x - j] - centre[x + j]) * weight
        else:
            weight = weights[2 * half]
            for x in range(w):
                acc[x] = centre[x + half] * weight
            for j in range(-half, half):
                weight = weights[half + j]
                for x in range(w):
                    acc[x] += centre[x + j] * weight
        for x in range(w):
            target[y, x] = <float>acc[x]


def correlate_separable(image, weights_axis0, weights_axis1):
    """float32 ``image`` correlated with ``weights_axis0`` along axis 0, then (on the
    float32 result) with ``weights_axis1`` along axis 1, mode 'reflect': the same values
    as two ``scipy.ndimage.correlate1d`` calls on float32 (and so as ``gaussian_filter``
    with those kernels); odd kernel lengths only. The GIL is released while it runs.
    """
    source_array = np.ascontiguousarray(image, dtype=np.float32)
    if source_array.ndim != 2:
        raise ValueError("image must be 2-D")
    cdef const double[::1] w0 = np.ascontiguousarray(weights_axis0, dtype=np.float64)
    cdef const double[::1] w1 = np.ascontiguousarray(weights_axis1, dtype=np.float64)
    if w0.shape[0] % 2 == 0 or w1.shape[0] % 2 == 0:
        raise ValueError("kernel lengths must be odd")
    cdef int s0 = _symmetry(w0), s1 = _symmetry(w1)
    cdef const float[:, ::1] source = source_array
    middle_array = np.empty_like(source_array)
    result = np.empty_like(source_array)
    cdef float[:, ::1] middle = middle_array
    cdef float[:, ::1] target = result
    cdef Py_ssize_t w = source.shape[1]
    acc_array = np.empty(max(w, 1), dtype=np.float64)
    line_array = np.empty(w + w1.shape[0], dtype=np.float64)
    cdef double[::1] acc = acc_array
    cdef double[::1] line = line_array
    if source.shape[0] == 0 or w == 0:
        return result
    with nogil:
        _correlate_columns(source, middle, w0, s0, &acc[0])
        _correlate_rows(middle, target, w1, s1, &line[0], &acc[0])
    return result
