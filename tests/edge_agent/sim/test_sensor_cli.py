"""``khidmat sim sensor`` from the command line, and the issue's "Done when" check.

The "Done when" test runs the simulator as its own process, places a synthetic finger
from another process, and runs scripts/check_sensor.py (adafruit driver + pyserial only)
against the link.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_agent.sim.sensor import SimulatedSensor
from edge_agent.sim.sensor_chip import fit_to_window
from khidmat.cli import main as khidmat

REPO = Path(__file__).resolve().parents[3]
CHECK_SCRIPT = REPO / "scripts" / "check_sensor.py"


def _khidmat(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "khidmat", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("model", ["r307", "r503"])
def test_check_script_passes_against_the_simulator_process(model: str, tmp_path: Path) -> None:
    pytest.importorskip("matcher_cy.extraction")
    link = tmp_path / "fp0"
    sim = subprocess.Popen(
        [sys.executable, "-m", "khidmat", "sim", "sensor", "--model", model]
        + ["--link", str(link), "--no-wire-delay"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([sim.stdout], [], [], 30)
        assert ready, "simulator did not start"
        banner = sim.stdout.readline()  # type: ignore[union-attr]
        assert f"simulated {model} on /dev/pts/" in banner and link.is_symlink()

        placed = _khidmat("sim", "sensor", "place", "--link", str(link), "--finger", "1")
        assert placed.returncode == 0, placed.stderr
        assert '"finger": true' in placed.stdout

        check = subprocess.run(
            # the simulator extracts minutiae on Img2Tz: a loaded machine needs more than 2 s
            [sys.executable, str(CHECK_SCRIPT), "--port", str(link), "--model", model]
            + ["--reply-timeout", "20"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        size = {"r307": 36864, "r503": 18432}[model]
        for line in (
            "ok    password 0 accepted",
            f"ok    image upload {size} bytes",
            "ok    RegModel",
            "ok    Search: code 0, page 0",
            "ok    HighSpeedSearch: code 0, page 0",
            "all checks passed",
        ):
            assert line in check.stdout

        lifted = _khidmat("sim", "sensor", "lift", "--link", str(link))
        assert lifted.returncode == 0 and '"finger": false' in lifted.stdout
        assert '"library_pages": []' in lifted.stdout  # the script deleted its template
    finally:
        sim.send_signal(signal.SIGTERM)
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()
    assert sim.returncode == 0, sim.stderr.read()  # type: ignore[union-attr]
    assert not link.exists() and not Path(f"{link}.ctl").exists()


def test_place_lift_inject_commands_drive_a_running_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    link = tmp_path / "fp1"
    picture = np.random.default_rng(1).integers(0, 256, (320, 240), dtype=np.uint8)
    png = tmp_path / "thumb.png"
    Image.fromarray(picture).save(png)
    with SimulatedSensor("r503", link=link, wire_delay=False).start() as sim:
        assert khidmat(["sim", "sensor", "place", "--link", str(link), "--image", str(png)]) == 0
        assert sim.chip.finger_present
        assert np.array_equal(sim.chip.finger_image, fit_to_window(picture, 192, 192))
        args = ["sim", "sensor", "inject", "--link", str(link), "--fault", "no_reply"]
        assert khidmat([*args, "--count", "2", "--command", "0x0A"]) == 0
        assert sim.faults.pending == [("no_reply", 2, 0x0A)]
        assert khidmat(["sim", "sensor", "lift", "--link", str(link)]) == 0
        assert not sim.chip.finger_present
        assert khidmat(["sim", "sensor", "status", "--link", str(link)]) == 0
        assert '"model": "r503"' in capsys.readouterr().out
        both = ["--image", str(png), "--finger", "1"]
        assert khidmat(["sim", "sensor", "place", "--link", str(link), *both]) == 1
        assert "exactly one" in capsys.readouterr().err
    assert khidmat(["sim", "sensor", "lift"]) == 2
    assert khidmat(["sim", "sensor", "lift", "--link", str(link)]) == 1
    assert "is `khidmat sim sensor --link ...` running?" in capsys.readouterr().err
    assert not os.path.lexists(link)
