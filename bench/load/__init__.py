"""End-to-end WebSocket load tool: ``python -m bench.load``.

Starts each echo server it compares (uvicorn's WebSocket implementations,
fastws and Starlette apps, granian, aiohttp, picows), pinned to one CPU, on
127.0.0.1 only; drives it from a compiled client (picows) pinned to another
CPU for a bounded time; verifies every echo byte for byte and in order; and
reports messages/s, MB/s, latency percentiles, errors, and the server's CPU
time per message (its whole process tree, from ``/proc``). Servers are
stopped by process id when their run ends.
"""
