"""Positions: the token a client keeps, read back exactly, refused when it is garbage or another channel's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastws.broadcast import InvalidPosition, Position
from fastws.broadcast.positions import channel_check
from tests.helpers.properties import FAST

channels = st.text(min_size=1, max_size=40)
epochs = st.text("0123456789abcdef", min_size=1, max_size=32)
offsets = st.integers(min_value=0, max_value=(1 << 63) - 1)


@FAST
@given(channels, offsets, epochs)
def test_a_token_reads_back_as_the_same_position(channel: str, offset: int, epoch: str) -> None:
    position = Position(channel, offset, epoch)
    assert Position.parse(channel, position.token) == position
    assert str(position) == position.token
    assert Position.parse(channel, position) is position


@FAST
@given(channels, channels, offsets, epochs)
def test_another_channels_token_is_refused(channel: str, other: str, offset: int, epoch: str) -> None:
    if channel_check(channel) == channel_check(other):
        return  # a CRC-32 collision (or the same channel): indistinguishable by design
    token = Position(other, offset, epoch).token
    with pytest.raises(InvalidPosition, match="another channel"):
        Position.parse(channel, token)
    with pytest.raises(InvalidPosition, match="given for channel"):
        Position.parse(channel, Position(other, offset, epoch))


@pytest.mark.parametrize(
    "token",
    ["", "1", "1.ab", "x.ab.00000000", "1.AB.00000000", "-1.ab.00000000", "1..00000000", "1.ab.0000000",
     "1.ab.00000000 ", " 1.ab.00000000", "1.ab.00000000.1", "1:ab:00000000", "1.ab.0000000g", "9" * 20 + ".ab.00000000",
     "1.é.00000000", "1." + "a" * 33 + ".00000000"],
)  # fmt: skip
def test_garbage_is_refused_with_a_typed_error(token: str) -> None:
    with pytest.raises(InvalidPosition):
        Position.parse("room", token)


@FAST
@given(st.text(max_size=80))
def test_any_string_is_a_position_or_invalid(token: str) -> None:
    try:
        position = Position.parse("room", token)
    except InvalidPosition:
        return
    assert position.token == token and position.channel == "room"


def test_an_offset_past_what_redis_counts_is_refused() -> None:
    check = channel_check("room")
    assert Position.parse("room", f"{(1 << 63) - 1}.ab.{check}").offset == (1 << 63) - 1
    with pytest.raises(InvalidPosition, match="out of range"):
        Position.parse("room", f"{1 << 63}.ab.{check}")


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidPosition, match="not int"):
        Position.parse("room", 17)  # type: ignore[arg-type]
