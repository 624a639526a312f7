"""picows' own echo server, the compiled-Python ceiling: ``python -m bench.load.serve_picows PORT``."""

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


async def serve(port: int) -> None:
    server: Any = await ws_create_server(lambda _request: Echo(), "127.0.0.1", port, max_frame_size=64 * 1024 * 1024)
    await server.serve_forever()


def main() -> None:
    import uvloop

    uvloop.install()
    asyncio.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
