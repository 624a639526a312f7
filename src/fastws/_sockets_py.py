"""Writing to a connected socket now, when its transport holds nothing: the pure twin.

``send_now(fd, data)`` writes what the socket takes at once, without
blocking, and returns how many bytes that was (0 when it takes nothing or
fails); ``send_parts(fd, header, payload)`` does the same for a frame's
header and a large payload kept apart, so the payload is not copied into a
frame first (one ``writev``, ``sendmsg`` in the compiled twin); what the
socket did not take of an ASCII ``str`` goes to the transport as
``ascii_view(text, start)``, a read-only buffer of its bytes from ``start``
(over the ``str`` itself in the compiled twin: no copy). The protocol
calls them only while the transport's write buffer is empty, so bytes keep
their order; what is left goes to the transport, which also reports any
error. It skips the event loop's write path (about 0.3 µs
a message on uvloop), as picows does. ``send_last(fd, data)`` is
``send_now`` for the last bytes before the socket is closed (a Close
frame): the kernel holds them until the close, whose FIN then leaves in
the same segment (one packet less each way for every connection that
ends, and the peer woken once).

``recv_into(fd, buffer)`` and ``send_buffers(fd, buffers)`` are the reads
and the backlog's writes of ``fastws._socket_transport``, the transport an
open WebSocket connection gets once it is past the upgrade: they return
what the socket did (-1 from ``recv_into``: nothing to read now; 0 from
``send_buffers``: nothing taken now) and raise ``OSError`` for a broken
connection, for the transport to close it. ``reset_on_close(fd)`` is how a
connection is dropped at once: the socket's ``close`` then sends a reset
and the kernel keeps none of the unsent bytes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import Iterator, Sequence

__all__ = [
    "IOV_MAX",
    "ascii_view",
    "recv_into",
    "reset_on_close",
    "send_buffers",
    "send_last",
    "send_now",
    "send_parts",
]

#: the most buffers ``send_buffers`` writes in one call (the rest at the next): POSIX guarantees 16
IOV_MAX = 64
_LINGER_NONE = struct.pack("ii", 1, 0)  # struct linger: on, 0 s
_MSG_MORE = getattr(socket, "MSG_MORE", 0)  # Linux's; elsewhere 0: the bytes go at once, the close's FIN after them


def send_now(fd: int, data: bytes) -> int:
    """Write what the non-blocking socket ``fd`` takes of ``data`` now; the bytes written (0: none, or an error)."""
    if type(data) is not bytes:
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    try:
        return os.write(fd, data)  # SIGPIPE is ignored by Python: a closed peer is an OSError
    except OSError:  # would block, interrupted or broken: the transport writes it and sees the error itself
        return 0


def send_last(fd: int, data: bytes) -> int:
    """``send_now`` of the last bytes before the socket is closed: held by the kernel (``MSG_MORE``) until the
    close, so that its FIN leaves in the same segment."""
    if type(data) is not bytes:
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    try:
        with _borrowed(fd) as sock:
            return sock.send(data, _MSG_MORE)  # SIGPIPE is ignored by Python: a closed peer is an OSError
    except (OSError, ValueError):  # would block, broken, or not an open socket: as the compiled twin's send(2)
        return 0


def send_parts(fd: int, header: bytes, payload: bytes | str) -> int:
    """``send_now`` of ``header`` then ``payload`` (bytes, or an ASCII ``str``: its bytes are its UTF-8) at once."""
    if type(header) is not bytes:
        raise TypeError(f"header must be bytes, not {type(header).__name__}")
    if type(payload) is str:
        if not payload.isascii():
            raise ValueError("a str payload must be ASCII")
        payload = payload.encode("ascii")  # the compiled twin sends the str's own bytes: no copy
    elif type(payload) is not bytes:
        raise TypeError(f"payload must be bytes or str, not {type(payload).__name__}")
    try:
        return os.writev(fd, (header, payload))
    except OSError:
        return 0


def ascii_view(text: str, start: int = 0) -> memoryview:
    """The bytes of the ASCII ``text`` from ``start`` on, read-only (the compiled twin makes no copy)."""
    if type(text) is not str:
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not text.isascii():
        raise ValueError("a str payload must be ASCII")
    if not 0 <= start <= len(text):
        raise ValueError(f"start {start} is outside the text (0 to {len(text)})")
    return memoryview(text.encode("ascii")).toreadonly()[start:]


def recv_into(fd: int, buffer: bytearray | memoryview) -> int:
    """Read what the non-blocking socket ``fd`` has into ``buffer``: the bytes read, 0 at the end of the
    stream, -1 when there is nothing to read now; ``OSError`` when the connection is broken."""
    try:
        return os.readv(fd, (buffer,))
    except (BlockingIOError, InterruptedError):
        return -1


def send_buffers(fd: int, buffers: Sequence[bytes | bytearray | memoryview]) -> int:
    """Write what the non-blocking socket ``fd`` takes of ``buffers`` (at most ``IOV_MAX`` of them), in order,
    at once: the bytes written (0: none now); ``OSError`` when the connection is broken."""
    try:
        return os.writev(fd, buffers[:IOV_MAX])  # SIGPIPE is ignored by Python: a closed peer is an OSError
    except (BlockingIOError, InterruptedError):
        return 0


def reset_on_close(fd: int) -> None:
    """Make the close of socket ``fd`` a reset (``SO_LINGER`` on, 0 s): the kernel drops the unsent bytes at once
    instead of retrying them for minutes to a peer that does not read; ``OSError`` if ``fd`` is not a socket."""
    with _borrowed(fd) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_NONE)


@contextlib.contextmanager
def _borrowed(fd: int) -> Iterator[socket.socket]:
    """A socket object for ``fd`` that does not own it: let go of (not closed) on the way out."""
    sock = socket.socket(fileno=fd)
    try:
        yield sock
    finally:
        sock.detach()
