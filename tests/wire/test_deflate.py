"""permessage-deflate (RFC 7692): negotiation, and both codec twins with it.

The client side is built here from zlib directly (raw deflate, the 4-byte
tail stripped), independently of ``fastws.wire.deflate``.
"""

from __future__ import annotations

import random
import tracemalloc
import zlib
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fastws.wire.deflate import PerMessageDeflate, negotiate
from fastws.wire.events import Fail
from tests.helpers.frames import client_frame, feed, server_frame
from tests.helpers.twins import live_codecs


def client_compressor(bits: int = 15) -> zlib._Compress:
    return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -bits)


def compress(compressor: zlib._Compress, data: bytes) -> bytes:
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate(decompressor: zlib._Decompress, payload: bytes) -> bytes:
    return decompressor.decompress(payload + b"\x00\x00\xff\xff")


# ---------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("offers", "answer"),
    [
        ([b"permessage-deflate"], b"permessage-deflate; server_max_window_bits=12"),
        ([b"permessage-deflate; client_max_window_bits"],
         b"permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"),
        ([b"permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"],
         b"permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"),
        ([b"permessage-deflate; server_no_context_takeover; client_no_context_takeover"],
         b"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12"),
        ([b"x-webkit-deflate-frame, permessage-deflate; foo=1", b"permessage-deflate; server_max_window_bits=15"],
         b"permessage-deflate; server_max_window_bits=12"),
        ([b"permessage-deflate; server_max_window_bits=8, permessage-deflate"],
         b"permessage-deflate; server_max_window_bits=12"),
    ],
)  # fmt: skip
def test_the_first_acceptable_offer_is_taken(offers: list[bytes], answer: bytes) -> None:
    negotiated = negotiate(offers)
    assert negotiated is not None and negotiated[1] == answer


