"""What matcher_cy._search uses of the compiled matcher: the score of two Forms."""

from libc.stdint cimport int32_t, uint64_t


cdef struct Form:
    # a search form's arrays as raw pointers (owned by whoever fills this)
    Py_ssize_t n
    const double* x
    const double* y
    const double* theta
    const double* cos_t
    const double* sin_t
    const uint64_t* bits  # n * NWORDS; only the bits under the mask are read
    const uint64_t* masks
    const double* hull  # hull_edges * 3: nx, ny, c
    Py_ssize_t hull_edges
    const int32_t* x_order  # minutiae indices by x ascending (stable)
    double x_min
    Py_ssize_t buckets  # x buckets of BUCKET_WIDTH from x_min
    const int32_t* bucket_start  # buckets + 1 offsets into x_order


cdef class CompiledForm:
    cdef Form form
    cdef object arrays


cdef CompiledForm compiled_form(cylinders)
cdef double score_forms(const Form* a, const Form* b) noexcept nogil
