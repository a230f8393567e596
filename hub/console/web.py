"""``khidmat console --web``: the console in a browser (textual-serve), one login per officer.

textual-serve has no authentication of its own, so :class:`PasswordServer` puts HTTP
Basic authentication in front of every route (the page, its static files and the
websocket that runs the app): an aiohttp middleware checks the login against a password
file of PBKDF2 hashes. Each line is an officer's account, ``<officer>\t<desk>\t<hash>``,
written by ``khidmat console --add-officer FILE --officer NAME [--desk women]``: the
browser session then runs the console *as that officer at that desk*, so every change is
recorded under the name of who made it. A file written by ``--set-password`` holds one
bare hash: any user name with that password runs as the ``--officer`` given on the
command line (one shared identity; kept for small stations).

A failed attempt waits ``FAILED_LOGIN_DELAY_S`` before answering. Basic authentication
sends the password with every request, base64-encoded, not encrypted: serve on 127.0.0.1
(the default) or behind a TLS reverse proxy, never in the clear on a network. Each browser
connection runs its own ``khidmat console`` process (textual-serve's model).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger(__name__)

PBKDF2_ITERATIONS = 200_000
FAILED_LOGIN_DELAY_S = 1.0
REALM = "Khidmat hub console"
DESKS = ("general", "women")
SHARED_LOGIN = ""
"""The account key of a bare ``--set-password`` hash: any user name."""


class PasswordFileError(ValueError):
    """The console password file cannot be used; the message names the line."""


@dataclass(frozen=True, slots=True)
class Account:
    """Who a browser login runs the console as."""

    officer: str
    desk: str
    password_hash: str


ACCOUNT_KEY = web.RequestKey("account", Account)
"""Where the middleware leaves the logged-in account on the request."""


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


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_password_file(path: Path, password: str) -> None:
    """Write one shared hash (mode 0600): every login runs as the command line's officer."""
    _write_private(path, hash_password(password) + "\n")


def check_officer_name(officer: str) -> None:
    if not officer.strip() or any(c in officer for c in "\t\n\r:") or len(officer) > 80:
        raise PasswordFileError(
            "an officer's name is 1-80 characters without tabs, line breaks or ':'"
        )


def add_account(path: Path, officer: str, desk: str, password: str) -> None:
    """Add or replace ``officer``'s account in the password file (mode 0600)."""
    check_officer_name(officer)
    if desk not in DESKS:
        raise PasswordFileError(f"desk must be one of {', '.join(DESKS)}")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.strip() and line.split("\t", 1)[0] != officer]
    kept.append(f"{officer}\t{desk}\t{hash_password(password)}")
    _write_private(path, "\n".join(kept) + "\n")


def parse_accounts(text: str, *, officer: str | None = None, desk: str = "general") -> dict[str, Account]:  # fmt: skip
    """Accounts by login name. A bare hash needs ``officer`` (it runs every login as them)."""
    accounts: dict[str, Account] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) == 1 and parts[0].startswith("pbkdf2_sha256$"):
            if officer is None:
                raise PasswordFileError(
                    f"line {number}: a shared password (--set-password) needs --officer"
                )
            accounts[SHARED_LOGIN] = Account(officer, desk, parts[0].strip())
        elif len(parts) == 3 and parts[1] in DESKS and parts[2].startswith("pbkdf2_sha256$"):
            accounts[parts[0]] = Account(parts[0], parts[1], parts[2].strip())
        else:
            raise PasswordFileError(f"line {number}: expected <officer> TAB <desk> TAB <hash>")
    if not accounts:
        raise PasswordFileError("no account: add one with --add-officer or --set-password")
    return accounts


class PasswordServer(Server):
    """textual-serve's Server with a login on every request; each session runs as its officer."""

    def __init__(
        self,
        command_for: Callable[[Account], str],
        *,
        accounts: Mapping[str, Account],
        **kwargs: object,
    ) -> None:
        if not accounts:
            raise PasswordFileError("no account to log in with")
        super().__init__(command_for(next(iter(accounts.values()))), **kwargs)  # type: ignore[arg-type]
        self.command_for = command_for
        self.accounts = dict(accounts)
        self._accepted: dict[str, Account] = {}
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
        account = self._accepted.get(key) or self._login(header)
        if account is not None:
            self._accepted[key] = account
            request[ACCOUNT_KEY] = account
            return await handler(request)
        if header:
            await asyncio.sleep(FAILED_LOGIN_DELAY_S)
        return web.Response(
            status=401,
            text="officer name and password required",
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
        )

    def _login(self, header: str) -> Account | None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        account = self.accounts.get(user) or self.accounts.get(SHARED_LOGIN)
        if account is None or not check_password(password, account.password_hash):
            return None
        return account

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, with the console started as the logged-in officer."""
        account = request[ACCOUNT_KEY]
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            app_service = AppService(
                self.command_for(account),
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            log.info("web console session for %s (%s desk)", account.officer, account.desk)
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:  # one broken session must not stop the server
            log.exception("web console session of %s failed", account.officer)
        finally:
            if app_service is not None:
                await app_service.stop()
        return websocket
