"""Property tests of the opening handshake: compiled == pure on any request head and any response input.

Heads are mostly near-valid upgrade requests (a good request line and the
five headers RFC 6455 needs, some dropped, others added or damaged, line
ends changed, bytes inserted), so that every rule is reached; each twin
must give the same request, the same key, or the same refusal (status,
reason and headers).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fastws.wire.http1 import HandshakeError
from tests.helpers.twins import live_handshakes

PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GOOD = [
    b"Host: example.com",
    b"Upgrade: websocket",
    b"Connection: keep-alive, Upgrade",
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    b"Sec-WebSocket-Version: 13",
]
OTHER = [
    b"Upgrade: h2c", b"upgrade: WebSocket, h2c", b"Connection: ,\x0bUPGRADE\t,", b"connection: up grade",
    b"Sec-WebSocket-Version: 8", b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAB==", b"Sec-WebSocket-Key: c2hvcnQ=",
    b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA", b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAA-==", b"Host: b",
    b"Origin: https://app.example", b"X-A: \t a \t", b" folded", b"no colon", b"Ho st: x", b"X:", b":x",
]  # fmt: skip
lines = st.one_of(st.sampled_from(OTHER), st.binary(max_size=16), st.text(max_size=12).map(str.encode))
separators = st.sampled_from([b"\r\n"] * 6 + [b"\n", b"\r", b"\r\n\r\n", b""])


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    first = draw(st.sampled_from([b"GET /chat?x=1 HTTP/1.1"] * 4 + [b"POST / HTTP/1.1", b"GET / HTTP/1.0", b"GET /"]))
    chosen = [line for line in GOOD if draw(st.integers(0, 9))]
    for line in draw(st.lists(lines, max_size=4)):
        chosen.insert(draw(st.integers(0, len(chosen))), line)
    data = b"".join(line + draw(separators) for line in [first, *chosen]) + draw(st.sampled_from([b"\r\n", b""]))
    cut = draw(st.integers(0, len(data)))
    return data[:cut] + draw(st.binary(max_size=3)) + data[cut:]


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", call())
    except HandshakeError as error:
        return ("refused", error.status, error.reason, error.headers)
    except Exception as error:
        return ("error", type(error).__name__)


def view(request: Any) -> Any:
    if request is None:
        return None
    names = [b"host", b"upgrade", b"connection", b"sec-websocket-key", b"x-a"]
    return (
        request.method,
        request.target,
        request.headers,
        [request.values(name) for name in names],
        [request.tokens(name) for name in names],
        [request.has_token(name, token) for name in names for token in (b"upgrade", b"websocket", b"")],
        [request.has_any(frozenset(names[i:])) for i in range(len(names) + 1)],
    )


def each(call: Callable[[ModuleType], Any]) -> list[Any]:
    return [outcome(lambda twin=twin: call(twin)) for twin in live_handshakes()]


@PROPS
@given(heads(), st.sampled_from([16 * 1024, 64]), st.sampled_from([100, 2]))
@example(b"GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r", 16 * 1024, 100)  # a CR whose LF is on its way
def test_the_twins_check_and_parse_a_head_alike(data: bytes, max_size: int, max_headers: int) -> None:
    first, *others = each(lambda twin: twin.check_head(data, max_size, max_headers))
    assert all(other == first for other in others)
    first, *others = each(lambda twin: view(twin.parse_request(data, max_size, max_headers)))
    assert all(other == first for other in others)
    first, *others = each(lambda twin: twin.check_request(twin.parse_request(data)))
    assert all(other == first for other in others)


@PROPS
@given(heads(), st.integers(-8, 400))
def test_the_twins_parse_any_end_alike(data: bytes, end: int) -> None:
    first, *others = each(lambda twin: view(twin.parse_head(data, end)))
    assert all(other == first for other in others)


names = st.sampled_from([b"x-a", b"Date", b"", b"bad name", b"\xe9", b"~!#"])
values = st.one_of(st.sampled_from([b"1", b"", b"a\r\nb", b"a\0"]), st.binary(max_size=8))


@PROPS
@given(
    st.one_of(st.just(b"dGhlIHNhbXBsZSBub25jZQ=="), st.binary(max_size=30)),
    st.one_of(st.none(), st.text(max_size=6)),
    st.one_of(st.lists(st.tuples(names, values), max_size=4), st.just([(b"x", "str")]), st.just([[b"x", b"1"]])),
    st.one_of(st.none(), st.sampled_from([b"", b"permessage-deflate", b"a\r\nb"])),
)
def test_the_twins_build_or_refuse_a_101_alike(
    key: bytes, subprotocol: str | None, headers: Any, extensions: Any
) -> None:
    first, *others = each(lambda twin: twin.accept_response(key, subprotocol, headers, extensions))
    assert all(other == first for other in others)
