"""uvicorn's proxy-headers middleware, applied when a connection opens, not kept in its await chain.

uvicorn wraps the app in ``ProxyHeadersMiddleware`` unless ``--no-proxy-headers``
is given: for a trusted client it takes ``client`` and ``scheme`` from the
``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers, then awaits the app.
Kept as it is, its coroutine sits between the task and the app for the
connection's whole life (240 bytes, and one more frame each time the app
resumes). ``app_for`` runs the middleware's own code once, on a copy of the
scope, with an inner app that is already done; the scope takes what it
changed, and the connection runs the app the middleware wraps. Should a
later uvicorn's middleware wait on anything before calling the app, the
copy is dropped and the middleware is run as it is.

The middleware changes a scope only from a request's forwarding headers:
a request with none of them (a client that connects directly, as most do)
skips it altogether, which is a tenth of a handshake's work in the server.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Generator
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .wire import handshake

__all__ = ["FORWARDING_HEADERS", "app_for"]

#: The request headers uvicorn's middleware reads (``X-Forwarded-For``, ``X-Forwarded-Proto``), and those a
#: proxy-headers middleware may read besides (RFC 7239's ``Forwarded``, the rest of the family): a request with
#: none of them leaves the scope as it is, whatever the client.
FORWARDING_HEADERS = frozenset(
    {
        b"forwarded",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-prefix",
        b"x-forwarded-proto",
        b"x-real-ip",
    }
)

App = Any  # an ASGI 3 app: uvicorn's own types of it do not take the dict scope the protocol builds


class _Done:
    """An awaitable already done (``await`` gives None at once)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return iter(())  # type: ignore[return-value]


_DONE = _Done()


def _finished(scope: dict[str, Any], receive: Any, send: Any) -> _Done:
    return _DONE


# A copy of each middleware whose app is _finished: it does the middleware's work on a scope, and no more
_shadows: weakref.WeakKeyDictionary[ProxyHeadersMiddleware, ProxyHeadersMiddleware] = weakref.WeakKeyDictionary()


def app_for(app: App, request: handshake.Request, scope: dict[str, Any], receive: Any, send: Any) -> App:
    """The app to run for a connection whose ``scope`` is made from ``request``: ``app``, or, if it is uvicorn's
    ``ProxyHeadersMiddleware``, the app it wraps, with the middleware's changes made to ``scope`` now."""
    if type(app) is not ProxyHeadersMiddleware:
        return app
    if not request.has_any(FORWARDING_HEADERS):
        return app.app  # nothing for it to change
    shadow = _shadows.get(app)
    if shadow is None:
        shadow = _shadows[app] = copy.copy(app)
        shadow.app = _finished  # type: ignore[assignment]
    trial = dict(scope)
    step = shadow(trial, receive, send)  # type: ignore[arg-type]
    try:
        step.send(None)
    except StopIteration:
        scope.update(trial)
        return app.app
    step.close()  # it waited on something: run the middleware itself, on the scope as it was
    return app
