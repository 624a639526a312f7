"""What several test modules share, defined once.

- ``twins``: the twins importable in this run (for hypothesis tests), the
  ``WebSocket`` class on either twin, and ``outcome`` (a call's value or
  its exception, to compare twins);
- ``views``: what a caller can observe of a ``Headers`` object;
- ``frames``: RFC 6455 client frames built by hand, independently of the codec;
- ``serving``: uvicorn with the fastws protocol in-process on loopback, an echo app;
- ``processes``: free loopback ports, and a command serving on one;
- ``properties``: the hypothesis settings and query-string pieces the properties share;
- ``redis_server``: a real ``redis-server`` for the broadcast tests.
"""
