"""Property tests of the codec: compiled == pure on any bytes, any chunking.

Random byte streams (mostly near-valid frames, so deep paths are reached)
are fed in random chunks to each live twin; events, queued replies and
state must be identical, and nothing may crash or hang. Valid streams must
also give back exactly the messages that were framed.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.frames import client_frame
from tests.helpers.twins import live_codecs

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_twin(codec: Any, data: bytes, cuts: list[int], max_size: int | None) -> tuple[Any, ...]:
    connection = codec.Connection(max_size=max_size)
    events: list[object] = []
    replies = b""
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        events += connection.receive_data(data[start:cut])
        replies += connection.data_to_send()
        start = cut
    return events, replies, connection.state, connection.close_sent


def chunkings(data: bytes) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, len(data)), max_size=12)


payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", "é€😀".encode(), b"\xff", b"\xed\xa0\x80", b"\xf0\x9f", b"\x03\xe8", b"\x03\xe8ok"]),
)
frames = st.builds(
    client_frame,
    st.sampled_from([0, 1, 2, 8, 9, 10, 3, 11]),
    payloads,
    fin=st.booleans(),
    rsv=st.sampled_from([0, 0, 0, 0, 4, 1]),
    masked=st.sampled_from([True, True, True, False]),
    length=st.sampled_from(["short", "short", "short", "16", "64"]),
)
streams = st.one_of(
    st.lists(frames, max_size=8).map(b"".join),
    st.binary(max_size=200),
    st.tuples(st.lists(frames, max_size=4).map(b"".join), st.binary(max_size=20)).map(b"".join),
)


@PROPS
@given(data=st.data(), stream=streams, max_size=st.sampled_from([None, 16, 100, 1 << 20]))
def test_twins_agree_on_any_stream(data: st.DataObject, stream: bytes, max_size: int | None) -> None:
    cuts = data.draw(chunkings(stream))
    results = [run_twin(codec, stream, cuts, max_size) for codec in live_codecs()]
    assert all(result == results[0] for result in results[1:]), results


messages = st.lists(st.one_of(st.text(max_size=200), st.binary(max_size=200)), max_size=6)


@st.composite
def fragmented(draw: st.DrawFn, message: str | bytes) -> bytes:
    """``message`` in 1-4 fragments, with pings between them."""
    raw = message.encode() if isinstance(message, str) else message
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=3)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    out = b""
    for i, piece in enumerate(pieces):
        opcode = (1 if isinstance(message, str) else 2) if i == 0 else 0
        out += client_frame(opcode, piece, fin=i == len(pieces) - 1)
        if draw(st.booleans()):
            out += client_frame(9, b"k")
    return out


@PROPS
@given(data=st.data(), sent=messages)
def test_valid_streams_give_back_every_message(data: st.DataObject, sent: list[str | bytes]) -> None:
    stream = b"".join(data.draw(fragmented(m)) for m in sent)
    cuts = data.draw(chunkings(stream))
    for codec in live_codecs():
        events, _, state, _ = run_twin(codec, stream, cuts, None)
        assert [e for e in events if isinstance(e, (str, bytes))] == sent
        assert state == codec.OPEN


def run_limited(
    codec: Any, data: bytes, cuts: list[int], max_size: int | None, limit: int, buffered: bool = False
) -> tuple[Any, ...]:
    """``run_twin`` with a read limit, going on from every stop as the protocol does; ``buffered``: each
    chunk read into one buffer (``receive_from``), overwritten after each call, as a ``BufferedProtocol``'s
    is by the next read (another connection's, maybe)."""
    connection = codec.Connection(max_size=max_size)
    buffer = bytearray(len(data) + 1)

    def receive(chunk: bytes) -> list[object]:
        if not buffered:
            return connection.receive_data(chunk, limit)  # type: ignore[no-any-return]
        buffer[: len(chunk)] = chunk
        got = connection.receive_from(buffer, len(chunk), limit)
        buffer[:] = b"\xa5" * len(buffer)  # what is kept to parse later must be the codec's own copy
        return got  # type: ignore[no-any-return]

    events: list[object] = []
    replies = b""
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        got = receive(data[start:cut])
        assert sum(len(e) for e in got if isinstance(e, (str, bytes))) < limit + (max_size or 1 << 20) + 1
        events += got
        while connection.stopped:
            events += receive(b"")
        replies += connection.data_to_send()
        start = cut
    return events, replies, connection.state, connection.close_sent


@PROPS
@given(data=st.data(), stream=streams, max_size=st.sampled_from([None, 16, 100]), limit=st.integers(1, 400))
def test_a_read_limit_only_changes_where_parsing_pauses(
    data: st.DataObject, stream: bytes, max_size: int | None, limit: int
) -> None:
    cuts = data.draw(chunkings(stream))
    for codec in live_codecs():
        assert run_limited(codec, stream, cuts, max_size, limit) == run_twin(codec, stream, cuts, max_size)


def test_a_limit_of_zero_parses_nothing_and_keeps_it() -> None:
    for codec in live_codecs():
        connection = codec.Connection()
        stream = client_frame(2, b"x" * 10) + client_frame(9, b"p") + client_frame(1, b"hi")
        assert connection.receive_data(stream, 0) == [] and connection.stopped
        assert connection.data_to_send() == b""  # not even the ping was read
        assert connection.receive_data(b"", 10) == [b"x" * 10] and connection.stopped
        events = connection.receive_data(b"")
        assert [type(e).__name__ for e in events] == ["Ping", "str"] and not connection.stopped


@pytest.mark.parametrize("limit", [64 * 1024, 1000, 1])
def test_a_read_of_empty_messages_stops_where_large_ones_would(limit: int) -> None:
    # each message counts MESSAGE_COST bytes beyond its payload: what its event costs to hold
    for codec in live_codecs():
        connection = codec.Connection()
        assert len(connection.receive_data(client_frame(2, b"") * 10_000, limit)) == -(-limit // codec.MESSAGE_COST)
        assert connection.stopped
    assert len({codec.MESSAGE_COST for codec in live_codecs()}) == 1


@PROPS
@given(data=st.data(), stream=streams, max_size=st.sampled_from([None, 16, 100, 1 << 20]), limit=st.integers(1, 400))
def test_reading_from_a_reused_buffer_is_reading_bytes(
    data: st.DataObject, stream: bytes, max_size: int | None, limit: int
) -> None:
    cuts = data.draw(chunkings(stream))
    for codec in live_codecs():
        assert run_limited(codec, stream, cuts, max_size, limit, buffered=True) == run_twin(
            codec, stream, cuts, max_size
        )
