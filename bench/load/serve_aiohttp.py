"""aiohttp's own WebSocket server: ``python -m bench.load.serve_aiohttp PORT``.

``/`` echoes; ``/fanout`` is the room of ``bench.load.apps`` (join, pub).
"""

from __future__ import annotations

import sys

from aiohttp import WSMsgType, web


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(autoping=False, compress=False, max_msg_size=0)
    await ws.prepare(request)
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws


ROOM: set[web.WebSocketResponse] = set()


async def fanout(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(autoping=False, compress=False, max_msg_size=0)
    await ws.prepare(request)
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            if message.data == "join":
                ROOM.add(ws)
                await ws.send_str("joined")
            elif message.data.startswith("pub "):
                payload = message.data[4:]
                for member in list(ROOM):
                    await member.send_str(payload)
    finally:
        ROOM.discard(ws)
    return ws


def main() -> None:
    import uvloop

    app = web.Application()
    app.router.add_get("/", echo)
    app.router.add_get("/fanout", fanout)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
