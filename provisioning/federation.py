"""A province's part of the federation: its bridge identity and certificates, the federation
listener, the Mosquitto bridges to the other provinces, and their ACL entries.

Every province runs its own broker. Each broker has a second TLS listener for the other
provinces' bridges (``require_certificate true``, ``use_identity_as_username true``: the
client certificate's CN, ``province-<name>``, signed by the federation CA, *is* the
identity; no password), and one outgoing bridge per other province that carries only this
province's own federation topics out::

    connection fed-balochistan-to-punjab
    address hub.punjab.example:8884
    topic khidmat/v1/fed/balochistan/ask out 1
    topic khidmat/v1/fed/balochistan/answer/punjab out 1
    bridge_cafile .../federation/ca.crt          # the federation CA
    bridge_certfile .../federation/bridge.crt     # CN province-balochistan
    bridge_keyfile .../federation/bridge.key

So a province's asks and answers reach each other province's broker over that province's
listener, and arrive there under the ACL (this province's broker writes the same for the
others coming in)::

    user province-punjab
    topic write khidmat/v1/fed/punjab/ask
    topic write khidmat/v1/fed/punjab/answer/balochistan

A bridge identity can publish nothing else and read nothing at all: a province cannot
speak for another, nor read asks or answers meant for others. The hub's own identities
(``hub``, ``hub-1``, ...) may publish under this province's name and read every ask and
the answers to this province. Bridges are re-read only when the broker restarts (not on
SIGHUP).

The federation CA is one for all provinces (kept by whoever runs the federation; here a
directory the first ``khidmat provision province`` creates and the others are given).
Pure text and key functions plus the writes of :func:`write_province`; cost: two
certificates (a few ms); not safe to run concurrently for one DIR (the provisioning lock).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khidmat_wire.topics import FED_PREFIX, fed_answer_topic, fed_ask_topic
from khidmat_wire.vocabulary import FEDERATION_POLICIES, PROVINCE
from provisioning import pki
from provisioning.files import secret_dir, write_public, write_secret
from provisioning.toml_text import toml_document

IDENTITY_PREFIX = "province-"
"""A province's bridge identity is ``province-<name>`` (certificate CN = MQTT username)."""
FEDERATION_CA_NAME = "Khidmat federation CA"
DEFAULT_FEDERATION_PORT = 8884
BRIDGE_RESTART = "restart_timeout 1 10"
"""A bridge to a province that is down is tried again after 1 s, backing off to 10 s."""
BRIDGE_KEEPALIVE_S = 10


class FederationError(RuntimeError):
    """A province setting or peer is unusable."""


def identity(province: str) -> str:
    """The MQTT username (and certificate CN) of ``province``'s bridge."""
    return IDENTITY_PREFIX + check_name(province)


def check_name(province: str) -> str:
    if re.fullmatch(PROVINCE, province) is None:
        raise FederationError(f"unusable province name {province[:40]!r} (3-24 of a-z, 0-9)")
    return province


@dataclass(frozen=True, slots=True)
class Peer:
    """Another province and the address of its federation listener."""

    province: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Peer:
        """``name=host:port`` (as ``--peer`` takes it)."""
        name, _, address = text.partition("=")
        host, _, port = address.rpartition(":")
        if not name or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise FederationError(f"--peer {text[:80]!r}: expected NAME=HOST:PORT")
        if any(ch.isspace() or ch in "/#+" for ch in host):
            raise FederationError(f"--peer {text[:80]!r}: unusable host")
        return cls(check_name(name), host, int(port))


