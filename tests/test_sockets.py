"""``send_now``: one non-blocking write to a socket, never an exception for a socket that cannot take it."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.tcp import segments_in


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    try:
        yield ours, peer
    finally:
        ours.close()
        peer.close()


def test_what_the_socket_takes_is_written_at_once(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair
    frame = b"\x81\x05hello"
    assert sockets_twin.send_now(ours.fileno(), frame) == len(frame)
    assert peer.recv(100) == frame


def test_a_full_socket_takes_part_then_nothing_and_never_blocks(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair
    chunk = b"x" * 65536
    written = [sockets_twin.send_now(ours.fileno(), chunk) for _ in range(200)]  # far more than the buffers hold
    assert written[-1] == 0 and 0 < sum(written) < 200 * len(chunk)
    received = 0
    peer.setblocking(False)
    while True:
        try:
            more = peer.recv(1 << 20)
        except BlockingIOError:
            break
        received += len(more)
    assert received == sum(written)  # every byte it said it wrote, and no other


@pytest.mark.parametrize("send", ["send_now", "send_last"])
def test_a_closed_peer_or_descriptor_gives_0_not_an_error(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket], send: str
) -> None:
    ours, peer = pair
    peer.close()
    results = [getattr(sockets_twin, send)(ours.fileno(), b"late") for _ in range(3)]  # the reset shows later
    assert results[-1] == 0  # EPIPE, with no SIGPIPE
    fd = os.dup(ours.fileno())
    os.close(fd)
    assert getattr(sockets_twin, send)(fd, b"x") == 0  # EBADF
    assert getattr(sockets_twin, send)(-1, b"x") == 0


@pytest.mark.parametrize("send", ["send_now", "send_last"])
@pytest.mark.parametrize("data", [None, bytearray(b"x"), memoryview(b"x"), "x"])
def test_only_bytes_are_sent(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket], data: object, send: str
) -> None:
    with pytest.raises(TypeError):
        getattr(sockets_twin, send)(pair[0].fileno(), data)


@pytest.mark.skipif(not hasattr(socket, "MSG_MORE"), reason="MSG_MORE is Linux's")
def test_send_last_holds_the_bytes_until_the_close_whose_fin_goes_with_them(sockets_twin: ModuleType) -> None:
    close = b"\x88\x02\x03\xe8"  # a Close frame, 1000
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5) as peer:
            ours, _ = server.accept()
            ours.setblocking(False)
            peer.setblocking(False)
            before = segments_in(peer)
            assert sockets_twin.send_last(ours.fileno(), close) == len(close)
            with pytest.raises(BlockingIOError):  # held by the kernel: send_now's bytes would be here
                peer.recv(100)
            ours.close()
            peer.settimeout(5)
            assert peer.recv(100) == close
            assert peer.recv(100) == b""
            assert segments_in(peer) - before == 1  # the bytes and the FIN in one segment (send_now: 2)


@pytest.mark.parametrize("payload", [b"\x00\xffbinary", "ascii text", b"", ""])
def test_a_header_and_its_payload_go_in_one_write(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket], payload: bytes | str
) -> None:
    ours, peer = pair
    header = b"\x81\x0a"
    expected = header + (payload.encode() if isinstance(payload, str) else payload)
    assert sockets_twin.send_parts(ours.fileno(), header, payload) == len(expected)
    assert peer.recv(100) == expected


def test_parts_to_a_full_socket_take_part_then_nothing(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair
    header, payload = b"\x82\x7f" + (65536).to_bytes(8, "big"), "y" * 65536
    written = [sockets_twin.send_parts(ours.fileno(), header, payload) for _ in range(200)]
    assert written[-1] == 0 and 0 < sum(written) < 200 * (len(header) + len(payload))
    peer.setblocking(False)
    received = b""
    while True:
        try:
            more = peer.recv(1 << 20)
        except BlockingIOError:
            break
        received += more
    whole = header + payload.encode()
    assert received == (whole * 200)[: len(received)] and len(received) == sum(written)
    assert sockets_twin.send_parts(-1, header, payload) == 0  # EBADF


@pytest.mark.parametrize(
    ("header", "payload", "error"),
    [
        (b"\x81\x02", "é", ValueError),  # a str is sent as its own bytes: ASCII only
        (b"\x81\x01", bytearray(b"x"), TypeError),
        (b"\x81\x01", memoryview(b"x"), TypeError),
        (bytearray(b"\x81\x01"), b"x", TypeError),
        (None, b"x", TypeError),
        (b"\x81\x01", None, TypeError),
    ],
)
def test_parts_are_bytes_or_ascii_text(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket], header: object, payload: object, error: type
) -> None:
    with pytest.raises(error):
        sockets_twin.send_parts(pair[0].fileno(), header, payload)


def test_ascii_view_lends_the_bytes_of_an_ascii_text_from_an_offset(sockets_twin: ModuleType) -> None:
    text = "".join(chr(32 + n % 95) for n in range(70_000))
    for start in (0, 1, 65_536, len(text)):
        view = sockets_twin.ascii_view(text, start)
        assert type(view) is memoryview and view.readonly
        assert view.tobytes() == text.encode("ascii")[start:]
    with pytest.raises(TypeError):
        memoryview(view).cast("B")[0:1] = b"x"  # read-only


@pytest.mark.compiled
def test_ascii_view_keeps_its_text_alive() -> None:
    """The compiled view is over the ``str`` itself: it must hold it."""
    from fastws import sockets

    if sockets.COMPILED is None:
        pytest.skip("compiled twin not live")
    view = sockets.COMPILED.ascii_view("".join(["abc"] * 50_000), 3)  # no other reference to the text
    del sockets
    assert view.tobytes() == b"abc" * 49_999


@pytest.mark.parametrize(
    ("text", "start", "error"),
    [
        (b"bytes", 0, TypeError),
        (bytearray(b"x"), 0, TypeError),
        ("caf\u00e9", 0, ValueError),  # not ASCII: its bytes are not its characters
        ("abc", -1, ValueError),
        ("abc", 4, ValueError),
        (None, 0, TypeError),
    ],
)
def test_ascii_view_takes_ascii_text_and_an_offset_inside_it(
    sockets_twin: ModuleType, text: object, start: int, error: type
) -> None:
    with pytest.raises(error):
        sockets_twin.ascii_view(text, start)


@given(st.text(st.characters(max_codepoint=127), max_size=300), st.data())
def test_ascii_view_twins_agree(text: str, data: st.DataObject) -> None:
    from fastws import sockets

    start = data.draw(st.integers(0, len(text)))
    views = [twin.ascii_view(text, start).tobytes() for twin in (sockets.COMPILED, sockets.PURE) if twin is not None]
    assert views == [text.encode("ascii")[start:]] * len(views)


@pytest.mark.compiled
def test_a_view_made_without_ascii_view_lends_nothing() -> None:
    """The compiled view's class is reachable from Python: made bare, it raises, it does not read freed memory."""
    from fastws import sockets

    if sockets.COMPILED is None:
        pytest.skip("compiled twin not live")
    with pytest.raises(BufferError):
        memoryview(sockets.COMPILED._AsciiBytes())


