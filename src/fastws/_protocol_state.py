"""``State``: where a WebSocket connection on uvicorn is in its life (``fastws.protocol``).

Its own module, below both halves of the protocol: the compiled core
(``fastws._protocol_core``) and ``fastws.protocol.WebSocketProtocol`` read
the same members. ``fastws.protocol`` exports it.
"""

from __future__ import annotations

import enum

__all__ = ["PAST_CLOSE", "State"]


class State(enum.Enum):
    """Where a connection is in its life: ``WebSocketProtocol.state``, changed only by the protocol.

    ::

        CONNECTING -- accept --------------> OPEN -- the app's Close --> CLOSING
                                             OPEN -- the server's Close --> SERVER_CLOSING
        CONNECTING -- response.start ------> RESPONDING -- its body ends --> REFUSED
        CONNECTING -- an HTTP error answer -> REFUSED
        OPEN, CLOSING, SERVER_CLOSING -- the peer's Close, a broken rule, a timeout --> PEER_GONE
        any state -- the TCP connection is lost --> CLOSED

    A peer that closes, breaks a rule or stops reading before the app
    has accepted (``CONNECTING``, ``RESPONDING``, ``REFUSED``) also makes
    it ``PEER_GONE``.

    The codec (``fastws.wire.codec.Connection``) keeps its own state of the
    frames: its ``OPEN``/``CLOSING``/``CLOSED`` and ``close_sent`` say which
    Close frames went out and came in. The two agree this way: the protocol
    is ``OPEN`` only while the codec is ``OPEN``; ``CLOSING`` and
    ``SERVER_CLOSING`` are the codec's ``CLOSING`` (our Close written, the
    peer's awaited: they differ only in who closed, the app or the server);
    ``PEER_GONE`` follows the codec's ``CLOSED`` (the peer's Close read or
    a rule broken, our answering Close written) in the same
    ``data_received``, or a timeout that ends the connection with no more
    frames (the codec may then still be ``OPEN``: nothing more is written).
    Before ``OPEN`` the codec only parses frames the peer sent ahead of our
    answer (a Close among them makes the protocol ``PEER_GONE``).
    """

    #: the upgrade request is being read, or the app has not answered it yet
    CONNECTING = enum.auto()
    #: the app is sending an HTTP response instead (``websocket.http.response.start``, then its body)
    RESPONDING = enum.auto()
    #: an HTTP error or the app's response answered the upgrade: no frames go out, TCP is closing
    REFUSED = enum.auto()
    #: accepted, and neither side has closed: messages flow both ways
    OPEN = enum.auto()
    #: the app's Close went out: the peer's is awaited, within ``ws_close_timeout``; the app's sends are errors
    CLOSING = enum.auto()
    #: the server's Close went out (shutdown's 1012, ``close_now``): the peer's is awaited, as in ``CLOSING``;
    #: the app was told (``websocket.disconnect``) and did not close, so, as uvicorn has it, its close is a
    #: no-op and its sends raise ``ClientDisconnected``
    SERVER_CLOSING = enum.auto()
    #: the peer closed, broke a rule or stopped answering: our last frame is written, TCP is closing;
    #: the app's close is a no-op and its sends raise ``ClientDisconnected``
    PEER_GONE = enum.auto()
    #: the TCP connection is gone (``connection_lost``)
    CLOSED = enum.auto()

    # a member is the one object of its value: hashed by identity, in C (Enum's own hash is a
    # Python call, made at every ``state in PAST_CLOSE``)
    __hash__ = object.__hash__


#: the app is past its close, or will never have one: what the peer still sends is dropped
PAST_CLOSE = frozenset({State.REFUSED, State.CLOSING, State.SERVER_CLOSING, State.PEER_GONE, State.CLOSED})
