"""Fixed facts per supported sensor model (datasheets; see ../shared/FIELD-NOTES.md).

Shared by the serial backend and the simulated chip so both agree on image geometry,
template ("char file") size and which optional commands a model has. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Baud rates a module accepts are 9600 * N for N in 1..12.
BAUD_UNIT = 9600
BAUD_MULTIPLIERS = range(1, 13)
#: SetSysPara parameter 6 code -> data packet payload bytes.
PACKET_SIZE_BY_CODE: dict[int, int] = {0: 32, 1: 64, 2: 128, 3: 256}
PACKET_CODE_BY_SIZE: dict[int, int] = {v: k for k, v in PACKET_SIZE_BY_CODE.items()}


@dataclass(frozen=True, slots=True)
class SensorModel:
    """One module type. ``capacity`` is the nominal on-chip library size (the module's own
    ReadSysPara answer is authoritative, AS608 clones vary). Images are sent 4 bits per
    pixel, two pixels per byte, even x in the high nibble."""

    name: str
    capacity: int
    image_width: int
    image_height: int
    dpi: int
    char_size_bytes: int
    has_aura_led: bool
    has_get_echo: bool
    has_handshake: bool
    system_id: int
    default_baud: int = 57600
    default_packet_size: int = 128

    @property
    def image_bytes(self) -> int:
        """Bytes of one packed image upload (two pixels per byte)."""
        return self.image_width * self.image_height // 2


MODELS: dict[str, SensorModel] = {
    "r307": SensorModel(
        name="r307",
        capacity=1000,
        image_width=256,
        image_height=288,
        dpi=500,
        char_size_bytes=512,
        has_aura_led=False,
        has_get_echo=True,
        has_handshake=False,
        system_id=0x0009,
    ),
    "as608": SensorModel(
        name="as608",
        capacity=300,
        image_width=256,
        image_height=288,
        dpi=500,
        char_size_bytes=512,
        has_aura_led=False,
        has_get_echo=True,
        has_handshake=False,
        system_id=0x0009,
    ),
    "r503": SensorModel(
        name="r503",
        capacity=200,
        image_width=192,
        image_height=192,
        dpi=508,
        char_size_bytes=768,
        has_aura_led=True,
        has_get_echo=False,
        has_handshake=True,
        system_id=0x0000,
    ),
}


def get_model(name: str) -> SensorModel:
    """The model called ``name`` (case-insensitive); ValueError naming the choices otherwise."""
    try:
        return MODELS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown sensor model {name!r} (expected one of {', '.join(MODELS)})"
        ) from None


def baud_multiplier(baud: int) -> int:
    """N for ``baud = 9600 * N``; ValueError for a rate the modules cannot run at."""
    n, rem = divmod(baud, BAUD_UNIT)
    if rem or n not in BAUD_MULTIPLIERS:
        raise ValueError(f"baud {baud} is not 9600*N for N in 1..12 (e.g. 57600, 115200)")
    return n
