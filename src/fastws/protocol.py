"""The asyncio adapter uvicorn loads: ``uvicorn app:app --ws fastws.protocol:WebSocketProtocol``.

I/O only: the handshake and the frames are decided by the sans-I/O code in
``fastws.wire`` (``handshake`` and ``codec``, compiled or pure). This class
takes the constructor and the duties uvicorn gives its own ``--ws``
classes: it joins ``server_state.connections`` and ``tasks``, receives the
upgrade request from the HTTP protocol, runs the ASGI app with the whole
websocket spec (accept, subprotocols, extra headers, close codes and
reasons, the ``websocket.http.response`` denial extension), and honours
``ws_max_size``, ``ws_max_queue``, ``ws_ping_interval``/``ws_ping_timeout``,
``root_path``, default headers and access logging.

Hostile and stalled peers (``fastws.settings``): a peer that does not read
makes ``send`` wait for the transport to drain (and, with
``ws_write_timeout``, is dropped after that long); while it does not read,
its pings get one pong, for the latest (RFC 6455 5.5.3). A peer that floods
pauses reading once ``ws_max_queue`` messages or ``ws_max_queue_bytes``
bytes of them wait for the app, and the codec parses no further than that
budget, so even compressed messages cannot pile up. The ``Origin`` policy
and uvicorn's ``limit_concurrency`` (503) are checked before the app runs.
Graceful shutdown closes with 1012 (``ws_drain_reason``), all at once or
each connection at a random moment of ``ws_drain_window`` (kept within
uvicorn's ``timeout_graceful_shutdown``), so that clients reconnect across
the window; an upgrade not yet answered gets 503. Every close, by either
side, is bounded by ``ws_close_timeout``, after which the transport is
aborted.

Keepalive pings go out ``ws_ping_interval`` after the last one was answered,
at most 1/``KEEPALIVE_TICKS`` of the interval late: one loop timer (a
``TimerWheel``) serves every connection's pings, so an idle connection
holds no timer of its own.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ._protocol_core import ProtocolCore
from ._protocol_state import State
from .settings import Settings

__all__ = ["State", "WebSocketProtocol"]


class WebSocketProtocol(ProtocolCore, asyncio.BufferedProtocol):
    """One WebSocket connection on uvicorn, from the upgrade request to the close.

    Its body is ``ProtocolCore`` (``fastws._protocol_core``: compiled, or
    its pure twin); subclass to change ``settings``.
    """

    __slots__ = ()  # the fields are ProtocolCore's

    #: limits, deadlines, deflate's memory and the Origin policy (``FASTWS_*`` environment variables,
    #: read when this module is first imported: ``fastws run`` sets them first); subclass to change
    settings: Settings = Settings.from_environ()


if TYPE_CHECKING:  # the protocol keeps fastws.connection's contract: mypy checks these assignments
    from .connection import BroadcastConnection, Connection, DirectConnection

    def _keeps_the_contract(protocol: WebSocketProtocol) -> tuple[Connection, DirectConnection, BroadcastConnection]:
        return protocol, protocol, protocol
