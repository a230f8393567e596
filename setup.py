"""Build script for Khidmat's compiled parts.

Every ``*.pyx`` module under ``matcher_cy/`` is compiled against numpy's headers.
Metadata lives in pyproject.toml; this file only declares the extensions.
"""

from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

ROOT = Path(__file__).parent


def matcher_extensions() -> list[Extension]:
    """One Extension per .pyx file under matcher_cy/, named after its module path."""
    extensions = []
    for pyx in sorted((ROOT / "matcher_cy").rglob("*.pyx")):
        relative = pyx.relative_to(ROOT).with_suffix("")
        extensions.append(
            Extension(
                ".".join(relative.parts),
                [str(pyx.relative_to(ROOT))],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                extra_compile_args=["-O3", "-ffp-contract=off"],
            )
        )
    return extensions


setup(
    ext_modules=cythonize(
        matcher_extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )
)
