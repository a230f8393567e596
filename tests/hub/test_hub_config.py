"""hub.toml: complaint due hours, watchlist criteria and fleet thresholds, with named errors."""

from __future__ import annotations

import pytest

from hub.complaint_rules import HOUR_MS
from hub.config import load_hub_config
from hub.service import worker_username
from khidmat_base.config import ConfigError
from khidmat_wire.topics import HUB_WORKERS_MAX
from provisioning.broker_files import hub_usernames


def test_sections_override_the_defaults(hub_toml) -> None:
    config = load_hub_config(
        hub_toml(
            extra="escalation_check_s = 5\n\n[complaints]\nescalation_step_hours = 2\n"
            '[complaints.due_hours]\ntheft = 12\n\n[watchlist]\nstatuses = ["wanted"]\noffences = ["PPC 302"]\n\n'
            "[fleet]\nbacklog_records = 50\n"
        )
    )
    assert config.hub.escalation_check_s == 5
    assert config.complaints.due_ms("theft") == 12 * HOUR_MS
    assert config.complaints.due_ms("fraud") == 168 * HOUR_MS  # default kept
    with pytest.raises(KeyError, match="no due time"):
        config.complaints.due_ms("no-such-category")  # the codec refuses it: no fallback
    assert config.complaints.step_ms("theft") == 2 * HOUR_MS
    assert config.watchlist.statuses == ("wanted",) and config.watchlist.offences == ("PPC 302",)
    assert config.fleet.backlog_records == 50


def test_the_tracking_page_listens_on_loopback_unless_told(hub_toml) -> None:
    assert load_hub_config(hub_toml()).tracking.host == "127.0.0.1"
    path = hub_toml()
    path.write_text(
        path.read_text() + '\n[tracking]\nhost = "0.0.0.0"\nport = 8443\nmobile_digits = 5\n'
        "client_limit = 10\nclient_window_s = 30\nnumber_limit = 3\nnumber_window_s = 7200\n"
        'trusted_proxies = ["127.0.0.1", "::1"]\n'
    )
    tracking = load_hub_config(path).tracking
    assert (tracking.host, tracking.port, tracking.mobile_digits) == ("0.0.0.0", 8443, 5)
    assert (tracking.client_limit, tracking.client_window_s) == (10, 30.0)
    assert (tracking.number_limit, tracking.number_window_s) == (3, 7200.0)
    assert tracking.trusted_proxies == ("127.0.0.1", "::1")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[complaints]\nsla = 3\n", r"\[complaints\] sla: unknown key"),
        ("[complaints.due_hours]\ntheft = 0\n", r"theft: must be a positive number"),
        ("[complaints.due_hours]\nland-dispute = 9\n", r"land-dispute: not a complaint category"),
        ("[complaints]\ndefault_due_hours = 96\n", r"no fallback due time"),
        ('[watchlist]\nstatuses = ["innocent"]\n', r"\[watchlist\] statuses"),
        ("[fleet]\nbacklog_records = -1\n", r"backlog_records"),
        ("hit_threshold = true\n", r"hit_threshold"),
        ("[tracking]\nport = 70000\n", r"\[tracking\] port: must be a port number"),
        (
            "[tracking]\nmobile_digits = 11\n",
            r"\[tracking\] mobile_digits: must be an integer 3..7",
        ),
        ('[tracking]\nhost = ""\n', r"\[tracking\] host"),
        ("[tracking]\nnumber_limit = 0\n", r"\[tracking\] number_limit: must be a positive"),
        ("[tracking]\nbind = 1\n", r"\[tracking\] bind: unknown key"),
        ('[tracking]\ntrusted_proxies = ["nginx"]\n', r"trusted_proxies: must be a list of IP"),
    ],
)
def test_bad_values_are_named(hub_toml, extra: str, message: str) -> None:
    path = hub_toml()
    text = path.read_text()
    if extra.startswith("["):
        path.write_text(text + "\n" + extra)
    else:
        path.write_text(text.replace("[hub]\n", "[hub]\n" + extra))
    with pytest.raises(ConfigError, match=message):
        load_hub_config(path)


def test_workers_are_bounded_by_the_broker_identities_provisioning_writes(hub_toml) -> None:
    """Worker N logs in as its own identity; provisioning writes one per possible worker."""
    path = hub_toml()
    text = path.read_text()
    path.write_text(text.replace("[hub]\n", f"[hub]\nworkers = {HUB_WORKERS_MAX}\n"))
    config = load_hub_config(path)
    logins = [worker_username(config.broker.username, w) for w in range(config.hub.workers)]
    assert logins == hub_usernames()
    path.write_text(text.replace("[hub]\n", f"[hub]\nworkers = {HUB_WORKERS_MAX + 1}\n"))
    with pytest.raises(ConfigError, match=rf"workers: must be an integer 1\.\.{HUB_WORKERS_MAX}"):
        load_hub_config(path)


def test_the_database_is_a_file_beside_the_config_or_a_server_url(tmp_path) -> None:
    path = tmp_path / "hub.toml"
    base = '[broker]\nhost = "127.0.0.1"\nport = 1883\n'
    path.write_text('[hub]\ndatabase = "data/hub.db"\n' + base)
    config = load_hub_config(path)
    assert config.hub.database == tmp_path / "data" / "hub.db"
    assert config.hub.data_dir == tmp_path / "data"  # reports/, exports/ beside the file
    url = "postgresql://khidmat@db.example:5432/hub"
    path.write_text(f'[hub]\ndatabase = "{url}"\n' + base)
    config = load_hub_config(path)
    assert config.hub.database == url and config.hub.data_dir == tmp_path
    path.write_text("[hub]\ndatabase = 5\n" + base)
    with pytest.raises(ConfigError, match=r"\[hub\] database"):
        load_hub_config(path)
