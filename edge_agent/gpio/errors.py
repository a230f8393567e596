"""Errors of the GPIO port."""

from __future__ import annotations


class GpioError(RuntimeError):
    """GPIO cannot be used as configured; the message says what to check."""
