"""FastAPI endpoints with a ``fastws.WebSocket``: change one import.

```python
from fastapi import Depends, FastAPI, WebSocketDisconnect
from fastws.fastapi import WebSocket  # instead of: from fastapi import WebSocket

app = FastAPI()

@app.websocket("/ws/{room}")
async def chat(websocket: WebSocket, room: str, user: User = Depends(get_user)):
    await websocket.accept()
    ...
```

``WebSocket`` here is ``Annotated[fastws.WebSocket, Depends(websocket)]``:
FastAPI resolves the endpoint's path, query, header, cookie and security
parameters and its dependencies exactly as for its own ``WebSocket``, and
the endpoint gets a ``fastws.WebSocket`` over the same connection (type
checkers see ``fastws.WebSocket``). ``WebSocketException`` and validation
errors close the connection (403 before accept) as FastAPI does.

Use the one object the endpoint gets for the connection: a dependency that
asks for FastAPI's own ``WebSocket`` gets Starlette's object, which does not
see what the ``fastws.WebSocket`` accepted or sent.
"""

from __future__ import annotations

from typing import Annotated

try:
    from fastapi import Depends
    from starlette.websockets import WebSocket as StarletteWebSocket
except ImportError as error:  # pragma: no cover - fastws runs without FastAPI
    raise ImportError(f"fastws.fastapi needs FastAPI: pip install fastapi ({error})") from error

from .websockets import WebSocket as FastwsWebSocket

__all__ = ["WebSocket", "websocket"]


def websocket(connection: StarletteWebSocket) -> FastwsWebSocket:
    """FastAPI dependency: the endpoint's connection as a ``fastws.WebSocket``.

    Cached per connection by FastAPI, so every parameter that asks for it
    gets the same object.
    """
    # The ASGI callables the route was called with: the fastws object reads and
    # writes the connection itself, not through Starlette's object (and, on
    # fastws' wire layer, without the ASGI messages).
    return FastwsWebSocket(connection.scope, connection._receive, connection._send)


WebSocket = Annotated[FastwsWebSocket, Depends(websocket)]
"""``fastws.WebSocket``, provided by FastAPI's dependency injection (annotate an endpoint's parameter)."""
