"""The ``Cookie`` header parser Starlette uses (browser-like, after Django)."""

from __future__ import annotations

from http import cookies as http_cookies


def cookie_parser(cookie_string: str) -> dict[str, str]:
    """Parse a ``Cookie`` header into a dict, as browsers and Starlette do.

    Deliberately not ``SimpleCookie.load``: that follows an outdated spec and
    rejects much of what browsers send.
    """
    cookie_dict: dict[str, str] = {}
    for chunk in cookie_string.split(";"):
        if "=" in chunk:
            key, val = chunk.split("=", 1)
        else:
            # An empty name, as browsers do (Mozilla bug 169091).
            key, val = "", chunk
        key, val = key.strip(), val.strip()
        if key or val:
            cookie_dict[key] = http_cookies._unquote(val)
    return cookie_dict
