"""``khidmat hotel ...`` and ``khidmat licence ...`` as an operator runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hub.config import load_hub_config
from hub.store import HubStore
from hub.unit_control import UnitControl
from provisioning.registry import Registry


def khidmat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "khidmat", *args], capture_output=True, text=True, timeout=120
    )


def test_hotels_and_licences_from_the_command_line(hub_toml, tmp_path: Path) -> None:
    config = hub_toml()
    database = load_hub_config(config).hub.database
    with Registry(database) as registry:
        for device, role in (("qta01-hotel-3c4d", "hotel"), ("qta01-desk-1a2b", "desk")):
            registry.register(device, role=role, station="QTA01", name=device,
                              mqtt_password_hash="$7$x", has_client_cert=False)  # fmt: skip
    done = khidmat("hotel", "add", "QTA-SERENA", "--name", "Serena Hotel", "--station", "QTA01",
                   "--unit", "qta01-hotel-3c4d", "--config", str(config))  # fmt: skip
    assert done.returncode == 0 and "registered" in done.stdout, done.stderr
    with HubStore(database) as store:
        assert UnitControl(store).settings("qta01-hotel-3c4d") == {"hotel.code": "QTA-SERENA"}
    # a desk is not a hotel unit
    done = khidmat("hotel", "add", "QTA-GRAND", "--name", "Grand", "--station", "QTA01",
                   "--unit", "qta01-desk-1a2b", "--config", str(config))  # fmt: skip
    assert done.returncode == 2 and "not an active hotel unit" in done.stderr

    register = tmp_path / "guests.csv"
    register.write_text("name,cnic,nationality,passport,room,check_in\n"
                        "Ayesha Bibi,42101-1234567-1,PK,,12,2026-12-05 14:30\n"
                        "Hamid Raza,4210112345,PK,,14,2026-12-05 15:00\n", encoding="utf-8")  # fmt: skip
    done = khidmat("hotel", "import", str(register), "--hotel", "QTA-SERENA", "--config", str(config))  # fmt: skip
    assert done.returncode == 1
    assert "2 rows: 1 guests accepted (1 new), 1 refused" in done.stdout
    assert "line 3: cnic:" in done.stderr and "Hamid" not in done.stderr
    assert khidmat("hotel", "import", str(register), "--hotel", "NOPE", "--config", str(config)).returncode == 2  # fmt: skip
    listed = khidmat("hotel", "list", "--json", "--config", str(config))
    assert '"stays": 1' in listed.stdout and "Ayesha" not in listed.stdout

    branch = tmp_path / "branch.csv"
    branch.write_text("token,cnic,name,mobile,licence_class,status,status_at\n"
                      "QTA-2026004512,54400-1234567-1,Gul Khan,0300-1234567,LTV,ready,"
                      "2026-12-05 12:30\n", encoding="utf-8")  # fmt: skip
    done = khidmat("licence", "import", str(branch), "--config", str(config))
    assert done.returncode == 0 and "1 new statuses, 1 texts queued" in done.stdout
    shown = khidmat("licence", "show", "QTA-2026004512", "--config", str(config))
    assert shown.returncode == 0 and "ready" in shown.stdout and "54400" not in shown.stdout
