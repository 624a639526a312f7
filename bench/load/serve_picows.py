"""picows' own server, the compiled-Python ceiling: ``python -m bench.load.serve_picows PORT``.

``/`` echoes; ``/fanout`` is the room of ``bench.load.apps`` (join, pub).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server


class Echo(WSListener):  # type: ignore[misc]
    """Echo every data frame back as it came (messages are not fragmented).

    While the peer does not read its echoes, stop reading its requests
    (flow control), so a slow reader cannot grow the server's memory.
    """

    transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.underlying_transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None:
            self.transport.underlying_transport.resume_reading()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
        elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)


ROOM: set[WSTransport] = set()


class RoomMember(WSListener):  # type: ignore[misc]
    """A member of the one fan-out room: ``join``, then ``pub <text>`` reaches everyone."""

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            ROOM.discard(transport)
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
        elif frame.msg_type == WSMsgType.TEXT:
            text = frame.get_payload_as_bytes()
            if text == b"join":
                ROOM.add(transport)
                transport.send(WSMsgType.TEXT, b"joined")
            elif text.startswith(b"pub "):
                payload = text[4:]
                for member in list(ROOM):
                    member.send(WSMsgType.TEXT, payload)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        ROOM.discard(transport)


def listener_for(request: Any) -> WSListener:
    return RoomMember() if request.path == b"/fanout" else Echo()


async def serve(port: int) -> None:
    server: Any = await ws_create_server(listener_for, "127.0.0.1", port, max_frame_size=64 * 1024 * 1024)
    await server.serve_forever()


def main() -> None:
    import uvloop

    uvloop.install()
    asyncio.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