@pytest.mark.parametrize(
    "offer",
    [
        b"",
        b"x-webkit-deflate-frame",
        b"permessage-deflate; unknown",
        b"permessage-deflate; server_max_window_bits=7",
        b"permessage-deflate; server_max_window_bits=16",
        b"permessage-deflate; client_max_window_bits=abc",
        b"permessage-deflate; server_max_window_bits",
        b"permessage-deflate; server_max_window_bits=8",
        b"permessage-deflate; server_no_context_takeover=1",
        b"permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    ],
)
def test_unacceptable_offers_are_declined(offer: bytes) -> None:
    assert negotiate([offer]) is None


# ------------------------------------------------------- both codec twins


@pytest.mark.parametrize("takeover", [True, False])
def test_compressed_messages_both_ways(codec: ModuleType, takeover: bool) -> None:
    extension = PerMessageDeflate(server_no_context_takeover=not takeover, client_no_context_takeover=not takeover)
    connection = codec.Connection(deflate=extension)
    compressor = client_compressor()
    messages: list[str | bytes] = ["hello " * 50, "héllo ✓", b"\x00" * 1000, "", b"", "hello " * 50]
    data = b""
    for message in messages:
        raw = message.encode() if isinstance(message, str) else message
        if not takeover:
            compressor = client_compressor()
        data += client_frame(1 if isinstance(message, str) else 2, compress(compressor, raw), rsv=4)
    assert feed(connection, data, 5) == messages
    decompressor = zlib.decompressobj(-12)
    for message in messages:
        frame = connection.send_text(message) if isinstance(message, str) else connection.send_bytes(message)
        first, _, payload = server_frame(frame)
        assert first == (0xC1 if isinstance(message, str) else 0xC2)  # FIN + RSV1
        if not takeover:
            decompressor = zlib.decompressobj(-12)
        got = inflate(decompressor, payload)
        assert got == (message.encode() if isinstance(message, str) else message)


def test_a_fragmented_compressed_message(codec: ModuleType) -> None:
    payload = compress(client_compressor(), "fragmented ✓ ".encode() * 20)
    data = (client_frame(1, payload[:5], fin=False, rsv=4) + client_frame(9, b"p")
            + client_frame(0, payload[5:20], fin=False) + client_frame(0, payload[20:]))  # fmt: skip
    events = feed(codec.Connection(deflate=PerMessageDeflate()), data, 3)
    assert events[-1] == "fragmented ✓ " * 20


def test_a_compression_bomb_fails_with_1009(codec: ModuleType) -> None:
    bomb = compress(client_compressor(), bytes(16 * 1024 * 1024))  # 16 MiB of zeros in ~16 KiB
    connection = codec.Connection(max_size=1024 * 1024, deflate=PerMessageDeflate())
    assert feed(connection, client_frame(2, bomb, rsv=4)) == [Fail(1009, "message over 1048576 bytes")]


@pytest.mark.parametrize(
    ("frame", "failure"),
    [
        (client_frame(1, b"\xff\xfe\xfd", rsv=4), Fail(1007, "invalid compressed data")),
        (client_frame(1, compress(client_compressor(), b"\xc3\x28"), rsv=4),
         Fail(1007, "invalid UTF-8 in a text message")),
        (client_frame(1, b"a", fin=False, rsv=4) + client_frame(0, b"b", rsv=4),
         Fail(1002, "reserved bits set where the extension allows none")),
        (client_frame(9, b"", rsv=4), Fail(1002, "reserved bits set where the extension allows none")),
        (client_frame(2, b"", rsv=2), Fail(1002, "reserved bits set where the extension allows none")),
    ],
)  # fmt: skip
def test_bad_compressed_input_fails(codec: ModuleType, frame: bytes, failure: Fail) -> None:
    assert feed(codec.Connection(deflate=PerMessageDeflate()), frame)[-1] == failure


frames = st.builds(
    client_frame,
    st.sampled_from([0, 1, 2, 8, 9]),
    st.one_of(st.binary(max_size=60), st.just(compress(client_compressor(), b"abc" * 30))),
    fin=st.booleans(),
    rsv=st.sampled_from([0, 4, 4, 2]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=st.lists(frames, max_size=6).map(b"".join), cut=st.integers(0, 400))
def test_twins_agree_with_deflate(stream: bytes, cut: int) -> None:
    results = []
    for codec in live_codecs():
        connection = codec.Connection(max_size=1000, deflate=PerMessageDeflate())
        events = connection.receive_data(stream[:cut]) + connection.receive_data(stream[cut:])
        results.append((events, connection.data_to_send(), connection.state))
    assert all(result == results[0] for result in results[1:]), results


def _heap_after(make: Any) -> int:
    """Bytes still allocated (zlib's state included: it allocates through Python's raw allocator) by ``make()``."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def test_an_idle_compressor_is_freed_and_the_peer_still_reads_every_message() -> None:
    extension = PerMessageDeflate()
    peer = zlib.decompressobj(-12)  # the client's, kept across messages (context takeover)
    message = b'{"type": "price", "symbol": "ABC", "bid": 101.25, "ask": 101.3}'
    assert inflate(peer, extension.encode(message)) == message
    assert extension.holds_compressor
    assert extension.release_idle() is False  # it compressed since the last call: kept
    assert extension.holds_compressor and len(extension.encode(message)) < len(message) // 3  # the context helps
    assert extension.release_idle() is False
    assert extension.release_idle() is True  # nothing since: freed
    assert not extension.holds_compressor and extension.release_idle() is False
    for _ in range(3):  # a new compressor after the idle spell, primed with what the peer's window holds
        assert inflate(peer, extension.encode(message)) == message


def test_a_used_then_idle_extension_holds_only_its_histories() -> None:
    """Idle, it keeps what the peer's windows hold (here 600 bytes each way), not ~45 KiB of zlib state."""

    def used_then_idle() -> PerMessageDeflate:
        extension = PerMessageDeflate(client_window_bits=12)
        extension.decode(compress(client_compressor(12), b"hello " * 100), None)
        extension.encode(b"hello " * 100)
        extension.release_idle()
        extension.release_idle()
        return extension

    def used() -> PerMessageDeflate:
        extension = PerMessageDeflate(client_window_bits=12)
        extension.decode(compress(client_compressor(12), b"hello " * 100), None)
        extension.encode(b"hello " * 100)
        return extension

    idle, busy = _heap_after(used_then_idle), _heap_after(used)
    assert not used_then_idle().holds_decompressor and not used_then_idle().holds_compressor
    assert idle < 2 * 600 + 1024 and busy > idle + 30 * 1024, (idle, busy)


def test_a_freed_decompressor_still_reads_references_to_earlier_messages() -> None:
    """The peer keeps its context: its second message is mostly a reference into its first (RFC 7692 7.2.2)."""
    extension = PerMessageDeflate(client_window_bits=12)
    peer = client_compressor(12)
    first = b'{"type": "order", "symbol": "ABCDEF", "side": "buy", "qty": 100, "price": 101.25}'
    assert extension.decode(compress(peer, first), None) == first
    extension.release_idle()
    assert extension.release_idle() and not extension.holds_decompressor
    again = compress(peer, first)
    assert len(again) < len(first) // 4  # it refers back: only the history can resolve it
    assert extension.decode(again, None) == first
    assert extension.decode(compress(peer, first[::-1] + first), None) == first[::-1] + first


def test_a_freed_compressor_is_primed_with_its_history_the_ratio_holds() -> None:
    """After an idle spell the next message compresses as if the compressor had been kept."""
    kept, freed = PerMessageDeflate(), PerMessageDeflate()
    peer = zlib.decompressobj(-12)  # the client's, across messages
    messages = [f'{{"tick": {n}, "symbol": "ABCDEF", "bid": 101.25, "ask": 101.5}}'.encode() for n in range(5)]
    for message in messages:
        expected = kept.encode(message)
        freed.release_idle()
        freed.release_idle()
        assert not freed.holds_compressor
        payload = freed.encode(message)
        assert inflate(peer, payload) == message
        assert len(payload) <= len(expected) + 2, (len(payload), len(expected))
    assert len(expected) < len(messages[-1]) // 2  # the history did help


def test_with_idle_zero_no_zlib_object_outlives_its_message_yet_both_sides_read_all() -> None:
    extension = PerMessageDeflate(client_window_bits=12)
    extension.release_when_idle(None, 0)
    ours, theirs = zlib.decompressobj(-12), client_compressor(12)
    message = b"the same line again and again, " * 4
    for _ in range(4):
        assert inflate(ours, extension.encode(message)) == message
        assert extension.decode(compress(theirs, message), None) == message
        assert not extension.holds_compressor and not extension.holds_decompressor


class FakeScheduler:
    def __init__(self) -> None:
        self.due: dict[int, Any] = {}
        self.next = 0

    def add(self, delay: float, owner: Any) -> int:
        self.next += 1
        self.due[self.next] = (delay, owner)
        return self.next

    def discard(self, tick: int, owner: Any) -> None:
        self.due.pop(tick, None)

    def fire(self) -> None:
        due, self.due = self.due, {}
        for _, owner in due.values():
            owner.on_due()


def test_a_zlib_object_is_kept_only_while_used_again_within_the_idle_time() -> None:
    """A side used once in an idle spell keeps nothing; used again within it, it keeps its compressor until idle."""
    scheduler = FakeScheduler()
    extension = PerMessageDeflate()
    extension.release_when_idle(scheduler, 2.5)
    peer = zlib.decompressobj(-12)
    assert scheduler.due == {}
    assert inflate(peer, extension.encode(b"a message")) == b"a message"
    assert not extension.holds_compressor and list(scheduler.due.values()) == [(2.5, extension)]
    assert inflate(peer, extension.encode(b"another message")) == b"another message"  # within the spell: kept
    assert extension.holds_compressor and len(scheduler.due) == 1  # one check at a time
    assert inflate(peer, extension.encode(b"a third")) == b"a third"
    scheduler.fire()  # used since the last check: kept, checked again
    assert extension.holds_compressor and len(scheduler.due) == 1
    scheduler.fire()  # unused since: freed, and no more checks
    assert not extension.holds_compressor and scheduler.due == {}
    assert inflate(peer, extension.encode(b"a message")) == b"a message"  # once in a spell again: not kept
    assert not extension.holds_compressor and len(scheduler.due) == 1
    scheduler.fire()
    assert scheduler.due == {}
    extension.encode(b"x")
    extension.encode(b"y")
    assert extension.holds_compressor and len(scheduler.due) == 1
    extension.close()
    assert scheduler.due == {} and not extension.holds_compressor


@pytest.mark.parametrize("idle", [-1.0, 1.0])
def test_an_idle_time_needs_a_scheduler_and_no_negative(idle: float) -> None:
    with pytest.raises(ValueError, match="idle must be >= 0 seconds"):
        PerMessageDeflate().release_when_idle(None, idle)


@pytest.mark.parametrize(("sizes", "limit"), [([10] * 200, 4096), ([3000, 3000, 3000], 4096), ([10, 9000, 5], 4096)])
def test_a_history_keeps_the_last_window_and_few_objects(sizes: list[int], limit: int) -> None:
    extension = PerMessageDeflate(client_window_bits=12)
    peer = client_compressor(12)
    stream = b""
    for n, size in enumerate(sizes):
        message = bytes((n * 7 + i) % 251 for i in range(size))
        assert extension.decode(compress(peer, message), None) == message
        stream += message
        history = extension._received
        assert history is not None and len(history.parts) <= 33 and history.size == sum(map(len, history.parts))
        assert b"".join(history.parts).endswith(stream[-limit:]) and history.size < 2 * limit + max(sizes)
    assert history.tail() == stream[-limit:]


@pytest.mark.parametrize("side", ["server", "client"])
def test_without_context_takeover_no_context_outlives_its_message(side: str) -> None:
    def after_one_message() -> PerMessageDeflate:
        extension = PerMessageDeflate(
            server_no_context_takeover=side == "server", client_no_context_takeover=side == "client"
        )
        if side == "server":
            extension.encode(b"hello " * 100)
        else:
            extension.decode(compress(client_compressor(12), b"hello " * 100), None)
        return extension

    assert _heap_after(after_one_message) < 1024


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(
        st.builds(lambda seed, size: random.Random(seed).randbytes(size), st.integers(), st.integers(100, 2000)),
        min_size=1,
        max_size=4,
    ),
    messages=st.lists(
        st.tuples(st.lists(st.integers(0, 3), max_size=5), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    bits=st.sampled_from([9, 12, 15]),
)
@example(  # a reference 3,000 bytes back, into a message from before the decompressor was freed
    blocks=[random.Random(1).randbytes(1500), random.Random(2).randbytes(1500)],
    messages=[([0], False), ([1], False), ([0], True)],
    bits=12,
)
def test_freed_and_primed_at_any_point_both_sides_read_every_message(
    blocks: list[bytes], messages: list[tuple[list[int], bool]], bits: int
) -> None:
    """Context takeover both ways; the zlib objects freed (or not) before any message: nothing is lost.

    Messages are made of a few random blocks, so later ones refer back into
    earlier ones from every distance up to the window.
    """
    extension = PerMessageDeflate(server_window_bits=bits, client_window_bits=bits)
    ours, theirs = zlib.decompressobj(-bits), client_compressor(bits)
    for picks, free_first in messages:
        message = b"".join(blocks[i % len(blocks)] for i in picks)
        if free_first:
            extension.release_idle()
            extension.release_idle()
        assert inflate(ours, extension.encode(message)) == message
        assert extension.decode(compress(theirs, message), None) == message
