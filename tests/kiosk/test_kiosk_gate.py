"""Gate mode on the simulated sensor (real pty, real driver) and gpiozero's MockFactory."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from edge_agent.config import SensorSection, UnitConfig
from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from khidmat_wire import decode, make_envelope
from kiosk.app import KioskApp, build_app
from kiosk.sim import SIM_OFFICER, SIM_PIN, seed_store, watchlist_entries
from tests.kiosk.waits import wait_until


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, int, str, str, str]]:
    return watchlist_entries()


@pytest.fixture(scope="module")
def module_sensor() -> Iterator[object]:
    from edge_agent.sensor import open_sensor

    section = SensorSection(backend="sim", model="r307", baud=115200, packet_size=256)
    with open_sensor(section, sim_wire_delay=False) as s:
        yield s


@pytest.fixture
def sensor(module_sensor: object) -> Iterator[object]:
    """The module's simulated sensor (opening one costs seconds), with no finger on it."""
    module_sensor.simulator.lift()  # type: ignore[attr-defined]
    yield module_sensor
    module_sensor.simulator.lift()  # type: ignore[attr-defined]


@pytest.fixture
def gate_app(
    unit: Callable[[str], UnitConfig],
    store: LocalStore,
    sensor: object,
    entries: list,
    fixed_now_s: float,
) -> Iterator[Callable[..., KioskApp]]:
    apps: list[KioskApp] = []

    def make(**options: object) -> KioskApp:
        seed_store(store, entries=entries, issued_at_ms=int(fixed_now_s * 1000) - 3_600_000)
        app = build_app(
            "gate",
            unit("gate"),
            store=store,
            sensor=sensor,
            clock=SettableClock(int(fixed_now_s * 1000)),
            **options,
        )  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield make


def scans(store: LocalStore) -> list:
    return [decode(r.payload) for r in store.due_records(2**62, 100) if r.kind == "scan"]


async def sign_in(pilot) -> None:
    pilot.app.screen.query_one("#badge").value = SIM_OFFICER
    pilot.app.screen.query_one("#pin").value = SIM_PIN
    await pilot.click("#sign-in")
    # current before it is composed: wait for its prompt too
    await wait_until(
        pilot,
        lambda: (
            pilot.app.screen.__class__.__name__ == "GateScreen"
            and bool(pilot.app.screen.query("#prompt"))
        ),
    )


async def test_sign_in_refuses_wrong_pin_and_locks_after_five(
    gate_app: Callable[..., KioskApp],
) -> None:
    from kiosk.screens.signin import MAX_FAILURES, SignInScreen

    app = gate_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for attempt in range(MAX_FAILURES + 1):
            pilot.app.screen.query_one("#badge").value = SIM_OFFICER
            pilot.app.screen.query_one("#pin").value = (
                "999999" if attempt < MAX_FAILURES else SIM_PIN
            )
            pilot.app.screen.query_one("#pin").focus()
            await pilot.press("enter")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, SignInScreen)
            error = str(app.screen.query_one("#error").render())
            if attempt == 0:
                assert "not accepted" in error
        # the right PIN is refused during the lockout
        assert "Too many failed sign-ins" in error


