"""Property tests of the codec: compiled == pure on any bytes, any chunking.

Random byte streams (mostly near-valid frames, so deep paths are reached)
are fed in random chunks to each live twin; events, queued replies and
state must be identical, and nothing may crash or hang. Valid streams must
also give back exactly the messages that were framed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import live_codecs
from test_codec import client_frame

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
