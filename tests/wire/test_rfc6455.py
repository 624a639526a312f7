"""The RFC 6455 vocabulary (``fastws.wire.rfc6455``): its values, and both codec twins using it.

The numbers below are copied from RFC 6455 and the IANA registry, independently
of the module under test.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from types import ModuleType

import pytest

from fastws.wire import _codec_py, codec, handshake, rfc6455
from fastws.wire.events import Close, Fail
from fastws.wire.rfc6455 import CloseCode, Opcode
from tests.helpers.frames import client_frame, feed


def test_opcodes_are_those_of_section_5_2() -> None:
    assert {op.name: op.value for op in Opcode} == {
        "CONTINUATION": 0x0,
        "TEXT": 0x1,
        "BINARY": 0x2,
        "CLOSE": 0x8,
        "PING": 0x9,
        "PONG": 0xA,
    }
    assert [op.is_control for op in Opcode] == [False, False, False, True, True, True]


def test_close_codes_are_those_of_the_iana_registry() -> None:
    assert {code.name: code.value for code in CloseCode} == {
        "NORMAL_CLOSURE": 1000,
        "GOING_AWAY": 1001,
        "PROTOCOL_ERROR": 1002,
        "UNSUPPORTED_DATA": 1003,
        "NO_STATUS_RCVD": 1005,
        "ABNORMAL_CLOSURE": 1006,
        "INVALID_FRAME_PAYLOAD_DATA": 1007,
        "POLICY_VIOLATION": 1008,
        "MESSAGE_TOO_BIG": 1009,
        "MANDATORY_EXT": 1010,
        "INTERNAL_ERROR": 1011,
        "SERVICE_RESTART": 1012,
        "TRY_AGAIN_LATER": 1013,
        "BAD_GATEWAY": 1014,
        "TLS_HANDSHAKE": 1015,
    }


def test_the_frame_header_bits_and_lengths_of_section_5_2() -> None:
    assert (rfc6455.FIN_BIT, rfc6455.RSV1_BIT, rfc6455.RSV2_BIT, rfc6455.RSV3_BIT) == (0x80, 0x40, 0x20, 0x10)
    assert (rfc6455.RSV_BITS, rfc6455.OPCODE_BITS) == (0x70, 0x0F)
    assert (rfc6455.MASK_BIT, rfc6455.LENGTH_BITS) == (0x80, 0x7F)
    assert (rfc6455.MAX_LENGTH_7, rfc6455.LENGTH_16, rfc6455.LENGTH_64, rfc6455.MAX_LENGTH_16) == (125, 126, 127, 65535)
    assert (rfc6455.MAX_CONTROL_PAYLOAD, rfc6455.MAX_CLOSE_REASON) == (125, 123)
    assert rfc6455.GUID == b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert rfc6455.VERSION == b"13"


def test_which_close_codes_a_close_frame_may_carry() -> None:
    """RFC 6455 7.4: registered codes but 1004-1006 and 1015; 3000-4999 for everyone else."""
    allowed = {*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)}
    assert [c for c in range(-1, 70000) if rfc6455.is_valid_close_code(c)] == sorted(allowed)
    never_sent = {CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE}
    assert {code for code in CloseCode if not rfc6455.is_valid_close_code(code)} == never_sent


def test_the_live_codec_and_the_handshake_use_the_vocabulary(codec: ModuleType) -> None:
    assert codec.is_valid_close_code is rfc6455.is_valid_close_code
    assert handshake.GUID is rfc6455.GUID
    assert _codec_py.OP_TEXT is Opcode.TEXT  # the compiled twin's are C ints, invisible from Python


def test_both_twins_report_close_codes_as_plain_ints(codec: ModuleType) -> None:
    """The codes a twin makes up are ints equal to the names, as the peer's own codes are."""
    connection = codec.Connection()
    [event] = feed(connection, client_frame(Opcode.PING, fin=False))
    assert event == Fail(CloseCode.PROTOCOL_ERROR, "fragmented control frame")
    assert type(event.code) is int
    [event] = feed(codec.Connection(), client_frame(Opcode.CLOSE))
    assert event == Close(CloseCode.NO_STATUS_RCVD, "")
    assert type(event.code) is int
    [event] = feed(codec.Connection(max_size=1), client_frame(Opcode.BINARY, b"ab"))
    assert event == Fail(CloseCode.MESSAGE_TOO_BIG, "message over 1 bytes")
    assert type(event.code) is int


def test_named_close_codes_are_sent_as_their_numbers(codec: ModuleType) -> None:
    assert codec.Connection().send_close(CloseCode.GOING_AWAY, "bye") == b"\x88\x05\x03\xe9bye"
    assert codec.Connection().send_close() == b"\x88\x02\x03\xe8"  # NORMAL_CLOSURE by default
    assert codec.close_payload(CloseCode.TRY_AGAIN_LATER) == b"\x03\xf5"
    assert codec.build_frame(Opcode.BINARY, b"x") == b"\x82\x01x"


def test_the_wire_package_selects_its_twin_as_every_selector_does() -> None:
    live = codec.PURE if codec.COMPILED is None else codec.COMPILED
    for name in codec.__all__:
        assert getattr(codec, name) is getattr(live, name), name


@pytest.mark.parametrize("pure", [False, True], ids=["default", "FASTWS_NO_EXTENSIONS"])
def test_the_wire_package_imports_nothing_above_it(pure: bool) -> None:
    """With ``fastws/__init__.py`` not run, the wire modules load only each other and ``fastws._twins``."""
    script = textwrap.dedent(
        """
        import importlib.util, sys, types
        spec = importlib.util.find_spec("fastws")
        package = types.ModuleType("fastws")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["fastws"] = package  # the package, without its __init__ (the API above the wire)
        import fastws.wire.codec, fastws.wire.deflate, fastws.wire.handshake, fastws.wire.origins
        print(" ".join(sorted(name for name in sys.modules if name.startswith("fastws"))))
        print(fastws.wire.codec.Connection.__module__)
        """
    )
    env = {**os.environ, "FASTWS_NO_EXTENSIONS": "1" if pure else ""}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    modules, twin = out.split("\n")[:2]
    assert {name for name in modules.split() if not name.startswith("fastws.wire")} == {"fastws", "fastws._twins"}
    built = importlib.util.find_spec("fastws.wire._codec_c") is not None
    assert twin == ("fastws.wire._codec_c" if built and not pure else "fastws.wire._codec_py")
