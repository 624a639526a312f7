"""The opening handshake (RFC 6455 4.2), sans I/O: every rule and its HTTP status."""

from __future__ import annotations

from types import ModuleType

import pytest

from fastws.wire import http1
from fastws.wire.http1 import HandshakeError, http_response

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example key
GOOD = {
    b"Host": b"example.com",
    b"Upgrade": b"websocket",
    b"Connection": b"keep-alive, Upgrade",
    b"Sec-WebSocket-Key": KEY,
    b"Sec-WebSocket-Version": b"13",
}


def request(first: bytes = b"GET /chat?x=1 HTTP/1.1", **changes: bytes | None) -> bytes:
    headers = dict(GOOD)
    for name, value in changes.items():
        key = name.replace("_", "-").encode()
        key = next((k for k in headers if k.lower() == key.lower()), key)
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return first + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers.items()) + b"\r\n"


def test_a_good_request_and_the_rfc_accept_key(handshake: ModuleType) -> None:
    parsed = handshake.parse_request(request())
    assert parsed is not None and parsed.method == "GET" and parsed.target == b"/chat?x=1"
    assert (b"host", b"example.com") in parsed.headers  # names lowercased, values as sent
    assert handshake.check_request(parsed) == KEY
    response = handshake.accept_response(KEY, "chat", [(b"x-extra", b"1")], b"permessage-deflate")
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n") and response.endswith(b"\r\n\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response  # RFC 6455 1.3
    assert b"Sec-WebSocket-Protocol: chat\r\n" in response and b"x-extra: 1\r\n" in response
    assert b"Sec-WebSocket-Extensions: permessage-deflate\r\n" in response


def test_has_any_tells_whether_a_header_of_those_names_came(handshake: ModuleType) -> None:
    parsed = handshake.parse_request(request(X_Forwarded_For=b"203.0.113.7"))
    assert parsed is not None
    assert parsed.has_any(frozenset({b"forwarded", b"x-forwarded-for"}))  # the name as sent, lowercased
    assert parsed.has_any(frozenset({b"host"}))
    assert not parsed.has_any(frozenset({b"forwarded", b"x-forwarded-proto", b"X-Forwarded-For"}))
    assert not parsed.has_any(frozenset())
    assert parsed.has_any({b"host", b"via"}) and not parsed.has_any({b"via"})  # any set


def test_an_incomplete_head_waits(handshake: ModuleType) -> None:
    assert handshake.parse_request(request()[:-2]) is None


@pytest.mark.parametrize(
    ("partial", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\0", 400),
        (b"GET \x16\x03\x01\x02\x00", 400),  # a TLS ClientHello on a plain port: garbage
        (b"GET / HTTP/1.1\nHost: x\n", 400),  # bare LF: no need to wait for the rest
        (b"GET / HTTP/1.1\r\nA: b\rc", 400),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101, 431),
        (b"GET / HTTP/1.1\r\nX: " + b"y" * 20_000, 431),
    ],
)
def test_a_head_that_cannot_become_valid_is_refused_before_it_ends(
    handshake: ModuleType, partial: bytes, status: int
) -> None:
    with pytest.raises(HandshakeError) as caught:
        handshake.check_head(partial)
    assert caught.value.status == status


@pytest.mark.parametrize("cut", range(1, len(request())))
def test_every_prefix_of_a_good_head_waits(handshake: ModuleType, cut: int) -> None:
    assert handshake.check_head(request()[:cut]) == -1  # a CR whose LF has not come yet included


