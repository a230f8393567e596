"""Cross-province identification: a gate search forwarded to the other provinces' hubs.

Each province runs its own hub, broker and record store; the brokers are joined by
Mosquitto bridges (``khidmat provision province`` writes them), over which only two kinds
travel (khidmat_wire.topics): ``fed-ask`` on ``khidmat/v1/fed/<asker>/ask`` carries a gate
search's probe templates, the gate, the officer and a deadline; ``fed-answer`` on
``khidmat/v1/fed/<province>/answer/<asker>`` carries that province's candidates as
references (``<province>-<16 hex>``) with a level (red/yellow), the record's category
(wanted, ...) and score, and the province's contact desk. Records, names, CNICs and
addresses never leave their province.

Asking: after the hub's own search of a new gate scan (:class:`hub.search_worker.SearchWorker`
calls :meth:`Federation.forward`), the scan is forwarded when the home search found nobody
(policy ``no-hit``) or always (``every``): a ``fed_queries`` row, then the ask. Answers are
stored as they come (``fed_replies``); when every province asked has answered, or at the
deadline, the query is finished once (a claim in the database) and the gate is sent a
``federated`` downlink: the verdict, the candidates that arrived, and the provinces that
did not answer. A red candidate also raises a console alert. An answer after the
deadline is kept as ``late`` and changes nothing.

Answering: an ask from another province is claimed in ``fed_answers`` (a copy is
answered once), searched against this province's galleries
(:meth:`hub.identify.Identifier.search`) and answered with red and yellow candidates only.
An ask past its deadline is audited as ``expired`` and not searched; one that arrives
while the galleries load as ``not-ready`` (the asker lists this province as not answered).

A province's asks are answered at most ``[federation] asks_per_s`` a second (bursts of
twice as many): a flood from one province cannot take the galleries from the home gates'
searches; the asks over it are dropped (counted, logged once per ``THROTTLE_LOG_S``, not
audited row by row) and the asker's gates name this province as not answered.

Hostile input: every federation message is decoded by the codec like a unit's record; the
publishing province in the topic must be the body's, an answer must be for this province
and for a query it asked that province. Anything else goes to ``quarantine`` with the
codec's reason (which never repeats the text) and the hub carries on. The broker's ACL
already confines each province's bridge identity to its own topics.

Threads: messages arrive on paho's thread and are queued; one ``hub-federation`` thread
answers asks, takes answers and finishes due queries (waking at the next deadline);
:meth:`forward` runs on the search thread. Cost of an answer: one search of this
province's galleries (see ``khidmat bench gallery``) plus a few statements.
"""

from __future__ import annotations

import base64
import binascii
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hub.store import HubStore
from hub.store import federation as table
from khidmat_base import clock
from khidmat_wire import WireError, decode, encode, make_envelope
from khidmat_wire.messages import (
    FedAnswer,
    FedAsk,
    FedCandidate,
    Federated,
    FederatedCandidate,
    FedProbe,
)
from khidmat_wire.topics import (
    FED_PREFIX,
    fed_answer_filter,
    fed_answer_topic,
    fed_ask_filter,
    fed_ask_topic,
    parse_fed_topic,
)

if TYPE_CHECKING:
    from hub.alerts import AlertBoard
    from hub.federation.settings import FederationSettings
    from hub.identify import Identifier, SearchResult
    from khidmat_wire.codec import Envelope

log = logging.getLogger(__name__)

SEARCH_K = 10
"""Persons searched per ask; only red and yellow ones are answered."""
IDLE_WAIT_S = 0.25
"""Longest sleep of the federation thread with no query open."""
STOP_TIMEOUT_S = 5.0
ALERT_KIND = "federated-hit"
THROTTLE_LOG_S = 10.0
"""At most one warning per asking province this often while its asks are dropped."""


class Refused(ValueError):
    """A federation message that decodes but may not be acted on (wrong province, unknown
    query); the message names why, never the payload's text."""


