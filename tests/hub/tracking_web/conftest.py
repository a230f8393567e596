"""Fixtures of the tracking page's tests (the filed complaints: tests/hub/tracking_web/filed.py)."""

from tests.hub.tracking_web.filed import filed

__all__ = ["filed"]
