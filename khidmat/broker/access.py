"""Who may connect and what they may read and write: Mosquitto's password and ACL files.

The files are the ones ``khidmat provision`` writes (and Mosquitto reads), so both brokers
apply the same rules:

- password file: ``user:$7$<iterations>$<salt b64>$<PBKDF2-HMAC-SHA512 b64>`` (also the
  older ``$6$<salt>$<sha512(password + salt)>``);
- ACL file: ``topic [read|write|readwrite|deny] <filter>`` for anonymous clients until
  the first ``user <name>`` line, then for that user; ``pattern ...`` for every client,
  with ``%u`` (username) and ``%c`` (client id). A matching ``deny`` wins; no match denies.

Objects are immutable after loading and safe to share between threads. A password check
costs one PBKDF2 run (101 iterations of SHA-512: about 0.1 ms).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from khidmat.broker.topics import covers, matches

READ, WRITE = 1, 2
_ACCESS = {"read": READ, "write": WRITE, "readwrite": READ | WRITE, "deny": 0}


class AccessFileError(ValueError):
    """A password or ACL file line cannot be used; the message names the line."""


@dataclass(frozen=True, slots=True)
class PasswordFile:
    """Usernames and their Mosquitto-format password hashes."""

    hashes: dict[str, str]

    @classmethod
    def parse(cls, text: str, *, source: str = "<passwords>") -> PasswordFile:
        hashes: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, separator, hashed = line.partition(":")
            if not separator or not user or not hashed.startswith(("$7$", "$6$")):
                raise AccessFileError(f"{source}:{number}: expected user:$7$... or user:$6$...")
            hashes[user] = hashed
        return cls(hashes)

    @classmethod
    def load(cls, path: Path) -> PasswordFile:
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    def check(self, username: str, password: bytes) -> bool:
        """True when ``password`` matches the user's hash (constant-time comparison)."""
        hashed = self.hashes.get(username)
        if hashed is None:
            return False
        parts = hashed.split("$")
        try:
            if parts[1] == "7":
                iterations, salt, digest = int(parts[2]), parts[3], parts[4]
                computed = hashlib.pbkdf2_hmac(
                    "sha512", password, base64.b64decode(salt), iterations
                )
            else:
                salt, digest = parts[2], parts[3]
                computed = hashlib.sha512(password + base64.b64decode(salt)).digest()
            return hmac.compare_digest(computed, base64.b64decode(digest))
        except (IndexError, ValueError):
            return False


@dataclass(frozen=True, slots=True)
class _Rule:
    access: int  # READ | WRITE bits, 0 for deny
    topic: str

    def expand(self, username: str | None, client_id: str) -> str | None:
        """A pattern with %u / %c filled in; None when it needs a username there is not."""
        if "%u" in self.topic and username is None:
            return None
        return self.topic.replace("%u", username or "").replace("%c", client_id)


@dataclass(frozen=True, slots=True)
class AclFile:
    """Mosquitto ACL rules: anonymous ``topic`` lines, per-user lines, ``pattern`` lines."""

    anonymous: tuple[_Rule, ...]
    users: dict[str, tuple[_Rule, ...]]
    patterns: tuple[_Rule, ...]

    @classmethod
    def parse(cls, text: str, *, source: str = "<acl>") -> AclFile:
        anonymous: list[_Rule] = []
        users: dict[str, list[_Rule]] = {}
        patterns: list[_Rule] = []
        current = anonymous
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            rest = rest.strip()
            if keyword == "user":
                if not rest:
                    raise AccessFileError(f"{source}:{number}: user needs a name")
                current = users.setdefault(rest, [])
                continue
            if keyword not in ("topic", "pattern"):
                raise AccessFileError(f"{source}:{number}: expected topic, pattern or user")
            access_word, _, topic = rest.partition(" ")
            if access_word in _ACCESS and topic.strip():
                rule = _Rule(_ACCESS[access_word], topic.strip())
            else:
                rule = _Rule(READ | WRITE, rest)  # "topic <filter>" alone means readwrite
            if not rule.topic or " " in rule.topic:
                raise AccessFileError(f"{source}:{number}: expected [read|write|readwrite|deny] <topic>")  # fmt: skip
            (patterns if keyword == "pattern" else current).append(rule)
        return cls(tuple(anonymous), {u: tuple(r) for u, r in users.items()}, tuple(patterns))

    @classmethod
    def load(cls, path: Path) -> AclFile:
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    def _rules(self, username: str | None, client_id: str) -> list[tuple[int, str]]:
        own = self.users.get(username, ()) if username is not None else self.anonymous
        expanded = [(rule.access, rule.topic) for rule in own]
        for rule in self.patterns:
            topic = rule.expand(username, client_id)
            if topic is not None:
                expanded.append((rule.access, topic))
        return expanded

    def allows(self, username: str | None, client_id: str, topic: str, access: int) -> bool:
        """May this client read (``READ``) or write (``WRITE``) messages on ``topic``?"""
        rules = self._rules(username, client_id)
        if any(bits == 0 and matches(rule, topic) for bits, rule in rules):
            return False
        return any(bits & access and matches(rule, topic) for bits, rule in rules)

    def allows_subscribe(self, username: str | None, client_id: str, topic_filter: str) -> bool:
        """May this client subscribe to ``topic_filter``: does one read rule cover all of it?"""
        rules = self._rules(username, client_id)
        if any(bits == 0 and covers(rule, topic_filter) for bits, rule in rules):
            return False
        return any(bits & READ and covers(rule, topic_filter) for bits, rule in rules)
