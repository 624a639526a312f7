"""The backend a broadcast URL names: ``memory://`` or Redis.

Its own module above the backends it chooses from, so that ``backends.py``
(the contract) imports none of them and ``redis.py`` (which needs redis-py,
an optional extra) is imported only when a URL names it.
"""

from __future__ import annotations

from .backends import Backend, MemoryBackend
from .errors import UnknownBackend

__all__ = ["backend_for"]


def backend_for(url: str, **options: object) -> Backend:
    """The backend a URL names: ``memory://``, ``redis://host:port/db`` (``rediss://`` for TLS, ``unix://`` for
    a socket) or ``redis+cluster://host:port,host:port`` (a Redis Cluster; ``rediss+cluster://`` for TLS)."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise UnknownBackend(f"a broadcast URL looks like memory:// or redis://host:port/db, not {url!r}")
    scheme = scheme.lower()
    if scheme == "memory":
        return MemoryBackend()
    if scheme in ("redis+cluster", "rediss+cluster"):
        from .cluster import ClusterBackend  # redis-py is an optional extra

        return ClusterBackend(url, **options)  # type: ignore[arg-type]
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisBackend  # redis-py is an optional extra

        return RedisBackend(url, **options)  # type: ignore[arg-type]
    raise UnknownBackend(f"no broadcast backend for {scheme}:// (there are memory://, redis:// and redis+cluster://)")
