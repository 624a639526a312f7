"""The frame rules written once (``fastws.wire._frame_rules``), and both codec twins keeping them.

Each rule is tested three ways: the shared function itself (pure, and compiled
as ``_frame_rules_c`` when it is built), each codec twin failing the
connection with the reason it returns, and the twins taking that reason from
the shared module (the very object, not an equal string of their own).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fastws.wire import _frame_rules, codec
from fastws.wire.deflate import PerMessageDeflate
from fastws.wire.events import Close, Fail, Ping

R = _frame_rules
MASK = b"\x37\xfa\x21\x3d"


def _compiled_rules() -> ModuleType | None:
    if codec.COMPILED is None:
        return None
    from fastws.wire import _frame_rules_c

    return _frame_rules_c


COMPILED_RULES = _compiled_rules()


@pytest.fixture(
    params=[
        pytest.param(
            COMPILED_RULES,
            id="compiled",
            marks=[pytest.mark.compiled, pytest.mark.skipif(COMPILED_RULES is None, reason="not built")],
        ),
        pytest.param(_frame_rules, id="pure"),
    ]
)
def rules(request: pytest.FixtureRequest) -> ModuleType:
    """The shared rules as each codec twin uses them: compiled ``_frame_rules_c``, then ``_frame_rules``."""
    return request.param  # type: ignore[no-any-return]


def rules_of(twin: ModuleType) -> ModuleType:
    """The rules module the codec ``twin`` calls."""
    if twin is codec.COMPILED:
        assert COMPILED_RULES is not None
        return COMPILED_RULES
    return _frame_rules


def masked(payload: bytes) -> bytes:
    return bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def frame(first: int, payload: bytes = b"") -> bytes:
    """A masked client frame with ``first`` as its first byte."""
    assert len(payload) <= 125
    return bytes((first, 0x80 | len(payload))) + MASK + masked(payload)


def open_message(deflate: bool) -> bytes:
    """The first frame of a fragmented message: text without FIN (compressed when ``deflate``)."""
    return frame(0x41 if deflate else 0x01, b"ab")


def connect(twin: ModuleType, deflate: bool) -> Any:
    return twin.Connection(deflate=PerMessageDeflate() if deflate else None)


def close_frame_of(code: int, reason: str) -> bytes:
    """Our Close frame: unmasked, the code then the reason."""
    payload = code.to_bytes(2, "big") + reason.encode()
    return bytes((0x88, len(payload))) + payload


# (first byte, second byte, deflate negotiated, inside a fragmented message, the reason or None)
HEADER_CASES: list[tuple[int, int, bool, bool, str | None]] = [
    # RFC 6455 5.2: RSV1-3 are 0 unless an extension defines them
    (0xC1, 0x80, False, False, R.RSV_WITHOUT_EXTENSION),
    (0xA1, 0x80, False, False, R.RSV_WITHOUT_EXTENSION),
    (0x91, 0x80, False, False, R.RSV_WITHOUT_EXTENSION),
    (0x93, 0x00, False, False, R.RSV_WITHOUT_EXTENSION),  # the RSV rule first, before the opcode and the mask
    # RFC 7692 6: permessage-deflate's RSV1, on the first frame of a data message only
    (0xC1, 0x80, True, False, None),
    (0x42, 0x80, True, False, None),
    (0xA1, 0x80, True, False, R.RSV_NOT_ALLOWED),
    (0xD1, 0x80, True, False, R.RSV_NOT_ALLOWED),
    (0xC0, 0x80, True, True, R.RSV_NOT_ALLOWED),
    (0xC9, 0x80, True, False, R.RSV_NOT_ALLOWED),
    # RFC 6455 5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved
    *[(0x80 | op, 0x80, False, False, R.RESERVED_OPCODE.format(op)) for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)],
    (0x03, 0x00, False, True, R.RESERVED_OPCODE.format(3)),  # before the fragment and mask rules
    # RFC 6455 5.5: control frames are not fragmented, their payload is 125 bytes or less
    (0x09, 0x80, False, False, R.FRAGMENTED_CONTROL),
    (0x08, 0x82, False, True, R.FRAGMENTED_CONTROL),
    (0x8A, 0x80 | 126, False, False, R.CONTROL_TOO_LONG),
    (0x89, 0x80 | 127, False, False, R.CONTROL_TOO_LONG),
    (0x89, 0x80 | 125, False, False, None),
    (0x88, 0x82, False, True, None),  # control frames may come inside a fragmented message (5.4)
    (0x8A, 0x80, False, True, None),
    # RFC 6455 5.4: a continuation frame continues a message, a data frame starts one
    (0x80, 0x80, False, False, R.CONTINUATION_WITHOUT_MESSAGE),
    (0x00, 0x80, False, False, R.CONTINUATION_WITHOUT_MESSAGE),
    (0x80, 0x81, False, True, None),
    (0x00, 0x81, False, True, None),
    (0x81, 0x80, False, True, R.MESSAGE_INSIDE_MESSAGE),
    (0x02, 0x80, False, True, R.MESSAGE_INSIDE_MESSAGE),
    (0xC1, 0x80, True, True, R.MESSAGE_INSIDE_MESSAGE),
    # RFC 6455 5.1: a client masks every frame it sends
    (0x81, 0x00, False, False, R.UNMASKED),
    (0x89, 0x05, False, False, R.UNMASKED),
    (0x80, 0x01, False, True, R.UNMASKED),
    (0x81, 0x85, False, False, None),
    (0x82, 0x80, False, False, None),
    (0x01, 0x80, False, False, None),
]


def _case_id(case: tuple[int, int, bool, bool, str | None]) -> str:
    first, second, deflate, in_message, _ = case
    return f"{first:02x}-{second:02x}" + ("-deflate" if deflate else "") + ("-in-message" if in_message else "")


@pytest.mark.parametrize("case", HEADER_CASES, ids=_case_id)
def test_header_rule(rules: ModuleType, case: tuple[int, int, bool, bool, str | None]) -> None:
    first, second, deflate, in_message, reason = case
    assert rules.header_error(first, second, deflate, in_message) == reason


@pytest.mark.parametrize("case", HEADER_CASES, ids=_case_id)
def test_both_twins_fail_by_the_header_rule(codec: ModuleType, case: tuple[int, int, bool, bool, str | None]) -> None:
    first, second, deflate, in_message, reason = case
    connection = connect(codec, deflate)
    if in_message:
        assert connection.receive_data(open_message(deflate)) == []
    data = bytes((first, second))
    if reason is None:  # a frame the rules accept: give it whole (a Close with code 1000), it must not fail
        payload = ((b"\x03\xe8" if first & 0x0F == 8 else b"") + b"a" * 125)[: second & 0x7F]
        data += MASK + masked(payload)
    events = connection.receive_data(data)
    if reason is None:
        assert not any(isinstance(e, Fail) and e.code == 1002 for e in events), events
    else:
        assert events == [Fail(1002, reason)]
        assert connection.data_to_send() == close_frame_of(1002, reason)


# (the 7-bit length, the length that follows it, the reason or None)
LENGTH_CASES: list[tuple[int, int, str | None]] = [
    # RFC 6455 5.2: a length in the fewest bytes
    (126, 0, R.LENGTH_NOT_SHORTEST),
    (126, 125, R.LENGTH_NOT_SHORTEST),
    (126, 126, None),
    (126, 0xFFFF, None),
    (127, 0, R.LENGTH_NOT_SHORTEST),
    (127, 0xFFFF, R.LENGTH_NOT_SHORTEST),
    (127, 0x10000, None),
    # RFC 6455 5.2: the 64-bit length's most significant bit is 0
    (127, 1 << 63, R.LENGTH_MSB_SET),
    (127, (1 << 64) - 1, R.LENGTH_MSB_SET),
    (127, (1 << 63) + 5, R.LENGTH_MSB_SET),  # before the shortest-form rule
    (127, (1 << 63) - 1, None),
]


@pytest.mark.parametrize("case", LENGTH_CASES, ids=lambda case: f"{case[0]}-{case[1]:x}")
def test_length_rule(rules: ModuleType, case: tuple[int, int, str | None]) -> None:
    length7, length, reason = case
    assert rules.length_error(length7, length) == reason


@pytest.mark.parametrize("case", LENGTH_CASES, ids=lambda case: f"{case[0]}-{case[1]:x}")
def test_both_twins_fail_by_the_length_rule(codec: ModuleType, case: tuple[int, int, str | None]) -> None:
    length7, length, reason = case
    connection = codec.Connection(max_size=None)
    size = 2 if length7 == 126 else 8
    events = connection.receive_data(bytes((0x82, 0x80 | length7)) + length.to_bytes(size, "big") + MASK)
    if reason is None:
        assert events == []  # the payload is awaited
    else:
        assert events == [Fail(1002, reason)]
        assert connection.data_to_send() == close_frame_of(1002, reason)


# (the Close frame's payload, the event it gives)
CLOSE_CASES: list[tuple[bytes, Close | Fail]] = [
    # RFC 6455 5.5.1: empty, or a 2-byte code then a UTF-8 reason
    (b"", Close(1005, "")),
    (b"\x03", Fail(1002, R.ONE_BYTE_CLOSE)),
    (b"\x03\xe8", Close(1000, "")),
    (b"\x0f\xa0bye \xe2\x9c\x93", Close(4000, "bye ✓")),
    # RFC 6455 7.4: the codes a Close frame may carry
    *[
        (code.to_bytes(2, "big"), Fail(1002, R.INVALID_CLOSE_CODE.format(code)))
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)
    ],
    *[(code.to_bytes(2, "big"), Close(code, "")) for code in (1001, 1003, 1007, 1014, 3000, 4999)],
    (b"\x03\xec\xff", Fail(1002, R.INVALID_CLOSE_CODE.format(1004))),  # the code first, then the reason
    # RFC 6455 5.5.1, 8.1: the reason is UTF-8 (1007)
    (b"\x03\xe8\xff", Fail(1007, R.INVALID_UTF8_IN_CLOSE)),
    (b"\x03\xe8\xed\xa0\x80", Fail(1007, R.INVALID_UTF8_IN_CLOSE)),
    (b"\x03\xe8\xe2\x9c", Fail(1007, R.INVALID_UTF8_IN_CLOSE)),
]


@pytest.mark.parametrize("case", CLOSE_CASES, ids=lambda case: case[0].hex() or "empty")
def test_close_rule(rules: ModuleType, case: tuple[bytes, Close | Fail]) -> None:
    payload, event = case
    got = rules.read_close(payload)
    assert got == event
    assert type(got.code) is int


@pytest.mark.parametrize("case", CLOSE_CASES, ids=lambda case: case[0].hex() or "empty")
def test_both_twins_close_by_the_close_rule(codec: ModuleType, case: tuple[bytes, Close | Fail]) -> None:
    payload, event = case
    connection = codec.Connection()
    assert connection.receive_data(frame(0x88, payload) + frame(0x81, b"after")) == [event]
    if isinstance(event, Fail):
        assert connection.data_to_send() == close_frame_of(event.code, event.reason)
    else:
        assert connection.data_to_send() == bytes((0x88, len(payload[:2]))) + payload[:2]  # the code echoed


def deflated(data: bytes) -> bytes:
    """``data`` as permessage-deflate sends it: raw deflate, without the final 00 00 FF FF (RFC 7692 7.2.1)."""
    compressor = zlib.compressobj(wbits=-15)
    return (compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]


# (the compressed payload, text?, the size limit, the result: the message and its inflated size, or a Fail)
INFLATE_CASES: list[tuple[bytes, bool, int | None, tuple[str | bytes, int] | Fail]] = [
    # RFC 7692 7.2.2: the payload inflates
    (deflated(b"zipped"), False, None, (b"zipped", 6)),
    (deflated("✓ text".encode()), True, 100, ("✓ text", 8)),
    (b"not deflate", False, None, Fail(1007, R.INVALID_COMPRESSED)),
    # RFC 6455 10.4: within the limit, counted inflated (1009)
    (deflated(b"x" * 1000), False, 999, Fail(1009, R.OVER_MAX_SIZE.format(999))),
    (deflated(b"x" * 1000), False, 1000, (b"x" * 1000, 1000)),
    # RFC 6455 8.1: a text message is UTF-8 (1007)
    (deflated(b"\xff"), True, None, Fail(1007, R.INVALID_UTF8_IN_TEXT)),
    (deflated(b"\xff"), False, None, (b"\xff", 1)),
]


@pytest.mark.parametrize("case", INFLATE_CASES, ids=lambda case: repr(case[3])[:40])
def test_inflate_rule(rules: ModuleType, case: tuple[bytes, bool, int | None, Any]) -> None:
    payload, text, max_size, result = case
    assert rules.inflate(PerMessageDeflate(), payload, max_size, text) == result


@pytest.mark.parametrize("case", INFLATE_CASES, ids=lambda case: repr(case[3])[:40])
def test_both_twins_inflate_by_the_rule(codec: ModuleType, case: tuple[bytes, bool, int | None, Any]) -> None:
    payload, text, max_size, result = case
    connection = codec.Connection(max_size=max_size, deflate=PerMessageDeflate())
    cut = len(payload) // 2  # a compressed message in two frames: RSV1 on the first only
    data = bytes((0x41 if text else 0x42, 0x80 | cut)) + MASK + masked(payload[:cut])
    data += bytes((0x80, 0x80 | (len(payload) - cut))) + MASK + masked(payload[cut:])
    events = connection.receive_data(data)
    assert events == [result if isinstance(result, Fail) else result[0]]


# The twins take every reason from the shared module: the very str object it holds.
# (what to feed, deflate negotiated, the name of the reason in _frame_rules)
FAILS: list[tuple[bytes, bool, str]] = [
    (frame(0xC1, b"x"), False, "RSV_WITHOUT_EXTENSION"),
    (frame(0xE1, b"x"), True, "RSV_NOT_ALLOWED"),
    (frame(0x09), False, "FRAGMENTED_CONTROL"),
    (bytes((0x89, 0x80 | 126)), False, "CONTROL_TOO_LONG"),
    (frame(0x80, b"x"), False, "CONTINUATION_WITHOUT_MESSAGE"),
    (frame(0x01, b"x") + frame(0x81, b"y"), False, "MESSAGE_INSIDE_MESSAGE"),
    (b"\x81\x01x", False, "UNMASKED"),
    (b"\x82\xfe\x00\x05" + MASK, False, "LENGTH_NOT_SHORTEST"),
    (b"\x82\xff\x80" + bytes(7) + MASK, False, "LENGTH_MSB_SET"),
    (frame(0x88, b"\x03"), False, "ONE_BYTE_CLOSE"),
    (frame(0x88, b"\x03\xe8\xff"), False, "INVALID_UTF8_IN_CLOSE"),
    (frame(0x81, b"\xff"), False, "INVALID_UTF8_IN_TEXT"),
    (frame(0x01, b"\xe2") + frame(0x80, b"\x28"), False, "INVALID_UTF8_IN_TEXT"),
    (frame(0xC1, b"not deflate"), True, "INVALID_COMPRESSED"),
    (frame(0xC1, deflated(b"\xff")), True, "INVALID_UTF8_IN_TEXT"),
]


@pytest.mark.parametrize("case", FAILS, ids=lambda case: case[2])
def test_the_twins_take_the_reason_from_the_shared_module(codec: ModuleType, case: tuple[bytes, bool, str]) -> None:
    data, deflate, name = case
    events = connect(codec, deflate).receive_data(data)
    assert len(events) == 1 and isinstance(events[0], Fail)
    assert events[0].reason is getattr(rules_of(codec), name)


def test_the_twins_format_the_shared_templates(codec: ModuleType) -> None:
    assert codec.Connection().receive_data(frame(0x83)) == [Fail(1002, R.RESERVED_OPCODE.format(3))]
    assert codec.Connection().receive_data(frame(0x88, b"\x03\xec")) == [Fail(1002, R.INVALID_CLOSE_CODE.format(1004))]
    too_big = codec.Connection(max_size=4).receive_data(frame(0x82, b"12345"))
    assert too_big == [Fail(1009, R.OVER_MAX_SIZE.format(4))]


def test_the_close_frame_we_send_is_built_by_the_rules(codec: ModuleType) -> None:
    """``close_payload`` (RFC 6455 5.5, 7.4.1) is the rules module's, in both twins: not a copy, not the pure one."""
    assert codec.close_payload is rules_of(codec).close_payload
    assert codec.close_payload(1000, "bye") == b"\x03\xe8bye"
    with pytest.raises(ValueError, match="1006 may not be sent"):
        codec.close_payload(1006)
    with pytest.raises(ValueError, match="at most 123"):
        codec.close_payload(1000, "x" * 124)
    with pytest.raises(ValueError, match="needs a close code"):
        codec.close_payload(None, "why")
    assert codec.close_payload(None) == b""


