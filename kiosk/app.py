"""The kiosk application and :func:`build_app`, the one factory used by the CLI, demo and tests.

Modes: ``desk`` (citizens: complaint, tracking, feedback), ``gate`` (officers:
identification) and ``enrol`` (officers: enrolment). The app never talks MQTT: it writes
records to the unit's local store and reads what the agent stored (statuses, watchlist,
alerts, commands). Keys work everywhere (Tab, Enter, the footer's function keys) and so
do clicks and touches; F2 switches English/Urdu live, F3 the high-contrast theme, F12
clears everything back to the welcome screen at once (desk). An idle desk clears itself
after ``idle_timeout_s``; an officer is signed out after ``officer_idle_s`` without a
key, touch or scan.

Locked down: Textual's own keys (Ctrl-Q quit, Ctrl-P command palette with its
screenshot, keys and theme commands, the Ctrl-C "press Ctrl-Q to quit" prompt) do
nothing until a technician or officer signs in with Ctrl-T (badge and PIN), and again
once ``technician_s`` has passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.theme import Theme

from khidmat_base.clock import SYSTEM_CLOCK, Clock
from kiosk.context import MODES, KioskContext, open_context
from kiosk.i18n import DEFAULT_LANGUAGE, N_, Translator

if TYPE_CHECKING:
    from edge_agent.config import UnitConfig
    from edge_agent.gpio import GpioBoard
    from edge_agent.printer import ReceiptPrinter
    from edge_agent.sensor import FingerprintSensor
    from edge_agent.store import LocalStore, StoreFault

log = logging.getLogger(__name__)

#: A shared desk returns to the welcome screen after this long without a key or touch, s.
IDLE_TIMEOUT_S = 90.0
#: An officer is signed out after this long without a key, touch or scan, seconds.
OFFICER_IDLE_S = 900.0
#: How often the inbox (alerts, commands) and the status line are read, seconds.
POLL_INTERVAL_S = 1.0
#: How often a desk asks its receipt printer's state between receipts, seconds.
PRINTER_CHECK_S = 30.0
#: How long a technician sign-in (Ctrl-T) unlocks quit and the command palette, seconds.
TECHNICIAN_S = 300.0
#: Modes whose screens are for officers: English only (docs/decisions/kiosk-urdu-display.md).
OFFICER_MODES = frozenset({"gate", "enrol"})
#: Textual actions only a signed-in technician or officer may run (see the module docstring).
LOCKED_ACTIONS = frozenset(
    {"quit", "help_quit", "command_palette", "screenshot", "toggle_dark", "change_theme",
     "show_help_panel", "suspend_process", "bell"}
)  # fmt: skip

HIGH_CONTRAST = Theme(
    name="khidmat-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffffff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    success="#00ff00",
    warning="#ffff00",
    error="#ff4040",
    dark=True,
)
STANDARD = Theme(
    name="khidmat",
    primary="#0b6e4f",
    secondary="#1d3557",
    accent="#f4a261",
    foreground="#f1f1f1",
    background="#10201a",
    surface="#163328",
    panel="#1f4236",
    success="#2dc653",
    warning="#f6c000",
    error="#e63946",
    dark=True,
)


class KioskApp(App[None]):
    """One kiosk screen process. Build with :func:`build_app`."""

    CSS_PATH = "kiosk.tcss"
    TITLE = "Khidmat"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f2", "toggle_language", "English / اردو"),
        Binding("f3", "toggle_contrast", N_("Contrast")),
        Binding("ctrl+t", "technician", show=False, priority=True),
    ]

    language: reactive[str] = reactive(DEFAULT_LANGUAGE)

    def __init__(
        self,
        mode: str,
        context: KioskContext,
        *,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        officer_idle_s: float = OFFICER_IDLE_S,
        poll_interval_s: float = POLL_INTERVAL_S,
        technician_s: float = TECHNICIAN_S,
        printer_check_s: float = PRINTER_CHECK_S,
        high_contrast: bool = False,
        start_language: str | None = None,
        sim_panel: bool = False,
        on_ready: Callable[[KioskApp], None] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        super().__init__()
        self.mode = mode
        self.context = context
        self.idle_timeout_s = idle_timeout_s
        self.officer_idle_s = officer_idle_s
        self.poll_interval_s = poll_interval_s
        self.technician_s = technician_s
        self.printer_check_s = printer_check_s
        #: The receipt printer's state as last seen (None: not asked yet, or no printer);
        #: the welcome screen shows a fault to the officer between citizens.
        self.printer_state: str | None = None
        self._printer_due = 0.0
        #: monotonic time until which the technician mode lasts (0: citizen mode).
        self.technician_until = 0.0
        #: The kind of the last storage fault a write met ("" while none was seen).
        self.store_fault = context.store_fault
        self.last_activity = time.monotonic()
        self._start_high_contrast = high_contrast
        self._start_language = start_language
        #: Show the simulated-person panel on gate and enrol screens (``--sim``).
        self.sim_panel = sim_panel and context.simulator is not None
        self._on_close = on_close
        self._on_ready = on_ready
        self._alerts_shown: set[str] = set()
        self._commands_running: set[str] = set()
        #: Officer sign-in throttle (see kiosk.screens.signin).
        self.sign_in_failures = 0
        self.sign_in_locked_until = 0.0
        #: Set when the first screen is up (for ``khidmat bench kiosk``).
        self.first_screen_at: float | None = None

    # ------------------------------------------------------------------ basics
    @property
    def store(self) -> LocalStore:
        return self.context.store

    @property
    def t(self) -> Translator:
        """Translate and shape for the current language: ``self.app.t("Text")``."""
        return Translator(self.language)

    def get_key_display(self, binding: Binding) -> str:  # F-keys read as "F2" on a kiosk
        return (
            binding.key.upper() if binding.key.startswith("f") else super().get_key_display(binding)
        )

    def on_mount(self) -> None:
        self.register_theme(STANDARD)
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name if self._start_high_contrast else STANDARD.name
        # `--language` for this run, else the hub's default (home_language); officer
        # screens are English whatever was asked (docs/decisions/kiosk-urdu-display.md)
        asked = None if self.mode in OFFICER_MODES else self._start_language
        self.language = asked or self.home_language()
        self.push_screen(self.first_screen())
        self.set_interval(self.poll_interval_s, self.poll)
        self.call_after_refresh(self._mark_first_screen)

    def _mark_first_screen(self) -> None:
        self.first_screen_at = time.perf_counter()
        if self._on_ready is not None:
            self._on_ready(self)

    def first_screen(self):  # -> Screen
        if self.mode == "desk":
            from kiosk.screens.welcome import WelcomeScreen

            return WelcomeScreen()
        if self.mode == "hotel":
            from kiosk.screens.hotel import HotelScreen

            return HotelScreen()
        from kiosk.screens.signin import SignInScreen

        return SignInScreen()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def on_unmount(self) -> None:
        if self._on_close is not None:
            self._on_close()

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Officer screens are English only; Textual's own keys need the technician mode."""
        if action == "toggle_language" and self.mode != "desk":
            return False
        if action in LOCKED_ACTIONS:
            return self.technician_mode
        return True

    @property
    def technician_mode(self) -> bool:
        return time.monotonic() < self.technician_until

    def start_technician_mode(self, badge: str) -> None:
        """Unlock quit and the command palette for ``technician_s`` (audited)."""
        self.technician_until = time.monotonic() + self.technician_s
        self.store.audit(badge, "technician mode", self.mode)
        self.refresh_bindings()

    def action_technician(self) -> None:
        """Ctrl-T: sign in to the technician mode, or end it."""
        from kiosk.screens.technician import TechnicianScreen

        if self.technician_mode:
            self.technician_until = 0.0
            self.refresh_bindings()
            return
        if isinstance(self.screen, TechnicianScreen):
            return

        def signed_in(badge: object) -> None:
            if isinstance(badge, str):
                self.start_technician_mode(badge)

        self.push_screen(TechnicianScreen(), signed_in)

    def action_toggle_language(self) -> None:
        self.language = "ur" if self.language == "en" else "en"

    def action_toggle_contrast(self) -> None:
        self.theme = STANDARD.name if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name

    def watch_language(self, language: str) -> None:
        for screen in self.screen_stack:
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel()

    def action_quick_exit(self) -> None:
        """Clear every field and screen and show the welcome screen (desk)."""
        from kiosk.screens.welcome import WelcomeScreen

        if self.mode != "desk":
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.language = self.home_language()
        self.switch_screen(WelcomeScreen())

    def hub_setting(self, key: str) -> str:
        """A setting the hub sent (khidmat_wire.unit_settings), "" when unset or invalid."""
        from khidmat_wire.unit_settings import BY_KEY, check

        value = self.store.settings().get(key, "")
        if not value or key not in BY_KEY or check(key, value, self.mode):
            return ""
        return value

    def home_language(self) -> str:
        """The language the screen starts in and returns to: the hub's
        ``kiosk.default_language``, else English; officer screens (gate, enrol) are
        English, so that nothing on them (the footer included) is half translated."""
        if self.mode in OFFICER_MODES:
            return DEFAULT_LANGUAGE
        return self.hub_setting("kiosk.default_language") or DEFAULT_LANGUAGE

    def report_store_fault(self, fault: StoreFault) -> None:
        """The store refused a write (disk full, read-only): log it for the technician.

        The agent shares the storage, meets the same fault on its next write and reports
        it to the hub (event and telemetry). The fault's text carries no personal data.
        """
        self.store_fault = fault.kind
        log.error("%s", fault)

    def _fatal_error(self) -> None:
        """An unexpected crash: print the traceback without local variables.

        Textual's own shows each frame's locals, and a citizen's name, CNIC and mobile sit
        in the complaint screen's locals (issue 16, finding 6). The kiosk's systemd unit
        restarts the app.
        """
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    # ------------------------------------------------------------- periodic work
    def poll(self) -> None:
        """Idle timeout (desk), status refresh, hub alerts and hardware commands."""
        idle_s = float(self.hub_setting("kiosk.idle_timeout_s") or self.idle_timeout_s)
        if self.mode == "desk" and time.monotonic() - self.last_activity > idle_s:
            self.last_activity = time.monotonic()
            if (
                len(self.screen_stack) > 2
                or getattr(self.screen, "dirty", False)
                or self.language != self.home_language()
            ):
                self.action_quick_exit()
        officer = getattr(self.screen, "officer", None)
        if (
            self.mode != "desk"
            and officer is not None
            and time.monotonic() - self.last_activity > self.officer_idle_s
        ):
            self.last_activity = time.monotonic()
            self.store.audit(officer, "signed out (idle)", self.mode)
            self.screen.action_sign_out()  # type: ignore[attr-defined]
            return
        refresh = getattr(self.screen, "refresh_status", None)
        if refresh is not None:
            refresh()
        if self.context.printer is not None and time.monotonic() >= self._printer_due:
            self._printer_due = time.monotonic() + self.printer_check_s
            self.check_printer()
        for record_id, kind, payload in self.store.unhandled_inbox(
            ["alert", "command", "federated"]
        ):
            if kind == "alert" and self.mode == "gate" and record_id not in self._alerts_shown:
                self._alerts_shown.add(record_id)
                self.show_alert(record_id, payload)
            elif (
                kind == "federated" and self.mode == "gate" and record_id not in self._alerts_shown
            ):
                self._alerts_shown.add(record_id)
                self.show_federated(record_id, payload)
            elif kind == "command" and record_id not in self._commands_running:
                self._commands_running.add(record_id)
                self.run_command(record_id, payload)

    @work(thread=True, exclusive=True, group="printer-status")
    def check_printer(self) -> None:
        """Ask the receipt printer's state (worker: up to 1.5 s when it does not answer;
        waits while a receipt prints)."""
        printer = self.context.printer
        if printer is not None:
            self.call_from_thread(self.printer_seen, printer.status())

    def printer_seen(self, state: str) -> None:
        """The printer was found in ``state`` (a status check or a print's outcome)."""
        if state == self.printer_state:
            return
        self.printer_state = state
        changed = getattr(self.screen, "printer_changed", None)
        if changed is not None:
            changed()

    def show_alert(self, record_id: str, payload: bytes) -> None:
        from khidmat_wire import WireError, decode
        from kiosk.screens.alert import AlertScreen

        try:
            body = decode(payload).body
        except WireError as error:
            self.store.audit("kiosk", "alert unreadable", f"{record_id}: {error}")
            self.store.mark_handled(record_id)
            return

        def handled(_: object) -> None:
            self.store.mark_handled(record_id)
            self.store.audit("officer", "alert seen", record_id)

        self.push_screen(AlertScreen(body), handled)

    def show_federated(self, record_id: str, payload: bytes) -> None:
        """The other provinces' verdict: a red or yellow one over everything (until seen),
        a green one as a one-line notice (marked handled at once)."""
        from khidmat_wire import WireError, decode
        from kiosk.screens.federated import FederatedScreen

        try:
            body = decode(payload, expected_kind="federated").body
        except WireError as error:
            self.store.audit("kiosk", "federated verdict unreadable", f"{record_id}: {error}")
            self.store.mark_handled(record_id)
            return
        if body.verdict == "green":
            self.notify(body.message, title="Other provinces", markup=False)
            self.store.mark_handled(record_id)
            self.store.audit("kiosk", "federated verdict shown", f"{record_id}: green")
            return

        def handled(_: object) -> None:
            self.store.mark_handled(record_id)
            self.store.audit("officer", "federated verdict seen", record_id)

        self.push_screen(FederatedScreen(body), handled)

    @work(thread=True, group="commands")
    def run_command(self, record_id: str, payload: bytes) -> None:
        from khidmat_wire import decode
        from kiosk.commands import run_command

        severity, detail = run_command(self.context, record_id, payload)
        self.call_from_thread(self.notify, detail, title="Hub command", markup=False)
        if decode(payload).body.command == "restart-screen":  # systemd starts the screen again
            self.call_from_thread(self.exit)


def build_app(
    mode: str,
    config: UnitConfig,
    *,
    store: LocalStore | None = None,
    sensor: FingerprintSensor | None = None,
    board: GpioBoard | None = None,
    printer: ReceiptPrinter | None = None,
    clock: Clock = SYSTEM_CLOCK,
    **options: object,
) -> KioskApp:
    """The kiosk for ``mode`` on the unit ``config`` describes.

    ``store``, ``sensor``, ``board`` and ``printer`` are used as given (the caller closes them);
    whatever is not given is opened from ``config`` and closed when the app exits.
    ``options`` go to :class:`KioskApp` (``idle_timeout_s``, ``high_contrast``, ...).
    """
    context = open_context(
        mode, config, store=store, sensor=sensor, board=board, printer=printer, clock=clock
    )
    return KioskApp(mode, context, on_close=context.close, **options)  # type: ignore[arg-type]
