"""``Message``: the compiled and the pure twin encode, frame and stamp alike."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastws.broadcast import message
from fastws.broadcast.positions import Position
from fastws.wire.deflate import PerMessageDeflate

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def _observed(twin: Any, data: Any, kind: str, position: Position) -> tuple[Any, ...]:
    """What a ``Message`` of ``twin`` shows of ``data``: made, stamped at ``position``, framed three ways."""
    if kind == "json":
        made = twin.Message.json({"body": data}, "text", position_key="pos")
    else:
        made = twin.Message.of(data if kind == "text" else str(data).encode())
    stamped = made.at(position)
    deflate = PerMessageDeflate(server_no_context_takeover=True)
    return (
        made.payload,
        made.binary,
        made.size,
        stamped.payload,
        stamped.position,
        stamped.data,
        stamped.frame(),
        stamped.asgi(),
        stamped.deflated_frame(deflate),
    )


@pytest.mark.compiled
@settings(max_examples=200, deadline=None)
@given(data=JSON, kind=st.sampled_from(["json", "text", "binary"]), at=st.integers(1, 2**40))
def test_the_twins_make_the_same_messages(data: Any, kind: str, at: int) -> None:
    if message.COMPILED is None:
        pytest.skip("compiled twin not live")
    if kind == "text" and not isinstance(data, str):
        data = repr(data)
    position = Position("room", at, "3f9a0c2e")
    assert _observed(message.COMPILED, data, kind, position) == _observed(message.PURE, data, kind, position)


def test_a_message_is_text_or_binary(message_twin: Any) -> None:
    with pytest.raises(TypeError, match="a message is str"):
        message_twin.Message.of(3)
    assert message_twin.Message.of(bytearray(b"ab")).payload == b"ab"
    assert message_twin.Message.of("é").payload == "é".encode()
