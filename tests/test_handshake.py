"""The opening handshake (RFC 6455 4.2), sans I/O: every rule and its HTTP status."""

from __future__ import annotations

import pytest

from fastws.wire.handshake import HandshakeError, accept_response, check_request, http_response, parse_request

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


def test_a_good_request_and_the_rfc_accept_key() -> None:
    parsed = parse_request(request())
    assert parsed is not None and parsed.method == "GET" and parsed.target == b"/chat?x=1"
    assert (b"host", b"example.com") in parsed.headers  # names lowercased, values as sent
    assert check_request(parsed) == KEY
    response = accept_response(KEY, "chat", [(b"x-extra", b"1")], b"permessage-deflate")
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n") and response.endswith(b"\r\n\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response  # RFC 6455 1.3
    assert b"Sec-WebSocket-Protocol: chat\r\n" in response and b"x-extra: 1\r\n" in response
    assert b"Sec-WebSocket-Extensions: permessage-deflate\r\n" in response


def test_an_incomplete_head_waits() -> None:
    assert parse_request(request()[:-2]) is None


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
        (b"GET / HTTP/1.1\r\n" + b"x" * 70_000, 400),  # an endless head
    ],
)
def test_bad_requests_are_refused_with_their_status(data: bytes, status: int) -> None:
    with pytest.raises(HandshakeError) as caught:
        parsed = parse_request(data)
        assert parsed is not None
        check_request(parsed)
    assert caught.value.status == status
    response = caught.value.response([(b"server", b"uvicorn")])
    assert response.startswith(b"HTTP/1.1 %d " % status) and b"\r\nconnection: close\r\n" in response
    if status == 426:
        assert b"Sec-WebSocket-Version: 13\r\n" in response


def test_responses_refuse_header_injection() -> None:
    with pytest.raises(ValueError):
        accept_response(KEY, None, [(b"x-bad", b"a\r\nSet-Cookie: evil")])
    with pytest.raises(ValueError):
        http_response(403, [(b"bad name", b"x")], b"")
    assert http_response(401, [(b"Content-Type", b"text/html")], b"no").endswith(
        b"Content-Type: text/html\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno"
    )
