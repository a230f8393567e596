"""The embedded broker's pure parts: topic rules, the wire codec, config, passwords and ACLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidmat.broker import packets as p
from khidmat.broker.access import READ, WRITE, AccessFileError, AclFile, PasswordFile
from khidmat.broker.config import BrokerConfigError, parse_config
from khidmat.broker.connection import ProtocolViolation, parse_connect
from khidmat.broker.topics import TopicError, check_filter, covers, matches, split_shared
from khidmat.testbed import ACL_TEXT
from khidmat_base.mosquitto import BrokerFiles, MosquittoBroker, password_hash
from provisioning.deployment import BrokerSettings
from provisioning.operations import init_deployment


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("a/b", "a/b", True),
        ("a/+", "a/b", True),
        ("a/+", "a/b/c", False),
        ("a/#", "a", True),  # '#' also matches the parent level
        ("a/#", "a/b/c", True),
        ("+/+", "/x", True),
        ("#", "$SYS/load", False),  # wildcards never match a leading '$'
        ("+/load", "$SYS/load", False),
        ("$SYS/#", "$SYS/load", True),
        ("a/b", "a/c", False),
    ],
)
def test_topic_matching(topic_filter: str, topic: str, expected: bool) -> None:
    assert matches(topic_filter, topic) is expected


def test_filters_and_shared_subscriptions() -> None:
    for bad in ("", "a/#/b", "a/b#", "a+/b"):
        with pytest.raises(TopicError):
            check_filter(bad)
    assert split_shared("$share/hub/khidmat/v1/dev/+/up/#") == ("hub", "khidmat/v1/dev/+/up/#")
    assert split_shared("a/b") == (None, "a/b")
    with pytest.raises(TopicError):
        split_shared("$share/hub")


def test_an_acl_rule_covers_a_filter_only_when_it_matches_everything_the_filter_can() -> None:
    assert covers("khidmat/v1/dev/+/up/#", "khidmat/v1/dev/+/up/#")
    assert covers("khidmat/v1/dev/+/up/#", "khidmat/v1/dev/u1/up/complaint")
    assert not covers("khidmat/v1/dev/u1/down/#", "khidmat/v1/dev/+/down/#")
    assert not covers("khidmat/v1/dev/u1/down/#", "#")
    assert not covers("a/+/c", "a/#")


@given(st.text(alphabet="ab/+#", max_size=12), st.text(alphabet="ab/", max_size=12))
def test_a_covering_rule_matches_every_topic_the_filter_matches(rule: str, topic: str) -> None:
    try:
        check_filter(rule)
    except TopicError:
        return
    for topic_filter in (topic, topic + "/#" if topic else "#"):
        if topic_filter and covers(rule, topic_filter) and matches(topic_filter, topic):
            assert matches(rule, topic)


def test_variable_byte_integers_round_trip_at_their_limits() -> None:
    for value in (0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, p.MAX_REMAINING_LENGTH):
        assert p.Cursor(p.encode_varint(value)).varint() == value
    with pytest.raises(ValueError):
        p.encode_varint(p.MAX_REMAINING_LENGTH + 1)
    with pytest.raises(p.MalformedPacket, match="longer than 4 bytes"):
        p.Cursor(b"\xff\xff\xff\xff\x01").varint()


def test_properties_round_trip_and_unknown_ones_are_malformed() -> None:
    props = [(p.USER_PROPERTY, ("unit", "gate-1")), (p.MESSAGE_EXPIRY, 60), (p.CONTENT_TYPE, "json"),
             (p.CORRELATION_DATA, b"\x00\x01"), (p.SUBSCRIPTION_IDENTIFIER, 300)]  # fmt: skip
    assert p.Cursor(p.encode_properties(props)).properties("test") == props
    with pytest.raises(p.MalformedPacket, match="unknown property 0x7f"):
        p.Cursor(b"\x02\x7f\x00").properties("test")
    with pytest.raises(p.MalformedPacket, match="past the end"):
        p.Cursor(b"\x05\x01").properties("test")


def _connect_body(*, level: int = 5, flags: int = 0x02, client_id: str = "unit-1") -> bytes:
    body = p.encode_string("MQTT") + bytes([level, flags]) + b"\x00\x1e"
    if level == 5:
        body += p.encode_properties([(p.SESSION_EXPIRY, 3600), (p.RECEIVE_MAXIMUM, 10)])
    return body + p.encode_string(client_id)


def test_connect_is_decoded_and_its_rules_enforced() -> None:
    request = parse_connect(_connect_body())
    assert (request.protocol, request.client_id, request.keepalive_s) == (5, "unit-1", 30)
    assert (request.expiry_s, request.receive_maximum, request.clean_start) == (3600.0, 10, True)
    assert parse_connect(_connect_body(level=4)).protocol == p.PROTOCOL_311
    with pytest.raises(ProtocolViolation):
        parse_connect(_connect_body(level=6))
    with pytest.raises(p.MalformedPacket, match="reserved connect flag"):
        parse_connect(_connect_body(flags=0x03))
    with pytest.raises(p.MalformedPacket, match="will flags"):
        parse_connect(_connect_body(flags=0x08))  # will QoS without a will
    with pytest.raises(p.MalformedPacket, match="password without a user name"):
        parse_connect(_connect_body(level=4, flags=0x42))
    with pytest.raises(p.MalformedPacket, match="U\\+0000"):
        parse_connect(_connect_body(client_id="a\x00b"))


@given(st.binary(max_size=200))
def test_any_bytes_as_connect_give_a_named_error_or_a_request(data: bytes) -> None:
    try:
        request = parse_connect(data)
    except (p.MalformedPacket, ProtocolViolation) as error:
        assert str(error)  # the refusal says which rule
    else:
        assert request.protocol in (p.PROTOCOL_311, p.PROTOCOL_5)
        assert request.receive_maximum > 0 and 0 <= request.keepalive_s <= 0xFFFF


def test_password_file_checks_mosquitto_hashes() -> None:
    passwords = PasswordFile.parse(
        f"unit-1:{password_hash('s3cret')}\n\nhub:{password_hash('x')}\n"
    )
    assert passwords.check("unit-1", b"s3cret")
    assert not passwords.check("unit-1", b"S3cret")
    assert not passwords.check("unit-2", b"s3cret")
    with pytest.raises(AccessFileError, match=":1:"):
        PasswordFile.parse("unit-1:plaintext\n")


def test_acl_gives_each_unit_its_own_topics_and_the_hub_its_own() -> None:
    acl = AclFile.parse(ACL_TEXT)
    up, down = "khidmat/v1/dev/unit-1/up/complaint", "khidmat/v1/dev/unit-1/down/ack"
    assert acl.allows("unit-1", "unit-1", up, WRITE)
    assert not acl.allows("unit-2", "unit-2", up, WRITE)
    assert not acl.allows("unit-1", "unit-1", up, READ)
    assert acl.allows("unit-1", "unit-1", down, READ)
    assert not acl.allows("unit-2", "unit-2", down, READ)
    assert acl.allows("hub", "hub", up, READ) and acl.allows("hub", "hub", down, WRITE)
    assert not acl.allows(None, "anon", up, WRITE)  # %u patterns never apply without a user
    assert acl.allows_subscribe("hub", "hub", "khidmat/v1/dev/+/up/#")
    assert acl.allows_subscribe("unit-1", "unit-1", "khidmat/v1/dev/unit-1/down/#")
    assert not acl.allows_subscribe("unit-1", "unit-1", "khidmat/v1/dev/+/down/#")
    assert not acl.allows_subscribe("unit-1", "unit-1", "#")


def test_a_deny_rule_wins_and_bad_lines_are_named() -> None:
    acl = AclFile.parse("user hub\ntopic readwrite a/#\ntopic deny a/secret\n")
    assert acl.allows("hub", "hub", "a/b", READ)
    assert not acl.allows("hub", "hub", "a/secret", READ)
    with pytest.raises(AccessFileError, match=":2:"):
        AclFile.parse("user hub\nsubscribe a/b\n")


def test_the_config_provisioning_writes_is_read_whole(tmp_path: Path) -> None:
    deployment = init_deployment(
        tmp_path / "deploy", BrokerSettings(port=18883, bind="127.0.0.1", loopback_port=18884)
    )
    config = parse_config(deployment.mosquitto_conf.read_text())
    tls, plain = config.listeners
    assert (tls.port, tls.host, plain.port, plain.tls) == (18883, "127.0.0.1", 18884, None)
    assert tls.tls is not None and tls.tls[0] == deployment.ca_cert.resolve()
    assert config.password_file == deployment.password_file.resolve()
    assert config.acl_file == deployment.acl_file.resolve()
    assert not config.allow_anonymous and config.persistence_dir is not None
    assert config.persistent_client_expiration_s == 7 * 86400 and config.autosave_s == 1


def test_the_test_fixture_config_is_read_and_unknown_directives_are_refused(
    tmp_path: Path,
) -> None:
    broker = MosquittoBroker(tmp_path, BrokerFiles(users={"hub": "pw"}, acl=ACL_TEXT), implementation="embedded")  # fmt: skip
    config = parse_config(broker.conf_path.read_text())
    assert config.max_inflight_messages == 100 and config.max_queued_messages == 100_000
    with pytest.raises(BrokerConfigError, match=r"<config>:2: directive 'bridge_protocol'"):
        parse_config("listener 1883\nbridge_protocol mqttv311\n")
    with pytest.raises(BrokerConfigError, match="lacks keyfile"):
        parse_config("listener 8883\ncafile ca.pem\ncertfile s.pem\n")
    with pytest.raises(BrokerConfigError, match="no listener"):
        parse_config("allow_anonymous true\n")
