"""History: its limits, the ring that keeps it, the rule of resuming, and messages that carry their position."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastws.broadcast import History, InvalidHistory, Message, Position
from fastws.broadcast.history import Page, Ring, resume_from
from tests.helpers.properties import FAST


@pytest.mark.parametrize(
    "options",
    [{"size": 0}, {"size": -1}, {"size": 1_000_001}, {"size": 2.5}, {"size": True}, {"size": "10"},
     {"ttl": 0}, {"ttl": -1.0}, {"ttl": math.inf}, {"ttl": math.nan}, {"ttl": "60"}, {"ttl": True}],
)  # fmt: skip
def test_limits_that_make_no_sense_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(InvalidHistory):
        History(**options)  # type: ignore[arg-type]


def test_sensible_limits_are_kept() -> None:
    assert History() == History(size=1000, ttl=None)
    assert History(size=1, ttl=0.5).ttl == 0.5


def _message(offset: int, epoch: str = "e1", channel: str = "c") -> Message:
    return Message(f"m{offset}".encode(), False, None, Position(channel, offset, epoch))


def _offsets(messages: list[Message]) -> list[int]:
    return [m.position.offset for m in messages if m.position is not None]


def test_a_ring_keeps_the_last_size_messages_without_a_hole() -> None:
    ring = Ring(History(size=3))
    for offset in range(1, 6):
        ring.add(_message(offset), now=0.0)
    assert (ring.first, ring.top, _offsets(ring.page(0, 0.0).messages)) == (3, 5, [3, 4, 5])
    assert _offsets(ring.page(4, 0.0).messages) == [5]
    ring.add(_message(5), now=0.0)  # seen already: ignored
    assert ring.top == 5 and len(ring.entries) == 3
    ring.add(_message(8), now=0.0)  # a hole: only what follows it is whole
    assert (ring.first, ring.top) == (8, 8)
    ring.add(_message(1, epoch="e2"), now=0.0)  # another epoch: starts over
    assert (ring.epoch, ring.first, ring.top) == ("e2", 1, 1)


def test_a_ring_forgets_messages_past_their_ttl() -> None:
    ring = Ring(History(size=10, ttl=1.0))
    for offset in range(1, 4):
        ring.add(_message(offset), now=float(offset))
    assert _offsets(ring.page(0, now=3.5).messages) == [3]
    assert (ring.first, ring.top) == (3, 3)
    assert ring.page(0, now=10.0).messages == [] and ring.first == 4


def test_a_ring_kept_by_a_smaller_history_keeps_its_newest_in_place() -> None:
    ring = Ring(History(size=5))
    for offset in range(1, 6):
        ring.add(_message(offset), now=0.0)
    ring.keep(History(size=2, ttl=1.0))
    assert (ring.size, ring.ttl, ring.first, ring.top) == (2, 1.0, 4, 5)
    assert _offsets(ring.page(0, now=0.5).messages) == [4, 5]


def test_the_ring_of_memory_numbers_messages_from_1_in_one_epoch() -> None:
    ring = Ring(History(size=2))
    first = ring.next_position("c")
    assert first.offset == 1 and first.epoch
    ring.add(Message(b"x", False).at(first), now=0.0)
    assert ring.next_position("c") == Position("c", 2, first.epoch)


@pytest.mark.parametrize(
    ("page", "since", "expected"),
    [
        (Page("e1", 5, [_message(3), _message(4), _message(5)]), 2, [3, 4, 5]),
        (Page("e1", 5, [_message(3), _message(4), _message(5)]), 4, [5]),
        (Page("e1", 5, [_message(3), _message(4), _message(5)]), 5, []),
        (Page("e1", 5, [_message(4), _message(5)]), 2, "expired"),  # 3 is gone
        (Page("e1", 5, []), 3, "expired"),
        (Page("e1", 5, []), 5, []),  # nothing missed
        (Page("e1", 5, [_message(5)]), 6, "ahead"),
        (Page("e2", 5, [_message(5, "e2")]), 4, "epoch"),
        (Page(None, 0), 4, "expired"),  # nothing kept at all
    ],
)
def test_resuming_covers_the_whole_gap_or_says_why_not(page: Page, since: int, expected: object) -> None:
    verdict = resume_from(page, Position("c", since, "e1"))
    assert (_offsets(verdict) if isinstance(verdict, list) else verdict) == expected


@FAST
@given(st.integers(1, 30), st.integers(1, 40), st.integers(0, 45), st.integers(0, 45))
def test_a_ring_and_a_page_of_the_same_history_agree(size: int, published: int, since: int, read_after: int) -> None:
    """The ring the hub keeps (live, then a backend read merged in front) resumes as the backend would."""
    history = Ring(History(size=size))  # the backend's
    for offset in range(1, published + 1):
        history.add(_message(offset), now=0.0)
    tail = Ring(History(size=size))  # the hub's: saw only the last few live
    for offset in range(max(1, published - 2), published + 1):
        tail.add(_message(offset), now=0.0)
    tail.merge(history.page(read_after, 0.0), now=0.0)
    position = Position("c", since, "e1")
    from_backend = resume_from(history.page(since, 0.0), position)
    from_tail = resume_from(tail.page(since, 0.0), position)
    if isinstance(from_tail, list):  # whatever the tail covers, it covers exactly as the backend does
        assert isinstance(from_backend, list) and _offsets(from_tail) == _offsets(from_backend)
    if since >= read_after and isinstance(from_backend, list):  # and a read from there makes it cover
        assert isinstance(from_tail, list) and _offsets(from_tail) == _offsets(from_backend)


@FAST
@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4), st.integers(1, 10**6))
def test_a_message_with_a_position_key_is_the_dict_with_its_token_first(data: dict[str, object], offset: int) -> None:
    if "pos" in data:
        return
    message = Message.json(data, position_key="pos")
    position = Position("c", offset, "ab12")
    placed = message.at(position)
    assert json.loads(placed.payload) == {"pos": position.token, **data}
    assert next(iter(json.loads(placed.payload))) == "pos" and placed.position == position and not placed.binary


def test_a_position_key_needs_a_dict_without_that_key() -> None:
    with pytest.raises(TypeError, match="is a dict"):
        Message.json([1, 2], position_key="pos")
    with pytest.raises(ValueError, match="already has"):
        Message.json({"pos": 1}, position_key="pos")
    assert (
        Message.json({}, position_key="p").at(Position("c", 1, "a")).payload
        == b'{"p":"1.a.' + (Position("c", 1, "a").token.split(".")[2].encode()) + b'"}'
    )
