#!/usr/bin/env python3
"""Check a fingerprint module with nothing but the pip-installed adafruit driver and pyserial.

Points at a real R307/R503/AS608 on a UART or at the simulator
(``khidmat sim sensor --link /tmp/fp0``) and checks, printing each result:

1. the handshake password (VfyPwd) is accepted;
2. the system parameters (ReadSysPara) are sane for the model: library capacity,
   data packet size, baud rate, security level;
3. an image uploads (UpImage) with the model's size: 256x288 (R307/AS608) or 192x192
   (R503), 4 bits per pixel, and is not blank;
4. on-chip enrolment: two captures -> Img2Tz into both char buffers -> RegModel -> Store
   at a free page;
5. on-chip search: a new capture -> Img2Tz -> Search and HighSpeedSearch find that page;
6. the test template is deleted again (unless --keep).

A finger must be on the sensor (for the simulator:
``khidmat sim sensor place --link /tmp/fp0 --finger 1``); keep it there until done.
Exit status 0 when every check passed, 1 otherwise, 2 when the module cannot be reached.

Example::

    python scripts/check_sensor.py --port /tmp/fp0 --model r307 --baud 57600
"""

from __future__ import annotations

import argparse
import sys
import time

import adafruit_fingerprint
import serial

#: Model -> (image width, image height, nominal library capacity).
MODELS = {"r307": (256, 288, 1000), "as608": (256, 288, 0), "r503": (192, 192, 200)}
#: Data packet size code (ReadSysPara) -> payload bytes.
PACKET_BYTES = {0: 32, 1: 64, 2: 128, 3: 256}


class Checker:
    """Runs and reports checks; counts failures."""

    def __init__(self) -> None:
        self.failures = 0

    def report(self, ok: bool, what: str) -> bool:
        print(f"{'ok  ' if ok else 'FAIL'}  {what}", flush=True)
        if not ok:
            self.failures += 1
        return ok


def take_image(finger: adafruit_fingerprint.Adafruit_Fingerprint, timeout_s: float) -> int:
    """GenImg until a finger is seen or the timeout passes; the last confirmation code."""
    deadline = time.monotonic() + timeout_s
    while True:
        code = finger.get_image()
        if code == adafruit_fingerprint.OK or time.monotonic() >= deadline:
            return code
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", required=True, help="serial device or simulator link")
    parser.add_argument("--model", default="r307", choices=sorted(MODELS))
    parser.add_argument("--baud", type=int, default=57600)
    parser.add_argument("--password", type=int, default=0)
    parser.add_argument("--page", type=int, help="library page for the test template")
    parser.add_argument("--finger-timeout", type=float, default=15.0, help="seconds")
    parser.add_argument(
        "--reply-timeout", type=float, default=2.0, help="seconds to wait for each reply"
    )
    parser.add_argument("--keep", action="store_true", help="keep the test template")
    args = parser.parse_args(argv)
    width, height, capacity = MODELS[args.model]
    check = Checker()

    try:
        uart = serial.Serial(args.port, args.baud, timeout=args.reply_timeout)
    except serial.SerialException as error:
        print(f"FAIL  cannot open {args.port}: {error}")
        return 2
    try:
        finger = adafruit_fingerprint.Adafruit_Fingerprint(
            uart, passwd=tuple(args.password.to_bytes(4, "big"))
        )
    except RuntimeError as error:
        print(f"FAIL  no handshake on {args.port} at {args.baud} baud: {error}")
        return 2
    check.report(
        finger.verify_password() == adafruit_fingerprint.OK,
        f"password {args.password} accepted (VfyPwd)",
    )

    # -- system parameters --
    finger.read_sysparam()
    packet_bytes = PACKET_BYTES.get(finger.data_packet_size)
    print(
        f"      status 0x{finger.status_register:04X}, system id 0x{finger.system_id:04X}, "
        f"library {finger.library_size}, security {finger.security_level}, "
        f"address {finger.device_address.hex()}, packet {packet_bytes} B, "
        f"baud {finger.baudrate * 9600}"
    )
    check.report(
        finger.library_size == capacity if capacity else finger.library_size > 0,
        f"library capacity {finger.library_size} (expected {capacity or 'any'} for {args.model})",
    )
    check.report(packet_bytes is not None, f"data packet size code {finger.data_packet_size}")
    check.report(
        finger.baudrate * 9600 == args.baud, f"module baud {finger.baudrate * 9600} = line baud"
    )
    check.report(1 <= finger.security_level <= 5, f"security level {finger.security_level}")
    if finger.count_templates() == adafruit_fingerprint.OK:
        print(f"      {finger.template_count} templates stored")

    # -- image upload --
    code = take_image(finger, args.finger_timeout)
    if not check.report(code == adafruit_fingerprint.OK, f"finger imaged (GenImg code {code})"):
        print("      place a finger and keep it there, then run again")
        return 1
    if packet_bytes is not None and packet_bytes < 64:
        check.report(False, "image upload skipped: the driver recurses per packet at 32 B")
    else:
        started = time.monotonic()
        data = finger.get_fpdata("image")
        elapsed_s = time.monotonic() - started
        expected = width * height // 2
        check.report(
            len(data) == expected,
            f"image upload {len(data)} bytes in {elapsed_s:.2f} s "
            f"(expected {expected} = {width}x{height} at 4 bits per pixel)",
        )
        levels = {b >> 4 for b in data} | {b & 0x0F for b in data}
        check.report(len(levels) >= 4, f"image has {len(levels)} distinct grey levels")

    # -- on-chip enrolment --
    if not check.report(finger.read_templates() == adafruit_fingerprint.OK, "index table read"):
        return 1
    page = args.page
    if page is None:
        used = set(finger.templates)
        page = next(p for p in range(finger.library_size) if p not in used)
    for slot in (1, 2):
        code = take_image(finger, args.finger_timeout)
        check.report(code == adafruit_fingerprint.OK, f"capture {slot} (GenImg code {code})")
        code = finger.image_2_tz(slot)
        check.report(code == adafruit_fingerprint.OK, f"Img2Tz into buffer {slot} (code {code})")
    code = finger.create_model()
    check.report(code == adafruit_fingerprint.OK, f"RegModel (code {code})")
    code = finger.store_model(page, 1)
    check.report(code == adafruit_fingerprint.OK, f"Store at page {page} (code {code})")
    finger.read_templates()
    check.report(page in finger.templates, f"page {page} listed in the index table")

    # -- on-chip search --
    code = take_image(finger, args.finger_timeout)
    check.report(code == adafruit_fingerprint.OK, f"search capture (GenImg code {code})")
    check.report(finger.image_2_tz(1) == adafruit_fingerprint.OK, "Img2Tz for the search")
    code = finger.finger_search()
    check.report(
        code == adafruit_fingerprint.OK and finger.finger_id == page,
        f"Search: code {code}, page {finger.finger_id}, score {finger.confidence}",
    )
    code = finger.finger_fast_search()
    check.report(
        code == adafruit_fingerprint.OK and finger.finger_id == page,
        f"HighSpeedSearch: code {code}, page {finger.finger_id}, score {finger.confidence}",
    )
    if not args.keep:
        code = finger.delete_model(page)
        check.report(code == adafruit_fingerprint.OK, f"test template at page {page} deleted")
    uart.close()
    print(f"{'all checks passed' if not check.failures else f'{check.failures} check(s) FAILED'}")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