async def test_red_verdict_gpio_decision_and_green(
    gate_app: Callable[..., KioskApp], store: LocalStore, sensor: object
) -> None:
    from kiosk.screens.gate import GateScreen
    from kiosk.screens.sim_panel import sim_image

    app = gate_app()
    board = app.context.board
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        screen = app.screen
        assert isinstance(screen, GateScreen)
        await wait_until(pilot, lambda: "Place" in str(screen.query_one("#prompt").render()))
        status = str(screen.query_one("#status-line").render())
        # the sign-in itself is reported to the hub (no agent runs here: it waits)
        assert "Watchlist v1, 3 entries, 60 min old" in status and "Link: 1 waiting" in status
        sensor.simulator.place(sim_image("wanted"))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: screen.outcome is not None)
        assert screen.outcome.identification.verdict == "red"
        sensor.simulator.lift()  # type: ignore[attr-defined]
        assert "PROBABLE MATCH" in str(screen.query_one("#verdict").render())
        assert "Gul Khan (BAL-000101)" in str(screen.query(".candidate").first().render())
        assert board.indicators.lit() == "red" and not board.relay.is_open
        # the scan is queued at once; next person needs a decision first
        [first] = scans(store)
        assert first.body.verdict == "red" and first.body.decision == "none"
        assert first.body.candidates[0].person_id == "BAL-000101"
        await pilot.press("f5")
        await pilot.pause()
        assert "first" in str(screen.query_one("#decision-error").render())
        await pilot.click("#reject")
        await pilot.pause()
        assert "reason" in str(screen.query_one("#decision-error").render())
        screen.query_one("#reason").value = "twin brother [b]ID checked"
        await pilot.click("#confirm")
        await pilot.pause()
        decision = [s for s in scans(store) if s.body.decides]
        assert len(decision) == 1
        assert decision[0].body.decides == first.record_id
        assert (decision[0].body.decision, decision[0].body.decision_reason) == (
            "confirmed",
            "twin brother [b]ID checked",
        )
        await pilot.click("#next")
        await wait_until(
            pilot,
            lambda: screen.outcome is None and "Place" in str(screen.query_one("#prompt").render()),
        )
        sensor.simulator.place(sim_image("stranger"))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: screen.outcome is not None)
        assert screen.outcome.identification.verdict == "green"
        assert board.indicators.lit() == "green" and board.relay.is_open
        screen.refresh_status()
        # three scans and the sign-in report
        assert "Link: 4 waiting" in str(screen.query_one("#status-line").render())
        await pilot.press("f9")
        await pilot.pause()
        assert not board.relay.is_open


async def test_poor_print_is_retaken(gate_app: Callable[..., KioskApp], sensor: object) -> None:
    from kiosk.screens.sim_panel import sim_image

    app = gate_app()
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        screen = app.screen
        await wait_until(pilot, lambda: "Place" in str(screen.query_one("#prompt").render()))
        sensor.simulator.place(sim_image("partial"))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "too poor" in str(screen.query_one("#prompt").render()))
        sensor.simulator.lift()  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "Place" in str(screen.query_one("#prompt").render()))
        # the hub made the thresholds stricter: the offender's score is now "possible"
        # (fused scores: one finger adds at most matcher_cy.params.FUSION_FINGER_CAP)
        app.context.store.put_setting("gate.red_threshold", "0.9")
        app.context.store.put_setting("gate.yellow_threshold", "0.02")
        sensor.simulator.place(sim_image("offender"))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: screen.outcome is not None)
        assert screen.outcome.identification.candidates[0].person_id == "BAL-000102"
        assert screen.outcome.identification.verdict == "yellow"
        assert app.context.board.indicators.lit() == "amber"
        assert "POSSIBLE" in str(screen.query_one("#verdict").render())
        await pilot.pause()  # the verdict's candidates and buttons laid out before the click
        await pilot.click("#confirm")
        await wait_until(
            pilot, lambda: "reason" in str(screen.query_one("#decision-error").render())
        )
        assert not screen.decided
        screen.query_one("#reason").value = "scar on left hand matches record"
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: screen.decided)


async def test_hub_alert_and_hardware_commands(
    gate_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    from khidmat_wire import encode
    from khidmat_wire.messages import Alert, Command
    from kiosk.screens.alert import AlertScreen

    app = gate_app(poll_interval_s=0.1)
    alert = make_envelope(
        "alert",
        "hub",
        Alert(
            "019ad3a4-5f1e-7c2a-9b1e-0c8f6a2d4e11",
            "BAL-777",
            "[@click=app.quit]Zar[/]",
            "wanted",
            0.4,
            "Hold [/b] and call the SHO",
        ),
    )
    commands = [
        make_envelope("command", "hub", Command(c)) for c in ("gate-test", "sensor-selftest")
    ]
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        store.add_inbox(alert.record_id, "alert", encode(alert))
        for command in commands:
            store.add_inbox(command.record_id, "command", encode(command))
        await wait_until(pilot, lambda: isinstance(app.screen, AlertScreen))
        assert (
            str(app.screen.query_one("#alert-name").render()) == "[@click=app.quit]Zar[/] (BAL-777)"
        )
        assert str(app.screen.query_one("#alert-message").render()) == "Hold [/b] and call the SHO"
        # Seen has focus: the officer acknowledges with Enter
        await wait_until(pilot, lambda: getattr(app.focused, "id", None) == "seen")
        # (the command results' notifications may cover the button: keys always work)
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: not store.unhandled_inbox(["alert", "command"]),
            what=lambda: (store.unhandled_inbox(["alert", "command"]), store.audit_log(5)),
        )
        assert app.is_running
    events = [decode(r.payload) for r in store.due_records(2**62, 100) if r.kind == "event"]
    results = {e.body.ref: e.body for e in events}
    assert results[commands[0].record_id].severity == "info"
    assert "relay opened" in results[commands[0].record_id].detail
    assert results[commands[1].record_id].severity == "info"
    assert "r307" in results[commands[1].record_id].detail