def test_recv_into_reads_what_is_there_then_says_nothing_now_then_the_end(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair
    for buffer in (bytearray(64), memoryview(bytearray(64))):  # the transport's bytearray, or any writable buffer
        peer.sendall(b"hello")
        assert sockets_twin.recv_into(ours.fileno(), buffer) == 5 and bytes(buffer[:5]) == b"hello"
        assert sockets_twin.recv_into(ours.fileno(), buffer) == -1  # nothing to read now: not an error
    peer.shutdown(socket.SHUT_WR)
    assert sockets_twin.recv_into(ours.fileno(), bytearray(8)) == 0  # the end of the stream


def test_recv_into_raises_for_a_broken_descriptor(sockets_twin: ModuleType) -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    with pytest.raises(OSError):
        sockets_twin.recv_into(fd, bytearray(8))
    with pytest.raises(OSError):
        sockets_twin.send_buffers(fd, [b"x"])


def test_send_buffers_writes_them_in_order_and_at_most_iov_max_at_once(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair
    parts = [bytes([65 + i % 26]) * 3 for i in range(sockets_twin.IOV_MAX + 5)]
    mixed = [parts[0], bytearray(parts[1]), memoryview(parts[2]), *parts[3:]]
    sent = sockets_twin.send_buffers(ours.fileno(), mixed)
    assert sent == 3 * sockets_twin.IOV_MAX  # the rest is for the next call
    assert peer.recv(1 << 16) == b"".join(parts[: sockets_twin.IOV_MAX])


def test_send_buffers_to_a_full_socket_takes_nothing_and_never_blocks(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _peer = pair
    chunk = b"x" * 65536
    written = [sockets_twin.send_buffers(ours.fileno(), [chunk, chunk]) for _ in range(100)]
    assert written[-1] == 0 and sum(written) > 0


def test_reset_on_close_makes_the_close_a_reset_that_drops_unsent_bytes(sockets_twin: ModuleType) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5) as peer:
            ours, _ = server.accept()
            with ours:
                ours.setblocking(False)
                while sockets_twin.send_now(ours.fileno(), b"x" * 65536):  # more than the peer will read
                    pass
                assert sockets_twin.reset_on_close(ours.fileno()) is None
                assert ours.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8) == struct.pack("ii", 1, 0)
            with pytest.raises(ConnectionResetError):  # a plain close would have sent the backlog, then a FIN
                while peer.recv(1 << 16):
                    pass


def test_reset_on_close_leaves_the_descriptor_open_and_raises_for_what_is_not_a_socket(
    sockets_twin: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair
    sockets_twin.reset_on_close(ours.fileno())
    os.fstat(ours.fileno())  # still open: the pure twin's socket object let go of it
    peer.sendall(b"still here")
    assert sockets_twin.recv_into(ours.fileno(), bytearray(16)) == 10
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError):
            sockets_twin.reset_on_close(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)
