"""Which web pages may open a WebSocket: the ``Origin`` check, sans I/O.

Browsers send a page's cookies with its WebSocket handshake, whatever site
the page came from, so a service that authenticates by cookie and does not
check ``Origin`` can be driven by any page its users visit (cross-site
WebSocket hijacking). RFC 6455 10.2: "Servers that are not intended to
process input from any web page but only for certain sites SHOULD verify
the |Origin| field is an origin they expect."

Non-browser clients usually send no ``Origin``; whether they are let in is
a setting of its own (``allow_missing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["OriginPolicy"]

# scheme "://" host [":" port], host possibly starting with "*." (RFC 6454 6.1's serialisation)
_PATTERN = re.compile(r"[a-z][a-z0-9+.-]*://(\*\.)?[a-z0-9._~%!$&'()+,;=\[\]:-]+\Z")
_ANY_LABELS = r"[a-z0-9-]+(?:\.[a-z0-9-]+)*"  # what "*" stands for: one or more DNS labels


class OriginPolicy:
    """An allow-list of origins: exact (``https://app.example.com``, ``http://localhost:8000``),
    any subdomain (``https://*.example.com``), or ``null`` (sandboxed pages, ``file:``).

    Matching ignores ASCII case, as origins are compared (RFC 6454 5).
    Raises ``ValueError`` for an entry that is not ``scheme://host[:port]``
    (with an optional leading ``*.``) or ``null``.
    """

    __slots__ = ("_exact", "_patterns", "allow_missing", "allowed")

    def __init__(self, allowed: Iterable[str], allow_missing: bool = True) -> None:
        self.allowed = tuple(allowed)
        self.allow_missing = allow_missing
        exact: set[bytes] = set()
        patterns: list[str] = []
        for entry in self.allowed:
            origin = entry.strip().lower().rstrip("/")
            if origin != "null" and not _PATTERN.match(origin):
                raise ValueError(f"allowed origin {entry!r} is not scheme://host[:port], *.host or null")
            if "*" in origin:
                scheme, rest = origin.split("://", 1)
                patterns.append(re.escape(scheme + "://") + _ANY_LABELS + re.escape(rest[1:]))
            else:
                exact.add(origin.encode("ascii"))
        self._exact = frozenset(exact)
        self._patterns = re.compile("|".join(patterns).encode()) if patterns else None

    def allows(self, origins: list[bytes]) -> bool:
        """Whether a handshake with these ``Origin`` header values may go on.

        No ``Origin``: ``allow_missing``. More than one: refused (which
        would be the page's?).
        """
        if not origins:
            return self.allow_missing
        if len(origins) > 1:
            return False
        origin = origins[0].strip().lower()
        if origin in self._exact:
            return True
        return self._patterns is not None and self._patterns.fullmatch(origin) is not None

    def __repr__(self) -> str:
        return f"OriginPolicy({list(self.allowed)!r}, allow_missing={self.allow_missing})"
