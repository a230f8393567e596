"""``khidmat console --web``: the console in a browser (textual-serve) behind a password.

textual-serve has no authentication of its own, so :class:`PasswordServer` puts HTTP
Basic authentication in front of every route (the page, its static files and the
websocket that runs the app): an aiohttp middleware checks the password against a PBKDF2
hash file written by ``khidmat console --set-password FILE``. A failed attempt waits
``FAILED_LOGIN_DELAY_S`` before answering. Basic authentication sends the password with
every request, base64-encoded, not encrypted: serve on 127.0.0.1 (the default) or behind a
TLS reverse proxy, never in the clear on a network. Each browser connection runs its own
``khidmat console`` process (textual-serve's model) as the operator given on the command
line.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

PBKDF2_ITERATIONS = 200_000
FAILED_LOGIN_DELAY_S = 1.0
REALM = "Khidmat hub console"


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``pbkdf2_sha256$iterations$salt_hex$hash_hex`` for ``password``."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a line written by :func:`hash_password`."""
    try:
        scheme, iterations, salt, digest = stored.strip().split("$")
        if scheme != "pbkdf2_sha256":
            return False
        candidate = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), bytes.fromhex(salt), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def write_password_file(path: Path, password: str) -> None:
    """Write the hash (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(hash_password(password) + "\n")


class PasswordServer(Server):
    """textual-serve's Server with HTTP Basic authentication on every request."""

    def __init__(self, command: str, *, password_hash: str, **kwargs: object) -> None:
        super().__init__(command, **kwargs)  # type: ignore[arg-type]
        self.password_hash = password_hash
        self._accepted: set[str] = set()
        """sha256 of Authorization headers already verified (PBKDF2 runs once per login)."""

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._authenticate)
        return app

    @web.middleware
    async def _authenticate(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        key = hashlib.sha256(header.encode()).hexdigest()
        if key in self._accepted or self._valid(header):
            self._accepted.add(key)
            return await handler(request)
        if header:
            await asyncio.sleep(FAILED_LOGIN_DELAY_S)
        return web.Response(
            status=401,
            text="operator password required",
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
        )

    def _valid(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        _user, _, password = decoded.partition(":")
        return check_password(password, self.password_hash)
