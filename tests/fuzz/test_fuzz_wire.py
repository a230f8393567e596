"""Fuzzing the wire decoders and the config loaders: no unhandled exception, every rejection explained.

Runs with the profile in HYPOTHESIS_PROFILE: "ci" (short, in every test run) or "fuzz"
(10,000 examples per target): ``HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/fuzz``.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.config import ConfigError, parse_unit_config
from hub.config import load_hub_config
from khidmat_wire import WireError, decode, encode, parse_topic
from khidmat_wire.messages import ALL_BODIES
from tests.khidmat_wire.wire_strategies import envelopes

JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _explained(error: WireError) -> None:
    assert error.field and error.reason  # every rejection names a field and says why


@given(st.binary(max_size=2000))
def test_decode_arbitrary_bytes(payload: bytes) -> None:
    try:
        decode(payload)
    except WireError as error:
        _explained(error)


@given(envelopes(), st.data())
def test_decode_mutated_valid_documents(envelope, data: st.DataObject) -> None:
    document = json.loads(encode(envelope))
    body = document["body"]
    if body:
        key = data.draw(st.sampled_from(sorted(body)))
        body[key] = data.draw(JSON_VALUES)
    if data.draw(st.booleans()):
        document[data.draw(st.sampled_from(sorted(document)))] = data.draw(JSON_VALUES)
    try:
        decoded = decode(
            json.dumps(document).encode(),
            expected_kind=data.draw(st.sampled_from(sorted(ALL_BODIES))),
        )
    except WireError as error:
        _explained(error)
    else:
        assert decode(encode(decoded)) == decoded  # whatever is accepted re-encodes to the same


@given(st.text(max_size=200))
def test_parse_topic_arbitrary_text(topic: str) -> None:
    try:
        parse_topic(topic)
    except WireError as error:
        _explained(error)


TOML_SNIPPETS = st.sampled_from(
    [
        '[device]\nid = "unit-1"\nrole = "desk"\nstation = "QTA01"\ndata_dir = "data"\n',
        "[broker]\nport = 1883\n",
        "[broker]\nprotocol = 4\n",
        "[agent]\nresend_after_s = -1\n",
        "[gpio]\npins = { relay = 99 }\n",
        '[sensor]\nbackend = "usb"\n',
        "[device]\nid = 7\n",
        "[nonsense]\n",
        "= broken",
        '[hub]\npublic_key_file = ""\n',
    ]
)


@given(st.lists(TOML_SNIPPETS | st.text(max_size=80), max_size=5))
def test_unit_config_loader(parts: list[str]) -> None:
    try:
        parse_unit_config("\n".join(parts), Path("/tmp/unit.toml"))
    except ConfigError as error:
        assert str(error)


@given(st.text(max_size=300))
def test_hub_config_loader(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz-hub.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_hub_config(path)
    except ConfigError as error:
        assert str(error)