class Federation:
    """Both sides of cross-province searches for one hub worker process."""

    def __init__(
        self,
        settings: FederationSettings,
        store: HubStore,
        identifier: Identifier,
        alerts: AlertBoard,
        *,
        publish: Callable[[str, bytes], bool],
        publish_downlinks: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.province = settings.province
        self.store = store
        self.db = store.db
        self.identifier = identifier
        self.alerts = alerts
        self.publish = publish
        self.publish_downlinks = publish_downlinks
        self._inbox: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.asked = 0
        self.answered = 0
        self.finished = 0
        self.refused = 0
        self.throttled = 0
        self._buckets: dict[str, tuple[float, float]] = {}
        """Asking province -> (tokens, monotonic time of the last refill)."""
        self._throttle_logged: dict[str, tuple[float, int]] = {}
        table.migrate(self.db)

    # ------------------------------------------------------------------ wiring

    def subscriptions(self) -> list[str]:
        """Every province's asks and every answer to this province."""
        return [fed_ask_filter(), fed_answer_filter(self.province)]

    @staticmethod
    def is_federation_topic(topic: str) -> bool:
        return topic.startswith(FED_PREFIX + "/")

    def receive(self, topic: str, payload: bytes) -> None:
        """Queue a message from the broker (paho's thread; never blocks)."""
        self._inbox.put((topic, payload))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hub-federation", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._inbox.put(None)
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=self._wait_s())
            except queue.Empty:
                item = ()  # type: ignore[assignment]
            if item is None:
                return
            if item:
                try:
                    self.handle(*item)
                except Exception:  # one bad message must not end federation
                    log.exception("federation message failed")
            try:
                self.finish_due()
            except Exception:
                log.exception("finishing due federated searches failed")

    def _wait_s(self) -> float:
        deadline = table.next_deadline_ms(self.db)
        if deadline is None:
            return IDLE_WAIT_S
        return min(IDLE_WAIT_S, max(0.0, (deadline - clock.now_ms()) / 1000))

    # ------------------------------------------------------------------ asking

    def forward(self, envelope: Envelope, outcome: SearchResult | None) -> str | None:
        """Forward a searched gate scan to the other provinces when the policy says so;
        returns the query id, or None when not forwarded (home hit under ``no-hit``, a bad
        probe, a decision record, or already forwarded)."""
        if outcome is None or outcome.result == "bad-probe" or envelope.body.decides:
            return None
        if self.settings.policy == "no-hit" and outcome.result == "hit":
            return None
        body = envelope.body
        now = clock.now_ms()
        deadline = now + int(self.settings.deadline_s * 1000)
        probes = (FedProbe(body.finger, body.template),) + tuple(
            FedProbe(extra.finger, extra.template) for extra in body.more_fingers
        )
        ask = make_envelope(
            "fed-ask",
            self.province,
            FedAsk(
                self.province,
                envelope.record_id,
                envelope.device_id,
                body.officer,
                probes,
                deadline,
            ),
            now_ms=now,
        )
        with self.db.write() as conn:
            opened = table.open_query(
                conn,
                query_id=ask.record_id,
                scan_id=envelope.record_id,
                device_id=envelope.device_id,
                officer=body.officer,
                home_result=outcome.result,
                asked=self.settings.provinces,
                asked_ms=now,
                deadline_ms=deadline,
            )
        if not opened:
            return None
        if not self.publish(fed_ask_topic(self.province), encode(ask)):
            log.warning("scan %s: the ask could not be published now", envelope.record_id)
        self.asked += 1
        self._inbox.put(("", b""))  # wake the thread: a new deadline
        return ask.record_id

    def _take_answer(self, envelope: Envelope) -> None:
        body: FedAnswer = envelope.body
        known = table.query(self.db, body.query_id)
        if known is None or body.province not in known.asked:
            raise Refused("an answer to a query this hub did not ask that province")
        with self.db.write() as conn:
            stored, held = table.add_reply(
                conn,
                body.query_id,
                body.province,
                received_ms=clock.now_ms(),
                result=body.result,
                candidates=[
                    {"ref": c.ref, "level": c.level, "category": c.category, "score": c.score}
                    for c in body.candidates
                ],
                desk=body.desk,
            )
        if stored and held >= len(known.asked):
            self.finish(body.query_id)

    def finish_due(self) -> int:
        """Finish every open query whose deadline has passed; returns how many."""
        done = 0
        for query_id in table.due_queries(self.db, clock.now_ms()):
            done += self.finish(query_id)
        return done

    def finish(self, query_id: str) -> bool:
        """Close a query and send the gate its federated verdict (once; False when it was
        finished already)."""
        now = clock.now_ms()
        with self.db.write() as conn:
            closed = table.finish(conn, query_id, finished_ms=now)
            if closed is None:
                return False
            query, replies = closed
            candidates = sorted(
                (
                    FederatedCandidate(
                        reply.province,
                        str(c["ref"]),
                        str(c["level"]),
                        str(c["category"]),
                        float(c["score"]),  # type: ignore[arg-type]
                        reply.desk,
                    )
                    for reply in replies
                    for c in reply.candidates
                ),
                key=lambda c: (c.level != "red", -c.score),
            )[:30]
            answered = {reply.province for reply in replies}
            missing = tuple(p for p in query.asked if p not in answered)
            verdict = (
                "red"
                if any(c.level == "red" for c in candidates)
                else "yellow"
                if candidates
                else "green"
            )
            table.record_verdict(conn, query_id, verdict, missing)
            HubStore.queue_downlink(
                conn,
                query.device_id,
                "federated",
                Federated(
                    query.scan_id,
                    verdict,
                    tuple(candidates),
                    query.asked,
                    missing,
                    _message(verdict, candidates, missing),
                ),
            )
            if verdict == "red":
                best = candidates[0]
                self.alerts.raise_alert(
                    f"federated:{query.scan_id}",
                    ALERT_KIND,
                    "critical",
                    query.device_id,
                    f"{best.province} holds a {best.category} record for a scan at "
                    f"{query.device_id}",
                    f"scan {query.scan_id}: {best.province} reference {best.ref} "
                    f"({best.level}, score {best.score:.3f}); call {best.desk or best.province}"
                    + (f"; not answered: {', '.join(missing)}" if missing else ""),
                    conn=conn,
                )
        self.finished += 1
        self.publish_downlinks()
        return True

    # --------------------------------------------------------------- answering

    def _answer(self, envelope: Envelope) -> None:
        ask: FedAsk = envelope.body
        received = clock.now_ms()
        with self.db.write() as conn:
            claimed = table.claim_ask(
                conn,
                query_id=envelope.record_id,
                asker=ask.province,
                scan_id=ask.scan_id,
                gate=ask.gate,
                officer=ask.officer,
                received_ms=received,
            )
        if not claimed:
            return  # a copy (QoS 1 re-delivery): answered once
        started = time.perf_counter()
        if received > ask.deadline_ms:
            self._audit(envelope, "expired", (), started)
            return
        if not self.identifier.ready.is_set():
            self._audit(envelope, "not-ready", (), started)
            return
        try:
            probes = _probes(ask)
        except ValueError as error:
            log.warning(
                "ask %s from %s: unusable probe: %s", envelope.record_id, ask.province, error
            )
            self._reply(envelope, "bad-probe", (), started)
            return
        self.identifier.sync()
        found = self.identifier.search(probes, SEARCH_K)
        persons = self.identifier.persons
        graded: list[tuple[str, str, float]] = []  # person, level, score
        for candidate in found:
            red = self.identifier.threshold(candidate.fingers)
            yellow = self._yellow(candidate.fingers, red)
            if candidate.score >= red:
                graded.append((candidate.person, "red", candidate.score))
            elif candidate.score >= yellow:
                graded.append((candidate.person, "yellow", candidate.score))
        result = (
            "hit"
            if any(level == "red" for _, level, _ in graded)
            else "possible"
            if graded
            else "no-hit"
        )
        with self.db.write() as conn:
            refs = table.refs_for(conn, self.province, [p for p, _, _ in graded], received)
        rows = []
        for person_id, level, score in graded:
            person = self.identifier.records.get(person_id)
            if person is None:  # removed since the search
                continue
            rows.append((refs[person_id], person_id, level, round(score, 6), person.status))
        self._reply(envelope, result, rows, started, persons=persons)

    def _yellow(self, fingers: int, red: float) -> float:
        if self.identifier.fixed_threshold is not None:
            return red
        from matcher_cy.decision import yellow_threshold

        return yellow_threshold(self.identifier.persons, min(2, max(1, fingers)))

    def _reply(
        self,
        envelope: Envelope,
        result: str,
        rows: list[tuple[str, str, str, float, str]] | tuple[()],
        started: float,
        *,
        persons: int = 0,
    ) -> None:
        ask: FedAsk = envelope.body
        answer = make_envelope(
            "fed-answer",
            self.province,
            FedAnswer(
                self.province,
                envelope.record_id,
                result,
                tuple(
                    FedCandidate(ref, level, status, score) for ref, _, level, score, status in rows
                ),
                self.settings.desk,
                persons,
            ),
        )
        self.publish(fed_answer_topic(self.province, ask.province), encode(answer))
        self.answered += 1
        self._audit(
            envelope,
            result,
            tuple((ref, person, level, score) for ref, person, level, score, _ in rows),
            started,
            persons=persons,
        )

    def _audit(
        self,
        envelope: Envelope,
        result: str,
        candidates: tuple[tuple[str, str, str, float], ...],
        started: float,
        *,
        persons: int = 0,
    ) -> None:
        table.finish_ask(
            self.db,
            envelope.record_id,
            envelope.body.province,
            result=result,
            candidates=candidates,
            persons=persons,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    # ------------------------------------------------------------------ intake

    def handle(self, topic: str, payload: bytes) -> None:
        """Act on one federation message; an invalid or refused one is quarantined."""
        if not topic:
            return  # a wake-up
        province: str | None = None
        record_id: str | None = None
        try:
            parsed = parse_fed_topic(topic)
            province = parsed.province
            envelope = decode(payload, expected_kind=parsed.kind)
            record_id = envelope.record_id
            body = envelope.body
            if envelope.device_id != parsed.province or body.province != parsed.province:
                raise Refused("the sending province differs from the topic's")
            if parsed.province == self.province:
                return  # our own ask, heard on the shared filter
            if parsed.kind == "fed-ask":
                if parsed.province not in self.settings.provinces:
                    raise Refused("an ask from a province this hub does not federate with")
                if self._take_token(parsed.province):
                    self._answer(envelope)
            else:
                if parsed.asker != self.province:
                    raise Refused("an answer addressed to another province")
                self._take_answer(envelope)
        except (WireError, Refused) as error:
            self.refused += 1
            log.warning("federation message on %s refused: %s", topic[:120], error)
            self.store.quarantine([(topic, payload, f"federation: {error}", province, record_id)])

    def _take_token(self, province: str) -> bool:
        """True when ``province``'s ask may be answered now (its token bucket)."""
        rate = self.settings.asks_per_s
        burst = 2 * rate
        now = time.monotonic()
        tokens, last = self._buckets.get(province, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens >= 1:
            self._buckets[province] = (tokens - 1, now)
            return True
        self._buckets[province] = (tokens, now)
        self.throttled += 1
        logged_at, dropped = self._throttle_logged.get(province, (0.0, 0))
        if now - logged_at >= THROTTLE_LOG_S:
            log.warning(
                "asks from %s over %g/s: %d dropped since the last warning",
                province, rate, dropped + 1,
            )  # fmt: skip
            self._throttle_logged[province] = (now, 0)
        else:
            self._throttle_logged[province] = (logged_at, dropped + 1)
        return False

    # ------------------------------------------------------------------- audit

    def queries(self, limit: int = 200) -> list[dict[str, object]]:
        """The asking side's audit: forwarded searches with each province's reply."""
        return table.queries(self.db, limit)

    def answers(self, limit: int = 200) -> list[dict[str, object]]:
        """The answering side's audit: asks received and what was answered."""
        return table.answers(self.db, limit)


def _probes(ask: FedAsk) -> dict[int, object]:
    """ISO position -> probe template; ValueError naming the probe that does not decode."""
    from matcher_cy import Template, TemplateFormatError

    probes: dict[int, object] = {}
    for index, probe in enumerate(ask.probes):
        try:
            probes[probe.finger] = Template.from_bytes(
                base64.b64decode(probe.template, validate=True)
            )
        except (TemplateFormatError, binascii.Error, ValueError) as error:
            raise ValueError(f"probes[{index}]: {error}") from None
    return probes


def _message(verdict: str, candidates: list[FederatedCandidate], missing: tuple[str, ...]) -> str:
    """What the gate officer is told (no name: the holding province's desk has the record)."""
    if verdict == "red":
        best = candidates[0]
        text = (
            f"{best.province.title()} holds a {best.category} record (reference {best.ref}). "
            f"Detain and call {best.desk or best.province} with the reference."
        )
    elif verdict == "yellow":
        best = candidates[0]
        text = (
            f"Possible match in {best.province.title()} (reference {best.ref}): verify identity "
            f"and call {best.desk or best.province}."
        )
    else:
        text = "No other province that answered holds this person."
    if missing:
        text += f" Not answered in time: {', '.join(missing)} (not searched)."
    return text[:500]


__all__ = ["Federation", "Refused"]
