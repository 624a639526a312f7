"""``fastws.WebSocket`` (both ``WebSocketBase`` twins) against Starlette's, and the apps built on it."""
