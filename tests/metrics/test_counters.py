"""``fastws.metrics.counters``: the rules of the per-connection counters, without a server."""

from __future__ import annotations

from fastws.metrics.counters import Counters


class Connection:
    def queued_bytes(self) -> int:
        return 0

    def write_buffer_size(self) -> int:
        return 0


def test_close_codes_a_client_chooses_are_bucketed_the_servers_kept() -> None:
    counters = Counters()
    for code in (1000, 1001, 3000, 3999, 4000, 4999):
        counters.closed(code, "client")
    counters.closed(4001, "server")
    counters.closed(4002, "server")
    assert counters.closes == {
        ("1000", "client"): 1,
        ("1001", "client"): 1,
        ("3xxx", "client"): 2,
        ("4xxx", "client"): 2,
        ("4001", "server"): 1,
        ("4002", "server"): 1,
    }


def test_paused_time_is_counted_once_per_pause() -> None:
    counters, connection = Counters(), Connection()
    counters.pause(connection, 10.0)
    counters.pause(connection, 11.0)  # already paused: the first time holds
    counters.resume(connection, 12.5)
    counters.resume(connection, 13.0)  # not paused: nothing
    counters.pause(connection, 20.0)
    counters.lost(connection, 21.0)  # lost while paused: the pause ends
    assert counters.paused_total == 3.5 and not counters.paused


def test_an_opened_connection_is_gauged_until_lost() -> None:
    counters, connection = Counters(), Connection()
    counters.opened(connection, deflate=True)
    assert connection in counters.live
    assert (counters.connections_total, counters.deflate_total) == (1, 1)
    assert counters.handshakes == {("accepted", 101): 1}
    counters.lost(connection, 1.0)
    assert not counters.live
