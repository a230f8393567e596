# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled Guo-Hall thinning: the same skeleton as ``matcher_cy.extraction.thin``.

``extraction.thin`` (numpy, whole-image sub-iterations driven by lookup tables) is the
specification; this does the same sub-iterations pixel by pixel with the same tables.
Thread-safe: works on its own copy; the GIL is released while it runs.
"""

import numpy as np

from matcher_cy.extraction import thin_tables


def thin(binary):
    """Same as ``matcher_cy.extraction.thin`` for a 2-D bool array."""
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
    delete_array = np.zeros(h * w, dtype=np.intp)
    cdef Py_ssize_t[::1] delete = delete_array
    cdef Py_ssize_t y, x, count, i
    cdef int code, sub
    cdef bint changed = True
    cdef unsigned char[::1] table
    with nogil:
        while changed:
            changed = False
            for sub in range(2):
                count = 0
                for y in range(1, h - 1):
                    for x in range(1, w - 1):
                        if not img[y, x]:
                            continue
                        # bit i: neighbour (E, NE, N, NW, W, SW, S, SE)
                        code = (
                            img[y, x + 1]
                            | (img[y - 1, x + 1] << 1)
                            | (img[y - 1, x] << 2)
                            | (img[y - 1, x - 1] << 3)
                            | (img[y, x - 1] << 4)
                            | (img[y + 1, x - 1] << 5)
                            | (img[y + 1, x] << 6)
                            | (img[y + 1, x + 1] << 7)
                        )
                        if (first[code] if sub == 0 else second[code]):
                            delete[count] = y * w + x
                            count += 1
                for i in range(count):
                    img[delete[i] // w, delete[i] % w] = 0
                if count:
                    changed = True
    return result.astype(bool)
