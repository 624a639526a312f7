"""The RFC 6455 codec, both twins: every framing rule on plain byte strings.

Client frames are built by ``tests.helpers.frames``, with ``struct`` and a
naive XOR, independently of the codec under test.
"""

from __future__ import annotations

import struct
from types import ModuleType

import pytest

from fastws.wire.deflate import PerMessageDeflate
from fastws.wire.events import Close, Fail, Ping, Pong, ProtocolStateError
from tests.helpers.frames import MASK, client_frame, feed, server_frame, xor

# ----------------------------------------------------------------- messages


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 300_000])
@pytest.mark.parametrize("chunk", [0, 1, 7, 4096])
def test_messages_of_every_length_in_any_chunking(codec: ModuleType, size: int, chunk: int) -> None:
    if chunk == 1 and size > 70_000:
        pytest.skip("one byte at a time is covered by the smaller sizes")
    text = ("é€😀abc" * (size // 10 + 1))[:size]
    ascii_text = ("abcdefg" * (size // 7 + 1))[:size]
    binary = bytes(range(256)) * (size // 256 + 1)
    data = client_frame(1, text.encode()) + client_frame(1, ascii_text.encode()) + client_frame(2, binary[:size])
    events = feed(codec.Connection(max_size=None), data, chunk)
    assert events == [text, ascii_text, binary[:size]]
    assert [type(event) for event in events] == [str, str, bytes]
    assert events[1].isascii()


def test_receive_from_reads_a_buffer_up_to_its_size(codec: ModuleType) -> None:
    frame = client_frame(1, b"hello")
    buffer = bytearray(frame + client_frame(1, b"not read"))  # past size: not the peer's yet
    connection = codec.Connection()
    assert connection.receive_from(buffer, len(frame) - 2, 100) == []
    buffer[:] = bytes(len(buffer))  # the next read overwrites it: the codec kept its own copy of the rest
    buffer[:2] = frame[-2:]
    assert connection.receive_from(buffer, 2, 100) == ["hello"]


def test_receive_from_takes_a_bytearray_and_a_size_within_it(codec: ModuleType) -> None:
    connection = codec.Connection()
    for wrong in (b"\x81\x80", memoryview(bytearray(2)), None):
        with pytest.raises(TypeError):
            connection.receive_from(wrong, 0, 100)
    for size in (-1, 3):
        with pytest.raises(ValueError, match="not within the buffer's 2 bytes"):
            connection.receive_from(bytearray(2), size, 100)
    assert connection.state == codec.OPEN


# Around the widths the compiled twin unmasks at once (8, 16, 32, 64, 128 bytes), and in a long run
INVALID_AT = [0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 96, 127, 128, 129, 191, 200, 4095, 70_000, 99_999]


@pytest.mark.parametrize("at", INVALID_AT)
@pytest.mark.parametrize("chunk", [0, 1000, 65536])
def test_an_invalid_byte_anywhere_in_long_ascii_text_fails_it(codec: ModuleType, at: int, chunk: int) -> None:
    payload = bytearray(b"a" * 100_000)
    payload[at] = 0xFF  # never in UTF-8
    events = feed(codec.Connection(max_size=None), client_frame(1, bytes(payload)), chunk)
    assert events == [Fail(1007, "invalid UTF-8 in a text message")]


@pytest.mark.parametrize("at", INVALID_AT[:-2])
def test_a_sequence_cut_by_reads_with_ascii_between_fails(codec: ModuleType, at: int) -> None:
    """A read of ASCII bytes only, inside a sequence an earlier read began, is checked all the same."""
    euro = "€".encode()
    payload = b"a" * at + euro[:2] + b"a" + euro[2:] + b"a" * (70_000 - at)
    data = client_frame(1, payload)
    cut = len(data) - len(payload) + at + 2  # the first read ends inside the euro sign, the second is b"a"
    connection = codec.Connection(max_size=None)
    events = connection.receive_data(data[:cut]) + connection.receive_data(data[cut : cut + 1])
    assert events + connection.receive_data(data[cut + 1 :]) == [Fail(1007, "invalid UTF-8 in a text message")]


def test_a_long_message_is_not_reserved_ahead_of_what_arrived(codec: ModuleType) -> None:
    """A header may claim megabytes: what is held grows with what was sent, not with the claim."""
    import tracemalloc

    claimed = 64 * 1024 * 1024
    head = client_frame(2, b"x" * 1024, length="64")[:14]
    head = head[:2] + struct.pack("!Q", claimed) + head[10:]  # a 64 MiB binary frame, 1 KiB of it sent
    connection = codec.Connection(max_size=None)
    tracemalloc.start()
    try:
        assert connection.receive_data(head + b"\0" * 4096) == []
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 1024 * 1024


def test_fragments_with_control_frames_between(codec: ModuleType) -> None:
    euro = "€".encode()  # split across fragments: accepted
    data = (
        client_frame(1, b"ab" + euro[:1], fin=False)
        + client_frame(9, b"ping!")
        + client_frame(0, euro[1:], fin=False)
        + client_frame(10, b"pong")
        + client_frame(0, b"cd")
        + client_frame(2, b"\x00\xff", fin=False)
        + client_frame(0, b"", fin=False)
        + client_frame(0, b"\x01")
    )
    for chunk in (0, 1, 3):
        connection = codec.Connection()
        events = feed(connection, data, chunk)
        assert events == [Ping(b"ping!"), Pong(b"pong"), "ab€cd", b"\x00\xff\x01"]
        first, _, payload = server_frame(connection.data_to_send())
        assert first == 0x8A and payload == b"ping!"  # the pong, echoing the ping's payload
        assert connection.data_to_send() == b""  # taken once


# ----------------------------------------------------------- failing (1002)

PROTOCOL_ERRORS = {
    "rsv1 without an extension": client_frame(1, b"x", rsv=4),
    "rsv2": client_frame(2, b"x", rsv=2),
    "rsv3": client_frame(9, b"", rsv=1),
    **{f"reserved opcode {op}": client_frame(op, b"x") for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)},
    "fragmented ping": client_frame(9, b"x", fin=False),
    "fragmented close": client_frame(8, b"\x03\xe8", fin=False),
    "ping over 125 bytes": client_frame(9, b"p" * 126),
    "close over 125 bytes": client_frame(8, b"\x03\xe8" + b"r" * 124),
    "continuation without a message": client_frame(0, b"x"),
    "text inside a fragmented message": client_frame(1, b"a", fin=False) + client_frame(1, b"b"),
    "binary inside a fragmented message": client_frame(2, b"a", fin=False) + client_frame(2, b"b"),
    "unmasked client frame": client_frame(1, b"hello", masked=False),
    "16-bit length for a short payload": client_frame(2, b"x" * 125, length="16"),
    "64-bit length for a 16-bit payload": client_frame(2, b"x" * 65535, length="64"),
    "64-bit length with the top bit set": struct.pack("!BBQ", 0x82, 0xFF, 1 << 63) + MASK,
    "one-byte close payload": client_frame(8, b"\x03"),
    **{f"close code {code}": client_frame(8, struct.pack("!H", code)) for code in
       (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535)},
}  # fmt: skip


@pytest.mark.parametrize("name", list(PROTOCOL_ERRORS))
def test_protocol_errors_fail_with_1002(codec: ModuleType, name: str) -> None:
    data = PROTOCOL_ERRORS[name] + client_frame(1, b"never read")
    for chunk in (0, 1):
        connection = codec.Connection()
        events = feed(connection, data, chunk)
        assert len(events) == 1 and isinstance(events[0], Fail) and events[0].code == 1002, events
        assert connection.state == codec.CLOSED
        first, _, payload = server_frame(connection.data_to_send())
        assert first == 0x88 and payload[:2] == b"\x03\xea" and payload[2:].decode() == events[0].reason
        assert connection.receive_data(client_frame(1, b"more")) == []  # nothing more is read


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])
def test_valid_close_codes_are_accepted_and_echoed(codec: ModuleType, code: int) -> None:
    connection = codec.Connection()
    events = feed(connection, client_frame(8, struct.pack("!H", code) + "bye ✓".encode()) + client_frame(1, b"x"))
    assert events == [Close(code, "bye ✓")]
    assert connection.state == codec.CLOSED and connection.close_sent
    assert server_frame(connection.data_to_send()) == (0x88, 2, struct.pack("!H", code))


def test_close_without_status_is_1005_and_echoed_empty(codec: ModuleType) -> None:
    connection = codec.Connection()
    assert feed(connection, client_frame(8)) == [Close(1005, "")]
    assert server_frame(connection.data_to_send()) == (0x88, 0, b"")


# ---------------------------------------------------------- UTF-8 (1007)

INVALID_UTF8 = [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\xaf", b"\x80", b"a\xfeb"]


@pytest.mark.parametrize("bad", INVALID_UTF8)
def test_invalid_utf8_text_fails_with_1007(codec: ModuleType, bad: bytes) -> None:
    for chunk in (0, 1):
        connection = codec.Connection()
        events = feed(connection, client_frame(1, b"ok " + bad + b" tail"), chunk)
        assert events == [Fail(1007, "invalid UTF-8 in a text message")]


def test_invalid_utf8_fails_fast_before_the_message_ends(codec: ModuleType) -> None:
    connection = codec.Connection()
    assert feed(connection, client_frame(1, b"fine \xff", fin=False)) == [Fail(1007, "invalid UTF-8 in a text message")]
    connection = codec.Connection()
    head = client_frame(1, b"x" * 1000 + b"\xc3\x28" + b"y" * 1000)
    assert feed(connection, head[:1100]) == [Fail(1007, "invalid UTF-8 in a text message")]  # mid-frame


@pytest.mark.parametrize("prefix", [b"\xed\xa0", b"\xed\xb3", b"\xe0\x80", b"\xf4\x90", b"\xf0\x8f"])
def test_an_impossible_prefix_fails_before_the_code_point_ends(codec: ModuleType, prefix: bytes) -> None:
    # Found by fuzz/fuzz_codec.py: the pure twin waited for a third byte after ED B3.
    data = client_frame(1, b"ok" + prefix, fin=False)
    assert feed(codec.Connection(), data, 7) == [Fail(1007, "invalid UTF-8 in a text message")]


def test_a_truncated_code_point_at_the_end_fails(codec: ModuleType) -> None:
    data = client_frame(1, b"ab\xe2\x82", fin=False) + client_frame(0, b"")
    assert feed(codec.Connection(), data) == [Fail(1007, "invalid UTF-8 in a text message")]


def test_invalid_utf8_close_reason_fails_with_1007(codec: ModuleType) -> None:
    assert feed(codec.Connection(), client_frame(8, b"\x03\xe8\xff")) == [Fail(1007, "invalid UTF-8 in a close reason")]


def test_binary_messages_are_not_validated(codec: ModuleType) -> None:
    assert feed(codec.Connection(), client_frame(2, b"\xff\xfe")) == [b"\xff\xfe"]


def test_a_lost_connection_reads_nothing_more_and_keeps_nothing(codec: ModuleType) -> None:
    connection = codec.Connection()
    assert connection.receive_data(client_frame(2, b"x" * 100)[:50]) == []  # a message half read
    connection.lost()
    assert connection.state == codec.CLOSED and not connection.close_sent
    assert connection.receive_data(client_frame(2, b"x" * 100)[50:] + client_frame(1, b"more")) == []


# ------------------------------------------------------------ size (1009)


@pytest.mark.parametrize("max_size", [-1, 1 << 63, 2.5, "16", True])
def test_a_max_size_that_is_no_message_size_is_refused(codec: ModuleType, max_size: object) -> None:
    with pytest.raises(ValueError, match="max_size must be None or an integer from 0 to 2\\*\\*63 - 1"):
        codec.Connection(max_size=max_size)


def test_a_message_over_the_limit_fails_at_its_header(codec: ModuleType) -> None:
    connection = codec.Connection(max_size=100)
    assert feed(connection, client_frame(2, b"x" * 100)) == [b"x" * 100]
    header_only = client_frame(2, b"x" * 101)[:8]  # fails before the payload arrives
    assert feed(connection, header_only) == [Fail(1009, "message over 100 bytes")]


def test_the_limit_counts_every_fragment(codec: ModuleType) -> None:
    connection = codec.Connection(max_size=10)
    data = client_frame(1, b"x" * 6, fin=False) + client_frame(0, b"y" * 5)
    assert feed(connection, data) == [Fail(1009, "message over 10 bytes")]


def test_a_huge_declared_length_fails_without_memory(codec: ModuleType) -> None:
    connection = codec.Connection()  # 16 MiB default
    assert feed(connection, struct.pack("!BBQ", 0x82, 0xFF, 1 << 40) + MASK) == [
        Fail(1009, f"message over {codec.DEFAULT_MAX_SIZE} bytes")
    ]


# ----------------------------------------------------- closing and sending


def test_our_close_then_theirs(codec: ModuleType) -> None:
    connection = codec.Connection()
    frame = connection.send_close(1001, "going")
    assert server_frame(frame) == (0x88, 7, b"\x03\xe9going")
    assert connection.state == codec.CLOSING
    assert feed(connection, client_frame(1, b"late") + client_frame(9, b"p")) == ["late", Ping(b"p")]
    assert connection.data_to_send() == b""  # no pong after our Close
    assert feed(connection, client_frame(8, b"\x03\xe9")) == [Close(1001, "")]
    assert connection.state == codec.CLOSED and connection.data_to_send() == b""  # no second Close
    with pytest.raises(ProtocolStateError):
        connection.send_text("after close")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_frames_we_send(codec: ModuleType, size: int) -> None:
    connection = codec.Connection()
    text = "é" * (size // 2) + "a" * (size % 2)
    assert server_frame(connection.send_text(text)) == (0x81, size, text.encode())
    assert server_frame(connection.send_bytes(bytearray(size))) == (0x82, size, bytes(size))
    assert server_frame(connection.send_ping(b"k")) == (0x89, 1, b"k")
    assert server_frame(connection.send_pong(b"")) == (0x8A, 0, b"")
    assert server_frame(codec.build_frame(2, b"ab", fin=False, rsv1=True)) == (0x42, 2, b"ab")
    # the header alone, the payload written after it as it is: the same bytes as the whole frame
    assert connection.send_header(True, size) + text.encode() == connection.send_text(text)
    assert connection.send_header(False, size) + bytes(size) == connection.send_bytes(bytes(size))


def test_a_header_alone_is_counted_and_follows_the_rules(codec: ModuleType) -> None:
    before = codec.counts()
    connection = codec.Connection()
    connection.send_header(True, 70_000)
    connection.send_header(False, 5)
    after = codec.counts()
    assert (after.text_sent - before.text_sent, after.text_bytes_sent - before.text_bytes_sent) == (1, 70_000)
    assert (after.binary_sent - before.binary_sent, after.binary_bytes_sent - before.binary_bytes_sent) == (1, 5)
    with pytest.raises(ValueError):
        connection.send_header(True, -1)
    with pytest.raises(OverflowError):  # RFC 6455 5.2: no 64-bit length with its most significant bit set
        connection.send_header(False, 1 << 63)
    connection.send_close()
    with pytest.raises(ProtocolStateError):
        connection.send_header(True, 1)
    compressed = codec.Connection(deflate=PerMessageDeflate())
    with pytest.raises(ProtocolStateError, match="deflate"):
        compressed.send_header(False, 1)


def test_what_cannot_be_sent(codec: ModuleType) -> None:
    connection = codec.Connection()
    with pytest.raises(UnicodeEncodeError):
        connection.send_text("\ud800")
    for code in (1005, 1006, 1015, 999, 5000):
        with pytest.raises(ValueError, match="may not be sent"):
            connection.send_close(code)
    with pytest.raises(ValueError, match="123"):
        connection.send_close(1000, "é" * 62)
    with pytest.raises(ValueError):
        connection.send_ping(b"x" * 126)
    with pytest.raises(ValueError, match="opcode"):
        codec.build_frame(16, b"")
    assert connection.state == codec.OPEN
    assert server_frame(connection.send_close(None)) == (0x88, 0, b"")


@pytest.mark.parametrize("offset", [0, 1, 2, 3])
@pytest.mark.parametrize(
    "size", [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 191, 192, 255, 1000]
)
def test_unmask_is_xor_with_the_rotating_mask(codec: ModuleType, offset: int, size: int) -> None:
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    for implementation in (None, *codec.UNMASK_IMPLEMENTATIONS):  # each one this CPU can run
        assert codec.unmask(data, MASK, offset, implementation) == xor(data, MASK, offset)
    with pytest.raises(ValueError):
        codec.unmask(data, b"abc")
    with pytest.raises(ValueError, match="no unmasking implementation"):
        codec.unmask(data, MASK, offset, "neon-on-a-toaster")
