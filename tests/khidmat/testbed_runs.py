"""Steps of a delivery run on a whole-deployment :class:`khidmat.testbed.Testbed`, shared by
the tests that disturb one (a hub killed, a worker killed, the database server crashing)."""

from __future__ import annotations

import time

from khidmat.testbed import DeliveryCheck, Testbed

SETTLE_S = 10.0
"""How long :func:`delivered` waits, after the outboxes are empty, for the hub's last
commits to be seen (a unit's ack can land before this process sees the commit)."""


def start_mid_stream(
    testbed: Testbed, records_per_unit: int, *, workers: int = 1, timeout_s: float = 30.0
) -> dict[str, list[str]]:
    """Queue ``records_per_unit`` complaints in every unit's outbox, start ``workers`` hub
    processes and every unit's agent, and return once the hub holds a record (or after
    ``timeout_s``): the run is then under way. Returns the record ids filed, per unit."""
    filed = {device: testbed.fill_outbox(device, records_per_unit) for device in testbed.devices}
    for worker in range(workers):
        testbed.start_hub(worker)
    for device in testbed.devices:
        testbed.start_agent(device)
    deadline = time.monotonic() + timeout_s
    while not testbed.hub_record_ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    return filed


def delivered(testbed: Testbed, timeout_s: float) -> DeliveryCheck:
    """Wait until no unit has an unacknowledged record (fails the test after ``timeout_s``,
    naming how many are pending), then the delivery check: the first that finds nothing
    lost, or the one made :data:`SETTLE_S` later."""
    assert testbed.wait_delivered(timeout_s), f"still pending: {testbed.total_pending()}"
    deadline = time.monotonic() + SETTLE_S
    while True:  # the last acks can land before this process sees the hub's commit
        check = testbed.delivery_check()
        if check.lost == 0 or time.monotonic() > deadline:
            return check
        time.sleep(0.2)
