"""``khidmat bench ingest``: end-to-end delivery throughput through a real Mosquitto.

N real agent processes (``khidmat agent``) each deliver M complaint records from their
SQLite outbox to a real hub process and wait for every application ack. The records are
filed once every agent is online (so interpreter start-up is not counted), all at once, as
after an outage. In the same run,
the same N processes' worth of plain paho QoS 1 publishers push the same number of
same-sized messages to one QoS 1 subscriber: the broker's raw ceiling on this machine.

Figures: records_per_s = records / (last ack - first publish); p50/p99_ack_ms = first
publish to ack per record; resent = publishes beyond one per record (acks that came after
the agent's resend time); lost = in the filer's own log but never opened at the hub;
duplicated = extra side effects at the hub (complaint records beyond one per tracking
number, complaints opened twice, extra status pushes; :class:`khidmat.testbed.DeliveryCheck`).
Prints JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.store import LocalStore
from khidmat.testbed import Testbed, sample_complaint
from khidmat_wire import encode, make_envelope


def _raw_publisher(
    host: str,
    port: int,
    device_id: str,
    count: int,
    payload: bytes,
    start: object,
    done: object,
    cpus: frozenset[int] | None = None,
) -> None:
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"raw-{device_id}", protocol=paho.MQTTv5
    )
    client.username_pw_set(device_id, f"pw-{device_id}")
    client.max_inflight_messages_set(100)
    acked = threading.Semaphore(0)
    client.on_publish = lambda c, u, mid, rc, p: acked.release()
    client.connect(host, port)
    client.loop_start()
    start.wait()  # type: ignore[attr-defined]
    topic = f"khidmat/v1/dev/{device_id}/up/event"
    for _ in range(count):
        client.publish(topic, payload, qos=1)
    for _ in range(count):
        acked.acquire()
    client.disconnect()
    client.loop_stop()
    done.set()  # type: ignore[attr-defined]


def broker_raw_rate(
    testbed: Testbed,
    devices: list[str],
    records: int,
    payload: bytes,
    *,
    subscriber_cpus: frozenset[int] | None = None,
    publisher_cpus: frozenset[int] | None = None,
) -> float:
    """Messages per second from N plain QoS 1 publishers to one QoS 1 subscriber (the
    subscriber's network thread on ``subscriber_cpus``, the publishers on ``publisher_cpus``)."""
    total = len(devices) * records
    received = 0
    all_in = threading.Event()
    last = [0.0]

    def on_message(client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        nonlocal received
        received += 1
        if received == total:
            last[0] = time.perf_counter()
            all_in.set()

    subscriber = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="raw-subscriber", protocol=paho.MQTTv5
    )
    subscriber.username_pw_set("hub", "hub-secret")
    subscriber.on_message = on_message
    subscriber.connect(testbed.broker.host, testbed.broker.port)
    subscriber.subscribe("khidmat/v1/dev/+/up/event", qos=1)
    allowed = os.sched_getaffinity(0)
    if subscriber_cpus is not None:  # the network thread inherits this thread's CPUs
        os.sched_setaffinity(0, subscriber_cpus)
    try:
        subscriber.loop_start()
    finally:
        os.sched_setaffinity(0, allowed)
    time.sleep(0.3)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    dones = [context.Event() for _ in devices]
    processes = [
        context.Process(
            target=_raw_publisher,
            args=(
                testbed.broker.host,
                testbed.broker.port,
                d,
                records,
                payload,
                start,
                done,
                publisher_cpus,
            ),
        )
        for d, done in zip(devices, dones, strict=True)
    ]
    for process in processes:
        process.start()
    time.sleep(1.0 + 0.1 * len(devices))  # let every publisher connect
    first = time.perf_counter()
    start.set()
    all_in.wait(300)
    for process in processes:
        process.join(60)
    subscriber.disconnect()
    subscriber.loop_stop()
    if received < total:
        raise RuntimeError(f"raw run received {received} of {total} messages")
    return total / (last[0] - first)


def _wait_online(testbed: Testbed, names: list[str], timeout_s: float) -> None:
    import sqlite3

    from hub.store import HubStore

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with HubStore(testbed.hub_db) as hub:
                states = hub.device_states()
            online = sum(1 for state, _ in states.values() if state == "online")
        except sqlite3.OperationalError:
            online = 0
        if online >= len(names):
            return
        time.sleep(0.2)
    raise RuntimeError(f"only some of the {len(names)} agents came online within {timeout_s:.0f} s")


def cpu_split(pin: bool) -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """(hub CPUs, agent CPUs) for ``--pin``: the first allowed CPU, and the rest."""
    if not pin:
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        raise SystemExit("--pin needs at least 2 CPUs; this process may use " + str(allowed))
    return frozenset(allowed[:1]), frozenset(allowed[1:])


def cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far, all threads (0 when gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_snapshot(testbed: Testbed) -> dict[str, float]:
    return {
        "hub": sum(cpu_s(p.pid) for p in testbed.hubs),
        "agents": sum(cpu_s(p.pid) for p in testbed.agents.values()),
        "broker": cpu_s(testbed.broker.pid),
    }


def run_ingest(
    devices: int, records: int, root: Path, *, hub_workers: int = 1, pin: bool = False
) -> dict[str, float | int | str]:
    names = [f"bench-{i:03d}" for i in range(devices)]
    hub_cpus, agent_cpus = cpu_split(pin)
    load_before = os.getloadavg()[0]
    with Testbed(
        root,
        names,
        catchup_per_s=100_000,
        batch_size=200,
        resend_after_s=5.0,
        hub_workers=hub_workers,
        hub_cpus=hub_cpus,
        agent_cpus=agent_cpus,
    ) as testbed:
        payload = encode(
            make_envelope("complaint", names[0], sample_complaint("B000", 0, device_id=names[0]))
        )
        raw = broker_raw_rate(
            testbed,
            names,
            records,
            payload,
            subscriber_cpus=hub_cpus,
            publisher_cpus=agent_cpus,
        )
        for worker in range(hub_workers):
            testbed.start_hub(worker)
        for device in names:
            LocalStore(testbed.store_path(device)).close()
            testbed.start_agent(device)
        # Measure delivery, not interpreter start-up: file only once every agent is online.
        _wait_online(testbed, names, timeout_s=60 + devices)
        cpu_before = _cpu_snapshot(testbed)
        filed = {d: set(testbed.fill_outbox(d, records)) for d in names}
        delivered = testbed.wait_delivered(timeout_s=120 + devices * records / 200)
        cpu_after = _cpu_snapshot(testbed)
        times: list[tuple[int, int]] = []
        publishes = 0
        for device in names:
            with LocalStore(testbed.store_path(device)) as store:
                times += [(sent, acked) for _, sent, acked in store.delivery_times()]
                publishes += store.publish_count()
        testbed.close()
        stored = testbed.hub_record_ids("complaint")
        check = testbed.delivery_check()  # the filer's log against the hub's side effects
    expected = set().union(*filed.values())
    stored_set = set(stored)
    latencies = sorted(ack - sent for sent, ack in times)
    window_s = (
        (max(a for _, a in times) - min(s for s, _ in times)) / 1000 if times else float("nan")
    )
    total = devices * records
    records_per_s = len(stored_set & expected) / window_s
    pinned = (
        "no" if hub_cpus is None else f"hub {sorted(hub_cpus)}, agents {sorted(agent_cpus or ())}"
    )
    cpu_us = {
        f"{part}_cpu_us_per_record": round((cpu_after[part] - cpu_before[part]) / total * 1e6)
        for part in cpu_before
    }
    return {
        "records": total,
        "records_per_s": round(records_per_s, 1),
        "lost": check.lost,
        "duplicated": check.duplicated,
        "unacked": 0 if delivered else total - len(times),
        "resent": publishes - len(times),
        "p50_ack_ms": round(statistics.median(latencies), 1) if latencies else -1,
        "p99_ack_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else -1,
        "broker_raw_per_s": round(raw, 1),
        "ratio": round(records_per_s / raw, 3),
        **cpu_us,
        "pinned": pinned,
        "load_avg": f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}",
    }


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="khidmat-bench-") as directory:
        result = run_ingest(
            args.devices,
            args.records,
            Path(directory),
            hub_workers=args.hub_workers,
            pin=args.pin,
        )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1