@dataclass(frozen=True, slots=True)
class FederationFiles:
    """Where a province's federation key material lives (absolute paths in the config)."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    bridge_cert: Path
    bridge_key: Path

    @classmethod
    def under(cls, directory: Path) -> FederationFiles:
        d = Path(directory)
        return cls(
            d / "ca.crt", d / "server.crt", d / "server.key", d / "bridge.crt", d / "bridge.key"
        )


@dataclass(frozen=True, slots=True)
class ProvinceSettings:
    """What ``khidmat provision province`` chose (DIR/federation.toml)."""

    province: str
    port: int = DEFAULT_FEDERATION_PORT
    bind: str = ""
    peers: list[dict[str, object]] = field(default_factory=list)
    """Each: province, host, port."""
    policy: str = "no-hit"
    deadline_s: float = 1.5
    desk: str = ""

    def peer_list(self) -> list[Peer]:
        return [Peer(str(p["province"]), str(p["host"]), int(p["port"])) for p in self.peers]  # type: ignore[call-overload]


# ------------------------------------------------------------------------ text


def listener_text(port: int, bind: str, files: FederationFiles) -> str:
    """The federation listener: TLS, client certificate required, its CN the username."""
    return "\n".join(
        [
            "# Federation listener: the other provinces' bridges (certificate = identity)",
            f"listener {port}" + (f" {bind}" if bind else ""),
            "use_username_as_clientid true",
            f"cafile {files.ca_cert.resolve()}",
            f"certfile {files.server_cert.resolve()}",
            f"keyfile {files.server_key.resolve()}",
            "require_certificate true",
            "use_identity_as_username true",
        ]
    )


def bridges_text(province: str, peers: list[Peer], files: FederationFiles) -> str:
    """One outgoing bridge per peer, carrying only this province's own topics out."""
    blocks = []
    for peer in peers:
        blocks.append(
            "\n".join(
                [
                    f"# Bridge to {peer.province}: this province's asks and its answers to "
                    f"{peer.province}, out only",
                    f"connection fed-{province}-to-{peer.province}",
                    f"address {peer.host}:{peer.port}",
                    f"topic {fed_ask_topic(province)} out 1",
                    f"topic {fed_answer_topic(province, peer.province)} out 1",
                    f"remote_clientid {identity(province)}",
                    f"local_clientid local.fed-{province}-to-{peer.province}",
                    "bridge_protocol_version mqttv311",
                    "cleansession true",
                    "notifications false",
                    "start_type automatic",
                    BRIDGE_RESTART,
                    f"keepalive_interval {BRIDGE_KEEPALIVE_S}",
                    f"bridge_cafile {files.ca_cert.resolve()}",
                    f"bridge_certfile {files.bridge_cert.resolve()}",
                    f"bridge_keyfile {files.bridge_key.resolve()}",
                    "bridge_insecure false",
                ]
            )
        )
    return "\n\n".join(blocks)


def broker_text(
    province: str, port: int, bind: str, peers: list[Peer], files: FederationFiles
) -> str:
    """The federation part of mosquitto.conf: the listener, then the bridges (last: every
    line after ``connection`` belongs to that bridge)."""
    return listener_text(port, bind, files) + "\n\n" + bridges_text(province, peers, files) + "\n"