def test_the_limits_are_settings(handshake: ModuleType) -> None:
    big = request(X_Big=b"x" * 30_000)
    with pytest.raises(HandshakeError):
        handshake.parse_request(big)
    assert handshake.parse_request(big, max_size=64 * 1024) is not None
    many = request().replace(b"\r\n\r\n", b"\r\n" + b"X-N: 1\r\n" * 200 + b"\r\n")
    assert handshake.parse_request(many, max_headers=300) is not None
    assert handshake.parse_request(request(X_Obs=b"caf\xe9 \tok")) is not None  # obs-text, SP and HTAB are field bytes


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (request(b"POST / HTTP/1.1"), 400),
        (request(b"GET / HTTP/1.0"), 400),
        (request(b"GET /"), 400),
        (request(Host=None), 400),
        (request(Upgrade=b"h2c"), 400),
        (request(Connection=b"keep-alive"), 400),
        (request(Sec_WebSocket_Key=None), 400),
        (request(Sec_WebSocket_Key=b"c2hvcnQ="), 400),  # 5 bytes, not 16
        (request(Sec_WebSocket_Key=b"not base64 at all!!!"), 400),
        (request(Sec_WebSocket_Version=b"8"), 426),
        (request(Sec_WebSocket_Version=None), 426),
        (request().replace(b"Host:", b"Ho st:"), 400),
        (request().replace(b"\r\nUpgrade", b"\r\nno colon here\r\nUpgrade"), 400),
        # RFC 9110 5.5 / RFC 9112 2.2: no control byte, DEL, or CR or LF outside a CRLF, anywhere
        (request(User_Agent=b"a\0b"), 400),
        (request(User_Agent=b"a\rb"), 400),
        (request(User_Agent=b"a\x01b"), 400),
        (request(User_Agent=b"a\nb"), 400),
        (request(b"GET /a\x7fb HTTP/1.1"), 400),
        (request(b"GET /a\0 HTTP/1.1"), 400),
        (request(b"GET /caf\xc3\xa9?q=\xe9 HTTP/1.1"), 400),  # RFC 9112 3.2: a target is ASCII
        (request().replace(b"\r\n", b"\n"), 400),  # bare-LF line ends
        (request().replace(b"\r\nUpgrade", b"\r\n folded\r\nUpgrade"), 400),  # obsolete line folding
        (request(b"G(T / HTTP/1.1"), 400),  # a method is a token
        # the head's limits: 431
        (b"GET / HTTP/1.1\r\n" + b"x" * 70_000, 431),  # an endless head
        (request(X_Big=b"x" * 100_000), 431),  # one 100 KiB line
        (request(b"GET /" + b"a" * 20_000 + b" HTTP/1.1"), 431),
        (request().replace(b"\r\n\r\n", b"\r\n" + b"X-N: 1\r\n" * 10_000 + b"\r\n"), 431),
        (request().replace(b"\r\n\r\n", b"\r\n" + b"X-N: 1\r\n" * 100 + b"\r\n"), 431),  # 105 lines
        (request().replace(b"\r\n\r\n", b"\r\n" + (b"X-B: " + b"y" * 1000 + b"\r\n") * 1000 + b"\r\n"), 431),
    ],
)
def test_bad_requests_are_refused_with_their_status(handshake: ModuleType, data: bytes, status: int) -> None:
    with pytest.raises(HandshakeError) as caught:
        parsed = handshake.parse_request(data)
        assert parsed is not None
        handshake.check_request(parsed)
    assert caught.value.status == status
    response = caught.value.response([(b"server", b"uvicorn")])
    assert response.startswith(b"HTTP/1.1 %d " % status) and b"\r\nconnection: close\r\n" in response
    if status == 426:
        assert b"Sec-WebSocket-Version: 13\r\n" in response


def test_responses_refuse_header_injection(handshake: ModuleType) -> None:
    with pytest.raises(ValueError):
        handshake.accept_response(KEY, None, [(b"x-bad", b"a\r\nSet-Cookie: evil")])
    with pytest.raises(ValueError):
        http_response(403, [(b"bad name", b"x")], b"")
    assert http_response(401, [(b"Content-Type", b"text/html")], b"no").endswith(
        b"Content-Type: text/html\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno"
    )


def test_repeated_header_lines_are_parsed_once_and_shared(handshake: ModuleType) -> None:
    """An idle server holds one copy of the lines every client sends alike, none of a key or a cookie."""
    token = b"base64url.bearer.authorization.k8s.io.c2VjcmV0"  # browsers carry tokens in subprotocols
    first = handshake.parse_request(
        request(Cookie=b"session=1", Origin=b"https://app.example", Sec_WebSocket_Protocol=token)
    )
    second = handshake.parse_request(
        request(Cookie=b"session=1", Origin=b"https://app.example", Sec_WebSocket_Protocol=token)
    )
    assert first is not None and second is not None
    assert first.headers == second.headers  # equal, as parsed
    pairs = {one[0]: (one, other) for one, other in zip(first.headers, second.headers, strict=True)}
    for name in (b"host", b"upgrade", b"connection", b"sec-websocket-version", b"origin"):
        one, other = pairs[name]
        assert one is other, name
    for name in (b"sec-websocket-key", b"cookie", b"sec-websocket-protocol"):  # per connection, or secret: not kept
        one, other = pairs[name]
        assert one is not other, name
        assert one[0] is other[0] is http1.NAMES[name], name  # the name is, whatever the line
    unknown = [request(X_Trace=b"%d" % n) for n in range(2)]  # a name fastws does not know: its own
    names = [next(k for k, _ in handshake.parse_request(data).headers if k == b"x-trace") for data in unknown]
    assert names[0] == names[1] and names[0] is not names[1]


def test_the_shared_lines_are_bounded(handshake: ModuleType) -> None:
    """A client sending ever new values (a new Origin each time) cannot grow what is kept."""
    for n in range(http1.MAX_SHARED_LINES + 50):
        handshake.parse_request(request(Origin=b"https://%d.example" % n))
    long = handshake.parse_request(request(Origin=b"https://" + b"x" * http1.MAX_SHARED_LINE))
    again = handshake.parse_request(request(Origin=b"https://" + b"x" * http1.MAX_SHARED_LINE))
    assert long is not None and again is not None
    assert len(handshake.SHARED_LINES) <= http1.MAX_SHARED_LINES
    assert long.headers[-1] is not again.headers[-1]  # too long to keep
    one, other = (handshake.parse_request(request(Origin=b"https://late.example")) for _ in range(2))
    assert one is not None and other is not None
    assert one.headers[-1] is other.headers[-1]  # a full cache starts again: what comes later is still shared
