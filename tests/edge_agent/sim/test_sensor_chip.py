"""The simulated chip never breaks on arbitrary commands: every reply is a valid packet."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.sensor.models import get_model
from edge_agent.sensor.packets import Cmd, Packet, PacketDecoder, Pid
from edge_agent.sim.sensor_chip import SensorChip
from edge_agent.sim.sensor_engine import MatcherEngine
from edge_agent.sim.sensor_faults import FaultPlan

COMMANDS = st.sampled_from([int(c) for c in Cmd]) | st.integers(0, 255)
PACKETS = st.builds(
    Packet,
    address=st.just(0xFFFFFFFF),
    pid=st.sampled_from([Pid.COMMAND, Pid.DATA, Pid.END]),
    payload=st.tuples(COMMANDS, st.binary(max_size=40)).map(lambda t: bytes([t[0]]) + t[1]),
    checksum_ok=st.booleans(),
)


@pytest.mark.parametrize("model", ["r307", "r503"])
@given(packets=st.lists(PACKETS, max_size=12))
def test_any_command_sequence_gets_well_formed_replies(model: str, packets: list[Packet]) -> None:
    spec = get_model(model)
    chip = SensorChip(
        spec,
        engine=lambda: MatcherEngine(char_size_bytes=spec.char_size_bytes, dpi=spec.dpi),
        faults=FaultPlan(),
    )
    for packet in packets:
        reply = chip.handle(packet)
        if packet.pid != Pid.COMMAND:
            assert reply is None
            continue
        assert reply is not None
        decoded = PacketDecoder().feed(b"".join(reply.packets))
        assert len(decoded) == len(reply.packets)
        assert all(p.checksum_ok for p in decoded)
        assert decoded[0].pid == Pid.ACK
        assert 1 <= chip.baud // 9600 <= 12 and chip.packet_size in (32, 64, 128, 256)