def acl_text(province: str, peers: list[str], hub_names: list[str]) -> str:
    """ACL entries: the hub's identities over the federation topics, and each peer's
    bridge identity confined to its own asks and its answers to this province."""
    lines = [
        "",
        f"# Federation ({province}): the hub publishes under {province}'s name, reads every",
        "# ask and the answers to this province.",
    ]
    for name in hub_names:
        lines += [
            f"user {name}",
            f"topic write {FED_PREFIX}/{province}/#",
            f"topic read {FED_PREFIX}/+/ask",
            f"topic read {FED_PREFIX}/+/answer/{province}",
        ]
    lines.append(
        "# Each other province's bridge: its own asks and its answers to us, nothing else."
    )
    for peer in peers:
        lines += [
            f"user {identity(peer)}",
            f"topic write {fed_ask_topic(peer)}",
            f"topic write {fed_answer_topic(peer, province)}",
        ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- key material


def federation_ca(directory: Path) -> pki.Issued:
    """The federation CA in ``directory`` (ca.crt, ca.key), made there when absent."""
    cert, key = directory / "ca.crt", directory / "ca.key"
    if cert.exists() and key.exists():
        return pki.Issued(key.read_bytes(), cert.read_bytes())
    if cert.exists() or key.exists():
        raise FederationError(f"{directory}: has one of ca.crt and ca.key but not both")
    secret_dir(directory)
    ca = pki.make_ca(FEDERATION_CA_NAME)
    write_secret(key, ca.key_pem)
    write_public(cert, ca.cert_pem)
    return ca


def issue_province(ca: pki.Issued, province: str, sans: list[str], files: FederationFiles) -> None:
    """Write the province's federation listener certificate (for ``sans``) and its bridge
    client certificate (CN ``province-<name>``), both signed by the federation CA."""
    secret_dir(files.server_key.parent)
    write_public(files.ca_cert, ca.cert_pem)
    server = pki.issue_server(ca, sans)
    write_secret(files.server_key, server.key_pem)
    write_public(files.server_cert, server.cert_pem)
    bridge = pki.issue_client(ca, identity(province))
    write_secret(files.bridge_key, bridge.key_pem)
    write_public(files.bridge_cert, bridge.cert_pem)


# ------------------------------------------------------------------ settings file


def save_settings(path: Path, settings: ProvinceSettings) -> None:
    write_public(
        path,
        toml_document(
            {"province": {k: v for k, v in asdict(settings).items() if k != "peers"}}
            | {f"peers.{p['province']}": p for p in settings.peers},
            header="Written by `khidmat provision province`; read by every provision command.",
        ),
    )


def load_settings(path: Path) -> ProvinceSettings | None:
    """DIR/federation.toml, or None when this deployment is not federated."""
    if not path.exists():
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        peers = [dict(v) for v in (raw.get("peers") or {}).values()]
        return ProvinceSettings(**raw["province"], peers=peers)
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise FederationError(f"{path}: unusable ({error})") from None


def hub_section(settings: ProvinceSettings) -> dict[str, object]:
    """The hub config's ``[federation]`` table (hub.federation.settings)."""
    if settings.policy not in FEDERATION_POLICIES:
        raise FederationError(f"policy: one of {', '.join(FEDERATION_POLICIES)}")
    return {
        "province": settings.province,
        "provinces": [str(p["province"]) for p in settings.peers],
        "policy": settings.policy,
        "deadline_s": settings.deadline_s,
        "desk": settings.desk,
    }


def with_section(text: str, name: str, table: dict[str, object]) -> str:
    """TOML ``text`` with its ``[name]`` table replaced (or added at the end)."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            skipping = stripped == f"[{name}]"
        if not skipping:
            kept.append(line)
    body = "\n".join(kept).rstrip("\n")
    return body + "\n\n" + toml_document({name: table}).rstrip("\n") + "\n"


# ------------------------------------------------------------------- the operation


@dataclass(frozen=True, slots=True)
class ProvinceResult:
    settings: ProvinceSettings
    files: FederationFiles
    reloaded_pid: int | None


def provision_province(
    deployment_root: Path,
    settings: ProvinceSettings,
    *,
    federation_ca_dir: Path,
    sans: list[str],
) -> ProvinceResult:
    """Make DIR a federated province: its federation certificates (from the federation CA
    in ``federation_ca_dir``, made there when absent), DIR/federation.toml, the hub
    config's ``[federation]`` section, and the broker files with the federation listener,
    the bridges and the ACL entries. The broker must be restarted to start the bridges.
    Running it again (new peers, a new desk) rewrites all of it with new certificates."""
    from provisioning.broker_files import write_broker_files
    from provisioning.deployment import Deployment, DeploymentError
    from provisioning.registry import Registry

    deployment = Deployment(Path(deployment_root))
    check_name(settings.province)
    peers = settings.peer_list()
    if not peers:
        raise FederationError("at least one --peer: the other provinces")
    if settings.province in {p.province for p in peers}:
        raise FederationError("a province does not bridge to itself")
    if len({p.province for p in peers}) != len(peers):
        raise FederationError("each peer province once")
    if not 0 < settings.port < 65536:
        raise FederationError("--listen-port: 1..65535")
    hub_section(settings)  # checks the policy
    if not sans:
        raise FederationError("the federation certificate needs a host name (--san)")
    with deployment.locked():
        broker = deployment.load_settings()
        if settings.port in (broker.port, broker.loopback_port):
            raise DeploymentError("the federation port must differ from the broker's ports")
        ca = federation_ca(Path(federation_ca_dir))
        files = FederationFiles.under(deployment.federation_dir)
        issue_province(ca, settings.province, list(dict.fromkeys(sans)), files)
        save_settings(deployment.federation_toml, settings)
        hub_toml = deployment.hub_toml.read_text(encoding="utf-8")
        write_public(
            deployment.hub_toml, with_section(hub_toml, "federation", hub_section(settings))
        )
        with Registry(deployment.hub_db) as registry:
            write_broker_files(deployment, registry)
    return ProvinceResult(settings, files, None)
