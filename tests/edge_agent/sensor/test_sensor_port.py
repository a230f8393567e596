"""The port's contract: abstract methods are enforced and the context manager closes."""

from __future__ import annotations

import pytest

from edge_agent.sensor import FingerprintSensor, LedMode


def test_backend_must_implement_every_method() -> None:
    class Partial(FingerprintSensor):
        def close(self) -> None:
            pass

    with pytest.raises(TypeError, match="abstract"):
        Partial()  # type: ignore[abstract]


def test_context_manager_closes_even_on_error() -> None:
    closed: list[bool] = []

    class Minimal(FingerprintSensor):
        def info(self):  # type: ignore[override]
            raise NotImplementedError

        def wait_for_finger(self, timeout_s: float) -> bool:
            return False

        def capture_image(self):  # type: ignore[override]
            raise NotImplementedError

        def wait_for_lift(self, timeout_s: float) -> bool:
            return True

        def set_led(self, mode, colour=None) -> None:  # type: ignore[override]
            pass

        def close(self) -> None:
            closed.append(True)

    with pytest.raises(ValueError), Minimal():
        raise ValueError("boom")
    assert closed == [True]
    assert LedMode("breathe") is LedMode.BREATHE
