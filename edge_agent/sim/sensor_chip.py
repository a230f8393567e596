"""The simulated module's command logic: buffers, on-chip library, parameters, LED.

:class:`SensorChip` turns decoded packets into reply bytes; it knows nothing about ptys
or timing (that is :mod:`edge_agent.sim.sensor`). Behaviour follows the R30x/R503
datasheets and FIELD-NOTES; where a datasheet is silent the chip's choice is stated:

- commands a model lacks (AuraLedConfig on R307/AS608, GetEcho and Handshake where the
  model has none) and unknown codes answer PACKET_RECEIVE_ERROR (0x01);
- a command with a bad checksum answers 0x01; a packet for another address gets no reply;
- with a non-zero password, every command before a successful VfyPwd answers 0x21;
- Store/Match/Search/RegModel on an empty or unparsable char buffer answer FEATURE_FAIL
  (0x07); UpChar of an empty buffer UPLOAD_FEATURE_FAIL (0x0D); UpImage with no image
  UPLOAD_FAIL (0x0F); LoadChar of an empty page DB_RANGE_FAIL (0x0C);
- SetSysPara (baud, security level, packet size) persists like the module's flash: it
  survives SoftReset, a new host connection and a power cycle. A new baud applies at
  once after the ack, or (``baud_on_power_cycle=True``, as some clones do) only after
  :meth:`power_cycle`;
- replies to Search/Match/TemplateNum always have their full length (zeros on failure).

Thread-safety: :meth:`handle` runs on the simulator's I/O thread; :meth:`place`,
:meth:`lift` and the read-only properties may be called from any thread (one lock).
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from edge_agent.sensor.models import PACKET_SIZE_BY_CODE, SensorModel, baud_multiplier
from edge_agent.sensor.packets import (
    DEFAULT_ADDRESS,
    READY_BYTE,
    Cmd,
    Code,
    Packet,
    Pid,
    encode_data,
    encode_packet,
    pack_image,
    unpack_image,
)
from edge_agent.sim.sensor_engine import FeatureError, MatcherEngine
from edge_agent.sim.sensor_faults import Fault, FaultPlan

#: Grey level of an empty window (the background of an optical sensor is light).
EMPTY_WINDOW_GREY = 255
#: Default security level (1..5) of a module out of the box.
DEFAULT_SECURITY_LEVEL = 3
#: Pause before the ready byte after SoftReset (seconds).
RESET_READY_DELAY_S = 0.05


@dataclass(frozen=True, slots=True)
class LedState:
    """Last AuraLedConfig: control (1 breathe, 2 flash, 3 on, 4 off, 5 fade on, 6 fade off),
    speed 0..255, colour (1 red, 2 blue, 3 purple, ...), cycles (0 = forever)."""

    control: int = 4
    speed: int = 0
    colour: int = 0
    cycles: int = 0


@dataclass(frozen=True, slots=True)
class Reply:
    """Bytes to send as separate packets (paced one by one), then ``after`` once
    ``after_delay_s`` has passed (the ready byte after SoftReset)."""

    packets: tuple[bytes, ...]
    #: The command's normal reply carries data packets (UpImage/UpChar).
    has_data: bool = False
    after: bytes = b""
    after_delay_s: float = 0.0


def fit_to_window(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre-crop or pad (with the empty-window grey) a uint8 image to ``height x width``."""
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"a finger image must be 2-D grey levels, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"a finger image must be uint8, got {image.dtype}")
    out = np.full((height, width), EMPTY_WINDOW_GREY, dtype=np.uint8)
    h, w = image.shape
    sy, sx = max(0, (h - height) // 2), max(0, (w - width) // 2)
    dy, dx = max(0, (height - h) // 2), max(0, (width - w) // 2)
    ch, cw = min(h, height), min(w, width)
    out[dy : dy + ch, dx : dx + cw] = image[sy : sy + ch, sx : sx + cw]
    return out


def quantise_4bit(image: np.ndarray) -> np.ndarray:
    """What the module's 4-bit ADC keeps: grey levels rounded to multiples of 17."""
    return (np.rint(image.astype(np.float32) / 17.0) * 17).astype(np.uint8)


def smear(image: np.ndarray, seed: int) -> np.ndarray:
    """A smeared capture (wet finger, moved while imaging): ridges lost in blur and noise."""
    rng = np.random.default_rng(seed)
    blurred = image.astype(np.float32)
    for axis in (0, 1):
        blurred = (np.roll(blurred, 3, axis) + blurred + np.roll(blurred, -3, axis)) / 3
    noisy = 0.3 * blurred + 0.7 * rng.uniform(60, 200, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


class SensorChip:
    """One simulated module of ``model`` with its library, buffers and settings."""

    def __init__(
        self,
        model: SensorModel,
        *,
        engine: Callable[[], MatcherEngine],
        faults: FaultPlan,
        password: int = 0,
        address: int = DEFAULT_ADDRESS,
        baud: int | None = None,
        packet_size: int | None = None,
        baud_on_power_cycle: bool = False,
    ) -> None:
        self.model = model
        self._baud_on_power_cycle = baud_on_power_cycle
        self._engine_factory = engine
        self._engine_made: MatcherEngine | None = None
        self._faults = faults
        self._password = password
        self.address = address
        self._lock = threading.Lock()
        self._baud_n = baud_multiplier(baud or model.default_baud)
        self._stored_baud_n = self._baud_n
        size = packet_size or model.default_packet_size
        codes = {v: k for k, v in PACKET_SIZE_BY_CODE.items()}
        if size not in codes:
            raise ValueError(f"packet size {size} is not one of 32, 64, 128, 256")
        self._packet_code = codes[size]
        self._security = DEFAULT_SECURITY_LEVEL
        self._library: dict[int, bytes] = {}
        self._finger: np.ndarray | None = None
        self._captures = 0
        self._led = LedState()
        self._reset_volatile()

    @property
    def _engine(self) -> MatcherEngine:
        """The extractor/matcher, made on first use (Img2Tz, Match, Search, RegModel)."""
        if self._engine_made is None:
            self._engine_made = self._engine_factory()
        return self._engine_made

    # --- state visible to the simulator and tests ---------------------------------------
    @property
    def baud(self) -> int:
        """The rate the module talks at now (changes after SetSysPara 4)."""
        return self._baud_n * 9600

    @property
    def packet_size(self) -> int:
        """Data packet payload bytes now (SetSysPara 6)."""
        return PACKET_SIZE_BY_CODE[self._packet_code]

    @property
    def led(self) -> LedState:
        """The last LED setting."""
        return self._led

    @property
    def library_pages(self) -> list[int]:
        """Occupied library pages, ascending."""
        with self._lock:
            return sorted(self._library)

    @property
    def finger_present(self) -> bool:
        """Whether a finger is on the window."""
        with self._lock:
            return self._finger is not None

    @property
    def finger_image(self) -> np.ndarray | None:
        """What lies on the window now (fitted to it), or None; a read-only view."""
        with self._lock:
            finger = self._finger
        if finger is None:
            return None
        view = finger.view()
        view.flags.writeable = False
        return view

    def library_entry(self, page: int) -> bytes | None:
        """The char file stored at ``page``, or None."""
        with self._lock:
            return self._library.get(page)

    def place(self, image: np.ndarray) -> None:
        """Put a finger on the window (any uint8 grey image; cropped or padded to fit)."""
        fitted = fit_to_window(image, self.model.image_width, self.model.image_height)
        with self._lock:
            self._finger = fitted

    def lift(self) -> None:
        """Take the finger off the window."""
        with self._lock:
            self._finger = None

    def power_cycle(self) -> None:
        """Power off and on: buffers and password state lost, a stored baud takes effect."""
        self._baud_n = self._stored_baud_n
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        self._image: np.ndarray | None = None
        self._image_messy = False
        self._chars: dict[int, bytes | None] = {1: None, 2: None}
        self._verified = self._password == 0
        self._download: tuple[int, int, bytearray] | None = None  # (command, slot, data)

    # --- protocol -----------------------------------------------------------------------
    def _ack(self, code: int, extra: bytes = b"") -> bytes:
        return encode_packet(Pid.ACK, bytes((code,)) + extra, self.address)

    def handle(self, packet: Packet) -> Reply | None:
        """The reply to one received packet (None: the module sends nothing)."""
        if packet.address != self.address:
            return None
        if packet.pid in (Pid.DATA, Pid.END):
            self._receive_data(packet)
            return None
        if packet.pid != Pid.COMMAND or not packet.payload:
            return None
        if not packet.checksum_ok:
            return Reply((self._ack(Code.PACKET_RECEIVE_ERROR),))
        command = packet.payload[0]
        args = packet.payload[1:]
        self._download = None
        if not self._verified and command != Cmd.VFY_PWD:
            return Reply((self._ack(Code.MUST_VERIFY_PASSWORD),))
        handler = self._handlers().get(command)
        if handler is None:
            return Reply((self._ack(Code.PACKET_RECEIVE_ERROR),))
        try:
            return handler(args)
        except (IndexError, struct.error):
            return Reply((self._ack(Code.PACKET_RECEIVE_ERROR),))

    def _handlers(self) -> dict[int, object]:
        table = {
            Cmd.GEN_IMG: self._gen_img,
            Cmd.IMG2TZ: self._img2tz,
            Cmd.MATCH: self._match,
            Cmd.SEARCH: self._search,
            Cmd.HIGH_SPEED_SEARCH: self._search,
            Cmd.REG_MODEL: self._reg_model,
            Cmd.STORE: self._store,
            Cmd.LOAD_CHAR: self._load_char,
            Cmd.UP_CHAR: self._up_char,
            Cmd.DOWN_CHAR: self._down_char,
            Cmd.UP_IMAGE: self._up_image,
            Cmd.DOWN_IMAGE: self._down_image,
            Cmd.DELETE_CHAR: self._delete_char,
            Cmd.EMPTY: self._empty,
            Cmd.SET_SYS_PARA: self._set_sys_para,
            Cmd.READ_SYS_PARA: self._read_sys_para,
            Cmd.VFY_PWD: self._vfy_pwd,
            Cmd.TEMPLATE_NUM: self._template_num,
            Cmd.READ_INDEX_TABLE: self._read_index_table,
            Cmd.SOFT_RESET: self._soft_reset,
        }
        if self.model.has_aura_led:
            table[Cmd.AURA_LED_CONFIG] = self._aura_led
        if self.model.has_get_echo:
            table[Cmd.GET_ECHO] = self._get_echo
        if self.model.has_handshake:
            table[Cmd.HANDSHAKE] = self._handshake
        return table  # type: ignore[return-value]

    def _simple(self, code: int, extra: bytes = b"") -> Reply:
        return Reply((self._ack(code, extra),))

    def _slot(self, args: bytes) -> int:
        slot = args[0]
        return slot if slot in (1, 2) else 2  # the driver maps others to 2; so does the chip

    def _vfy_pwd(self, args: bytes) -> Reply:
        if len(args) < 4 or int.from_bytes(args[:4], "big") != self._password:
            return self._simple(Code.WRONG_PASSWORD)
        self._verified = True
        return self._simple(Code.OK)

    def _handshake(self, args: bytes) -> Reply:
        return self._simple(Code.OK)

    def _get_echo(self, args: bytes) -> Reply:
        return self._simple(Code.MODULE_OK)

    def _read_sys_para(self, args: bytes) -> Reply:
        extra = struct.pack(
            ">HHHHIHH",
            self._status_register(),
            self.model.system_id,
            self.model.capacity,
            self._security,
            self.address,
            self._packet_code,
            self._baud_n,
        )
        return self._simple(Code.OK, extra)

    def _status_register(self) -> int:
        """Bit 2: the handshake password is verified; bit 3: the image buffer holds an image."""
        return (0x0004 if self._verified else 0) | (0x0008 if self._image is not None else 0)

    def _set_sys_para(self, args: bytes) -> Reply:
        param, value = args[0], args[1]
        if param == 4 and 1 <= value <= 12:
            self._stored_baud_n = value
            if not self._baud_on_power_cycle:
                self._baud_n = value  # the simulator switches after sending this ack
        elif param == 5 and 1 <= value <= 5:
            self._security = value
        elif param == 6 and value in PACKET_SIZE_BY_CODE:
            self._packet_code = value
        else:
            return self._simple(Code.INVALID_REGISTER)
        return self._simple(Code.OK)

    def _gen_img(self, args: bytes) -> Reply:
        fault = self._faults.take({Fault.NO_FINGER, Fault.MESSY_IMAGE}, Cmd.GEN_IMG)
        with self._lock:
            finger = self._finger
        if finger is None or fault is Fault.NO_FINGER:
            return self._simple(Code.NO_FINGER)
        self._captures += 1
        self._image_messy = fault is Fault.MESSY_IMAGE
        self._image = quantise_4bit(smear(finger, self._captures) if self._image_messy else finger)
        return self._simple(Code.OK)

    def _img2tz(self, args: bytes) -> Reply:
        slot = self._slot(args)
        if self._image is None:
            return self._simple(Code.INVALID_IMAGE)
        if self._image_messy:
            return self._simple(Code.IMAGE_MESSY)
        try:
            self._chars[slot] = self._engine.extract(self._image)
        except FeatureError as error:
            return self._simple(Code.IMAGE_MESSY if error.messy else Code.FEATURE_FAIL)
        return self._simple(Code.OK)

    def _score(self, a: bytes | None, b: bytes | None) -> int | None:
        if a is None or b is None:
            return None
        try:
            return self._engine.score(a, b)
        except ValueError:
            return None

    def _match(self, args: bytes) -> Reply:
        score = self._score(self._chars[1], self._chars[2])
        if score is None:
            return self._simple(Code.FEATURE_FAIL, bytes(2))
        ok = score >= self._engine.threshold(self._security)
        return self._simple(Code.OK if ok else Code.NO_MATCH, struct.pack(">H", score))

    def _search(self, args: bytes) -> Reply:
        slot = self._slot(args)
        start, count = struct.unpack(">HH", args[1:5])
        probe = self._chars[slot]
        if start >= self.model.capacity:
            return self._simple(Code.DB_RANGE_FAIL, bytes(4))
        with self._lock:
            pages = [p for p in sorted(self._library) if start <= p < start + count]
            entries = [(p, self._library[p]) for p in pages]
        if self._score(probe, probe) is None:
            return self._simple(Code.FEATURE_FAIL, bytes(4))
        best_page, best_score = 0, -1
        for page, char in entries:
            score = self._score(probe, char)
            if score is not None and score > best_score:
                best_page, best_score = page, score
        if best_score >= self._engine.threshold(self._security):
            return self._simple(Code.OK, struct.pack(">HH", best_page, best_score))
        return self._simple(Code.NOT_FOUND, bytes(4))

    def _reg_model(self, args: bytes) -> Reply:
        a, b = self._chars[1], self._chars[2]
        score = self._score(a, b)
        if score is None or a is None or b is None:
            return self._simple(Code.FEATURE_FAIL)
        if score < self._engine.threshold(self._security):
            return self._simple(Code.ENROLL_MISMATCH)
        merged = a if self._engine.minutiae_count(a) >= self._engine.minutiae_count(b) else b
        self._chars[1] = self._chars[2] = merged
        return self._simple(Code.OK)

    def _store(self, args: bytes) -> Reply:
        slot = self._slot(args)
        (page,) = struct.unpack(">H", args[1:3])
        char = self._chars[slot]
        if page >= self.model.capacity:
            return self._simple(Code.BAD_LOCATION)
        if char is None:
            return self._simple(Code.FEATURE_FAIL)
        with self._lock:
            self._library[page] = char
        return self._simple(Code.OK)

    def _load_char(self, args: bytes) -> Reply:
        slot = self._slot(args)
        (page,) = struct.unpack(">H", args[1:3])
        if page >= self.model.capacity:
            return self._simple(Code.BAD_LOCATION)
        with self._lock:
            char = self._library.get(page)
        if char is None:
            return self._simple(Code.DB_RANGE_FAIL)
        self._chars[slot] = char
        return self._simple(Code.OK)

    def _delete_char(self, args: bytes) -> Reply:
        page, count = struct.unpack(">HH", args[:4])
        if count < 1 or page + count > self.model.capacity:
            return self._simple(Code.DELETE_FAIL)
        with self._lock:
            for p in range(page, page + count):
                self._library.pop(p, None)
        return self._simple(Code.OK)

    def _empty(self, args: bytes) -> Reply:
        with self._lock:
            self._library.clear()
        return self._simple(Code.OK)

    def _template_num(self, args: bytes) -> Reply:
        with self._lock:
            count = len(self._library)
        return self._simple(Code.OK, struct.pack(">H", count))

    def _read_index_table(self, args: bytes) -> Reply:
        group = args[0]
        bits = bytearray(32)
        with self._lock:
            for page in self._library:
                offset = page - group * 256
                if 0 <= offset < 256:
                    bits[offset // 8] |= 1 << (offset % 8)
        return self._simple(Code.OK, bytes(bits))

    def _up_image(self, args: bytes) -> Reply:
        if self._image is None:
            return self._simple(Code.UPLOAD_FAIL)
        data = pack_image(self._image)
        packets = encode_data(data, self.packet_size, self.address)
        return Reply((self._ack(Code.OK), *packets), has_data=True)

    def _up_char(self, args: bytes) -> Reply:
        char = self._chars[self._slot(args)]
        if char is None:
            return self._simple(Code.UPLOAD_FEATURE_FAIL)
        packets = encode_data(char, self.packet_size, self.address)
        return Reply((self._ack(Code.OK), *packets), has_data=True)

    def _down_char(self, args: bytes) -> Reply:
        self._download = (Cmd.DOWN_CHAR, self._slot(args), bytearray())
        return self._simple(Code.OK)

    def _down_image(self, args: bytes) -> Reply:
        self._download = (Cmd.DOWN_IMAGE, 0, bytearray())
        return self._simple(Code.OK)

    def _receive_data(self, packet: Packet) -> None:
        if self._download is None:
            return
        if not packet.checksum_ok:
            self._download = None  # the module drops a transfer with a corrupt packet
            return
        command, slot, data = self._download
        data += packet.payload
        if packet.pid != Pid.END:
            return
        self._download = None
        if command == Cmd.DOWN_CHAR:
            self._chars[slot] = bytes(data)
        elif len(data) == self.model.image_bytes:
            self._image = unpack_image(bytes(data), self.model.image_width, self.model.image_height)
            self._image_messy = False

    def _aura_led(self, args: bytes) -> Reply:
        control, speed, colour, cycles = args[0], args[1], args[2], args[3]
        if not 1 <= control <= 6 or not 1 <= colour <= 7:
            return self._simple(Code.PACKET_RECEIVE_ERROR)
        self._led = LedState(control, speed, colour, cycles)
        return self._simple(Code.OK)

    def _soft_reset(self, args: bytes) -> Reply:
        self._reset_volatile()
        return Reply(
            (self._ack(Code.OK),), after=bytes((READY_BYTE,)), after_delay_s=RESET_READY_DELAY_S
        )
