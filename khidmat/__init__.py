"""Khidmat's top: the one ``khidmat`` command, the demo, the scenario days and the testbed."""

from khidmat_base import __version__

__all__ = ["__version__"]
