"""Re-sending paced by the hub's ack round trip, on a real broker with a real hub.

A record already published on this connection is not published again while the hub's
recent acks say it is still working through a backlog (``ACK_WAIT_FACTOR`` x the round
trip), nor before ``max_backoff_s`` while the hub has acked nothing since it was sent; it
is put off, not dropped, and re-sent when that time is up (or after a reconnect).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from edge_agent.agent import ACK_WAIT_FACTOR, Agent
from edge_agent.config import load_unit_config
from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import Testbed, sample_complaint
from khidmat_wire import make_envelope

pytestmark = pytest.mark.broker


def _attempts(agent: Agent, record_id: str, at_ms: int) -> int | None:
    """The record's attempts if it is due at ``at_ms``, else None."""
    for record in agent.store.due_records(at_ms, 100):
        if record.record_id == record_id:
            return record.attempts
    return None


def test_a_slow_hub_is_not_sent_a_record_again_until_its_round_trip_says_so(
    tmp_path: Path,
) -> None:
    with Testbed(tmp_path, ["unit-1"], resend_after_s=0.3) as testbed:
        config = load_unit_config(testbed.unit_configs["unit-1"])
        agent = Agent(config)
        agent.session.start()
        hub: HubService | None = None
        thread: threading.Thread | None = None
        try:
            assert agent.session.wait_connected(10)
            envelope = make_envelope(
                "complaint", "unit-1", sample_complaint("T001", 1, device_id="unit-1")
            )
            agent.store.enqueue(envelope)
            first_publish = time.monotonic()
            assert agent.flush() == 1  # no hub yet: nothing acks it (nor anything else)

            # Nothing acked since it was sent (a hub behind, or away): held to max_backoff_s.
            time.sleep(0.5)  # past resend_after_s (0.3 s, +20% jitter)
            assert _attempts(agent, envelope.record_id, agent._now_ms()) == 1  # due ...
            assert agent.flush() == 0 and agent.published == 1  # ... but put off
            backoff_s = config.agent.max_backoff_s
            while time.monotonic() - first_publish < backoff_s:
                assert agent.flush() == 0
                time.sleep(0.1)
            time.sleep(0.4)  # the hold is looked at again within resend_after_s
            second_publish = time.monotonic()
            assert second_publish - first_publish >= backoff_s
            assert agent.flush() == 1 and agent.published == 2  # at-least-once
            assert _attempts(agent, envelope.record_id, agent._now_ms() + 60_000) == 2

            # Acks come, taking 0.8 s: wait 1.6 s from the last publish, not resend_after_s.
            agent.ack_round_trip_s = 0.8
            agent._last_ack_at = time.monotonic()  # as _note_acks sets it
            time.sleep(0.8)  # past this attempt's backoff (0.6 s, +20% jitter)
            assert _attempts(agent, envelope.record_id, agent._now_ms()) == 2
            assert agent.flush() == 0 and agent.published == 2
            wait_s = ACK_WAIT_FACTOR * 0.8
            time.sleep(wait_s - 0.8 + 0.4)
            agent._last_ack_at = time.monotonic()
            third_publish = time.monotonic()
            assert agent.flush() == 1 and agent.published == 3
            assert third_publish - second_publish >= wait_s

            # The real hub acks it. A re-sent record's ack gives no round-trip sample (it
            # may answer any copy: Karn's rule); one published once does.
            agent.ack_round_trip_s = 0.0
            hub = HubService(load_hub_config(testbed.hub_config))
            thread = threading.Thread(target=hub.run, daemon=True)
            thread.start()
            assert hub.session.wait_connected(10)
            deadline = time.monotonic() + 30
            while agent.store.outbox_depth() and time.monotonic() < deadline:
                agent._drain_incoming(0.1)
                agent.flush()  # sent before the hub subscribed: sent again when due
            assert agent.store.outbox_depth() == 0
            assert agent.ack_round_trip_s == 0.0
            assert envelope.record_id not in agent._published_at
            once = make_envelope(
                "complaint", "unit-1", sample_complaint("T001", 2, device_id="unit-1")
            )
            agent.store.enqueue(once)
            sent_at = time.monotonic()
            assert agent.flush() == 1
            while agent.store.outbox_depth() and time.monotonic() < deadline:
                agent._drain_incoming(0.1)
            assert agent.store.outbox_depth() == 0
            assert 0.0 < agent.ack_round_trip_s <= time.monotonic() - sent_at
        finally:
            if hub is not None:
                hub.stop()
            if thread is not None:
                thread.join(10)
            agent.session.stop()
            agent.store.close()
            if hub is not None:
                hub.close()