async def test_the_other_provinces_verdict_is_shown_at_the_gate(
    gate_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    from khidmat_wire import encode
    from khidmat_wire.messages import Federated, FederatedCandidate
    from kiosk.screens.federated import FederatedScreen

    app = gate_app(poll_interval_s=0.1)
    scan = "019ad3a4-5f1e-7c2a-9b1e-0c8f6a2d4e11"
    red = make_envelope(
        "federated",
        "hub",
        Federated(
            scan,
            "red",
            (
                FederatedCandidate(
                    "sindh", "sindh-0123456789abcdef", "red", "wanted", 0.31, "[b]Sindh[/b] desk"
                ),
            ),
            ("sindh", "punjab"),
            ("punjab",),
            "Detain [/b] and call Sindh",
        ),
    )
    green = make_envelope(
        "federated", "hub", Federated(scan, "green", (), ("sindh",), (), "No match elsewhere.")
    )
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        store.add_inbox(green.record_id, "federated", encode(green))
        await wait_until(pilot, lambda: not store.unhandled_inbox(["federated"]))
        assert not isinstance(app.screen, FederatedScreen)  # green: a notice, not a dialog
        store.add_inbox(red.record_id, "federated", encode(red))
        await wait_until(pilot, lambda: isinstance(app.screen, FederatedScreen))
        shown = str(app.screen.query_one("#federated-0").render())
        assert shown == (
            "sindh: sindh-0123456789abcdef, red, wanted, score 0.310; call [b]Sindh[/b] desk"
        )
        assert str(app.screen.query_one("#federated-message").render()) == (
            "Detain [/b] and call Sindh"
        )
        assert str(app.screen.query_one("#federated-missing").render()) == "not answered: punjab"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not store.unhandled_inbox(["federated"]))
        assert app.is_running


async def test_no_watchlist_no_scanning_until_one_arrives(
    unit: Callable[[str], UnitConfig],
    store: LocalStore,
    sensor: object,
    entries: list,
    fixed_now_s: float,
) -> None:
    seed_store(store, entries=None, issued_at_ms=0)
    app = build_app(
        "gate",
        unit("gate"),
        store=store,
        sensor=sensor,
        clock=SettableClock(int(fixed_now_s * 1000)),
        poll_interval_s=0.1,
    )
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        screen = app.screen
        await wait_until(pilot, lambda: "No watchlist" in str(screen.query_one("#prompt").render()))
        assert "NONE installed" in str(screen.query_one("#status-line").render())
        assert screen.query_one("#status-line").has_class("stale")
        # the agent installs the hub's watchlist: the gate loads it and starts scanning
        store.replace_watchlist(2, int(fixed_now_s * 1000), entries)
        await wait_until(pilot, lambda: "Place" in str(screen.query_one("#prompt").render()))
        assert screen.gallery is not None and screen.gallery.version == 2


async def test_a_prompt_that_arrives_while_the_gate_has_no_widgets_is_kept(
    gate_app: Callable[..., KioskApp],
) -> None:
    """A scan worker's prompt can reach the gate screen while its widgets are gone (the
    app closing after the last scan, or a recompose): the gate keeps running and shows
    the latest prompt once it has widgets again (a CI run once failed on this)."""
    from kiosk.screens.gate import PROMPTS, GateScreen

    app = gate_app()
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        screen = app.screen
        assert isinstance(screen, GateScreen)
        await wait_until(pilot, lambda: "Place" in str(screen.query_one("#prompt").render()))
        app.workers.cancel_group(screen, "scan")
        await screen.query("*").remove()
        for stage in ("lift", "retry", "error", "place"):
            screen.post_message(GateScreen.Prompt(stage, "12"))
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.screen is screen
        assert not screen.query("#prompt")
        await screen.recompose()
        shown = str(screen.query_one("#prompt").render())
        assert PROMPTS["place"].format(detail="12") in shown


