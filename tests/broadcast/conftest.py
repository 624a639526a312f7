"""The broadcast tests' servers: a real Redis and a real Redis Cluster, one each per test module.

CI's when ``.ci/run`` started them (``FASTWS_TEST_REDIS_URL``,
``FASTWS_TEST_REDIS_CLUSTER_URL``), else started here and stopped after
the module. Tests that stop or change a server start their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.redis_cluster import shared_cluster_url
from tests.helpers.redis_server import shared_redis_url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from _served(shared_redis_url)


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    yield from _served(shared_cluster_url)


def _served(shared: Callable[[], tuple[str, Any]]) -> Iterator[str]:
    """The URL ``shared`` gives; the server it started (if any) is stopped after."""
    pytest.importorskip("redis")
    url, server = shared()
    try:
        yield url
    finally:
        if server is not None:
            server.stop()
