"""``fastws.protocol`` and ``fastws.http``: the uvicorn adapter and its HTTP front, on a real uvicorn over loopback."""
