"""``[tracking]`` in hub.toml: where the public tracking page listens and how it limits tries.

::

    [tracking]
    host = "127.0.0.1"          # loopback by default: put a TLS reverse proxy in front
    port = 8090
    mobile_digits = 4           # the second factor: the last digits of the mobile number
    client_limit = 30           # lookups per client address ...
    client_window_s = 60        # ... in this many seconds
    number_limit = 5            # failed lookups of one tracking number ...
    number_window_s = 3600      # ... in this many seconds (then it is locked that long)
    trusted_proxies = ["127.0.0.1"]   # a reverse proxy here: the client is its X-Forwarded-For

Imports nothing heavy (the hub's config reads it). Frozen; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

MOBILE_DIGITS_RANGE = (3, 7)
"""The second factor is 3 to 7 trailing digits of the mobile number (the number has 11)."""


@dataclass(frozen=True, slots=True)
class TrackingSettings:
    host: str = "127.0.0.1"
    port: int = 8090
    mobile_digits: int = 4
    client_limit: int = 30
    client_window_s: float = 60.0
    number_limit: int = 5
    number_window_s: float = 3600.0
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies in front of the page: a request from one of them is
    counted against the address its ``X-Forwarded-For`` names (empty: the header is
    ignored, since anyone can send it)."""