async def test_idle_officer_is_signed_out(
    gate_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    from kiosk.screens.signin import SignInScreen

    app = gate_app(officer_idle_s=1.0, poll_interval_s=0.1)
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen), timeout_s=10)
        assert not app.context.board.relay.is_open
    assert any(action == "signed out (idle)" for _, _, action, _ in store.audit_log(10))


async def test_two_finger_list_asks_right_then_left_index_and_records_a_missing_one(
    unit: Callable[[str], UnitConfig], store: LocalStore, sensor: object, fixed_now_s: float
) -> None:
    """A list enrolled on both index fingers: the gate asks for each, fuses both scores,
    and a finger the officer marks missing (F6) is recorded; the search then runs on one."""
    import base64

    from kiosk.screens.gate import GateScreen
    from kiosk.sim import sim_finger_image
    from matcher_cy import extract
    from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

    def entry(finger_id: int, position: int) -> tuple[str, int, str, str, str]:
        template = extract(sim_finger_image(finger_id, 0)).to_bytes()
        encoded = base64.b64encode(template).decode()
        return ("BAL-000301", position, "Two Fingers", "wanted", encoded)

    seed_store(
        store,
        entries=[entry(61, RIGHT_INDEX), entry(62, LEFT_INDEX)],
        issued_at_ms=int(fixed_now_s * 1000) - 60_000,
    )
    app = build_app(
        "gate",
        unit("gate"),
        store=store,
        sensor=sensor,
        clock=SettableClock(int(fixed_now_s * 1000)),
    )
    async with app.run_test(size=(120, 45)) as pilot:
        await sign_in(pilot)
        screen = app.screen
        assert isinstance(screen, GateScreen)

        def prompt() -> str:
            return str(screen.query_one("#prompt").render())

        await wait_until(pilot, lambda: "RIGHT INDEX" in prompt(), what=prompt)
        sensor.simulator.place(sim_finger_image(61, 2))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "Lift" in prompt(), what=prompt)
        sensor.simulator.lift()  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "LEFT INDEX" in prompt(), what=prompt)
        sensor.simulator.place(sim_finger_image(62, 2))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: screen.outcome is not None, 60, prompt)
        sensor.simulator.lift()  # type: ignore[attr-defined]
        found = screen.outcome.identification
        assert found.fingers == (RIGHT_INDEX, LEFT_INDEX) and found.missing == ()
        assert found.candidates[0].person_id == "BAL-000301" and found.verdict != "green"
        line = str(screen.query(".candidate").first().render())
        assert "right index 0." in line and "left index 0." in line
        screen.query_one("#reason").value = "identity checked"
        await pilot.pause()  # the verdict's candidates and buttons laid out before the click
        screen.query_one("#confirm").scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: screen.decided, what=lambda: "the decision")
        await pilot.press("f5")
        # the left index is injured: F6 records it, the search runs on the right index only
        await wait_until(pilot, lambda: "RIGHT INDEX" in prompt(), what=prompt)
        sensor.simulator.place(sim_finger_image(61, 3))  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "Lift" in prompt(), what=prompt)
        sensor.simulator.lift()  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "LEFT INDEX" in prompt(), what=prompt)
        await pilot.press("f6")
        await wait_until(pilot, lambda: screen.outcome is not None, 60, prompt)
        found = screen.outcome.identification
        assert found.fingers == (RIGHT_INDEX,) and found.missing == (LEFT_INDEX,)
        hints = " ".join(str(hint.render()) for hint in screen.query(".hint"))
        assert "left index: recorded missing or injured" in hints and "ONE finger" in hints
    # the scan records carry every finger captured, so the hub searches the same fingers
    queued = [e.body for e in scans(store)]
    assert len(queued) == 3
    (decided,) = [b for b in queued if b.decides]
    (one,) = [b for b in queued if b.missing]
    (first,) = [b for b in queued if b is not decided and b is not one]
    assert (first.finger, [f.finger for f in first.more_fingers]) == (RIGHT_INDEX, [LEFT_INDEX])
    from matcher_cy import Template, match_score

    left = Template.from_bytes(base64.b64decode(first.more_fingers[0].template))
    enrolled = {f: extract(sim_finger_image(f, 0)) for f in (61, 62)}
    assert match_score(left, enrolled[62]) > 2 * match_score(left, enrolled[61])  # the left
    assert decided.more_fingers == first.more_fingers and decided.template == first.template
    assert (one.finger, one.more_fingers, one.missing) == (RIGHT_INDEX, (), (LEFT_INDEX,))
