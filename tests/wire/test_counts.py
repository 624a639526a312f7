"""The codec's counters (``codec.counts()``): each twin counts the same traffic the same way."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastws.wire.counts import SLOTS, Counts
from fastws.wire.deflate import PerMessageDeflate
from tests.helpers.frames import client_frame, feed

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def _delta(codec: ModuleType, before: Counts) -> dict[str, int]:
    """The counters that moved since ``before``, by name."""
    after = codec.counts()
    return {name: b - a for name, a, b in zip(Counts._fields, before, after, strict=True) if b != a}


def test_the_slots_name_every_counter(codec: ModuleType) -> None:
    assert len(Counts._fields) == SLOTS
    assert isinstance(codec.counts(), Counts)


def test_messages_and_payload_bytes_each_way(codec: ModuleType) -> None:
    connection = codec.Connection()
    before = codec.counts()
    data = client_frame(TEXT, "héllo".encode()) + client_frame(BINARY, b"\x00" * 300)
    data += client_frame(TEXT, b"ab", fin=False) + client_frame(CONTINUATION, b"cde")  # one message, 5 bytes
    assert feed(connection, data, chunk=7) == ["héllo", b"\x00" * 300, "abcde"]
    connection.send_text("ça")  # 3 UTF-8 bytes
    connection.send_bytes(bytearray(b"xyz!"))
    assert _delta(codec, before) == {
        "text_received": 2,
        "text_bytes_received": 6 + 5,
        "binary_received": 1,
        "binary_bytes_received": 300,
        "text_sent": 1,
        "text_bytes_sent": 3,
        "binary_sent": 1,
        "binary_bytes_sent": 4,
    }


def test_control_frames_and_the_replies_they_queue(codec: ModuleType) -> None:
    connection = codec.Connection()
    before = codec.counts()
    feed(connection, client_frame(PING, b"p") + client_frame(PONG, b"q"))  # the ping is answered: a pong sent
    connection.send_ping(b"1")
    connection.send_pong(b"2")
    feed(connection, client_frame(CLOSE, b"\x03\xe8"))  # the peer's Close is echoed: a close sent
    assert _delta(codec, before) == {
        "pings_received": 1,
        "pongs_received": 1,
        "closes_received": 1,
        "pings_sent": 1,
        "pongs_sent": 2,
        "closes_sent": 1,
    }


def test_a_failure_counts_the_close_it_queues_and_no_message(codec: ModuleType) -> None:
    connection = codec.Connection(max_size=10)
    before = codec.counts()
    feed(connection, client_frame(TEXT, b"x" * 11))  # 1009
    assert _delta(codec, before) == {"closes_sent": 1}
    connection = codec.Connection()
    before = codec.counts()
    connection.send_close(1000)
    feed(connection, client_frame(CLOSE, b"\x03\xe8"))  # the answer to ours: not echoed
    assert _delta(codec, before) == {"closes_sent": 1, "closes_received": 1}


def test_compressed_messages_count_the_bytes_the_app_sees(codec: ModuleType) -> None:
    sender, receiver = PerMessageDeflate(), PerMessageDeflate()
    text = "fastws " * 100
    packed = sender.encode(text.encode())  # what a client would send (same deflate parameters)
    connection = codec.Connection(deflate=receiver)
    before = codec.counts()
    assert feed(connection, client_frame(TEXT, packed, rsv=4)) == [text]
    frame = connection.send_text(text)
    assert len(frame) < len(text)
    assert _delta(codec, before) == {
        "text_received": 1,
        "text_bytes_received": len(text),
        "text_sent": 1,
        "text_bytes_sent": len(text),
    }


def test_count_sent_counts_frames_built_elsewhere(codec: ModuleType) -> None:
    before = codec.counts()
    codec.count_sent(True, 1000, 32)
    codec.count_sent(False, 3, 5)
    assert _delta(codec, before) == {
        "text_sent": 1000,
        "text_bytes_sent": 32000,
        "binary_sent": 3,
        "binary_bytes_sent": 15,
    }


_message = st.one_of(st.text(max_size=40), st.binary(max_size=300))


@pytest.mark.compiled
@settings(max_examples=60, deadline=None)
@given(messages=st.lists(_message, max_size=8), chunk=st.integers(0, 9))
def test_the_twins_count_alike(messages: list[str | bytes], chunk: int) -> None:
    from fastws.wire.codec import COMPILED, PURE

    if COMPILED is None:
        pytest.skip("compiled twin not live")
    data = b"".join(client_frame(TEXT, m.encode()) if isinstance(m, str) else client_frame(BINARY, m) for m in messages)
    moved = []
    for twin in (COMPILED, PURE):
        before = twin.counts()
        connection = twin.Connection()
        assert feed(connection, data, chunk) == messages
        for message in messages:
            connection.send_text(message) if isinstance(message, str) else connection.send_bytes(message)
        moved.append(_delta(twin, before))
    assert moved[0] == moved[1]