@pytest.mark.compiled
def test_the_compiled_twin_calls_the_compiled_rules() -> None:
    if codec.COMPILED is None:
        pytest.skip("compiled twin not live")
    assert COMPILED_RULES is not None
    assert COMPILED_RULES.__file__ is not None and COMPILED_RULES.__file__.endswith((".so", ".pyd"))
    assert COMPILED_RULES.header_error is not _frame_rules.header_error


def test_the_reasons_table_names_every_reason() -> None:
    named = {value for name, value in vars(R).items() if name.isupper() and isinstance(value, str)}
    assert set(R.REASONS) == named
    assert len(set(R.REASONS)) == len(R.REASONS)


def test_the_twins_write_no_reason_of_their_own() -> None:
    """Each reason is written once, in ``_frame_rules.py``: neither twin's source repeats one."""
    here = Path(_frame_rules.__file__).parent
    sources = [here / "_codec_py.py", here / "_codec_c.pyx"]
    for source in sources:
        if not source.exists():  # an install without the .pyx
            continue
        text = source.read_text(encoding="utf-8")
        for reason in R.REASONS:
            assert reason.split("{")[0].strip() not in text, (source.name, reason)


def test_a_valid_exchange_still_flows(codec: ModuleType) -> None:
    """The inline fast path of the compiled twin and the rules agree on valid frames of every kind."""
    compressed = zlib.compressobj(wbits=-15)
    body = compressed.compress(b"zipped") + compressed.flush(zlib.Z_SYNC_FLUSH)
    connection = connect(codec, True)
    data = (
        frame(0x81, b"one")
        + frame(0x82, b"two")
        + frame(0x01, b"th")
        + frame(0x89, b"p")
        + frame(0x00, b"re")
        + frame(0x80, b"e")
        + frame(0xC2, body[:-4])
        + frame(0x8A, b"q")
    )
    events = connection.receive_data(data)
    assert events[:4] == ["one", b"two", Ping(b"p"), "three"]
    assert events[4] == b"zipped"
    assert len(events) == 6
