"""The errors ``fastws.Broadcast`` raises: one base class, a subclass per cause."""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "BroadcastError",
    "HistoryGap",
    "InvalidHistory",
    "InvalidPosition",
    "MessageTooLarge",
    "NotConnected",
    "SubscriberTooSlow",
    "UnknownBackend",
]


class BroadcastError(Exception):
    """Base class of every ``fastws.broadcast`` error."""


class UnknownBackend(BroadcastError, ValueError):
    """The URL names no backend (``memory://`` and ``redis://`` / ``rediss://`` / ``unix://`` exist)."""


class NotConnected(BroadcastError, RuntimeError):
    """Used before ``connect()`` (or ``async with``) or after ``disconnect()``."""


class BackendUnavailable(BroadcastError, ConnectionError):
    """The backend (Redis) cannot be reached: at connect, or for a publish while it is down."""


class MessageTooLarge(BroadcastError, ValueError):
    """A published message is over the hub's ``max_message_size``."""


class SubscriberTooSlow(BroadcastError):
    """An iterator subscription fell more than ``max_buffer`` bytes behind (policy ``"close"``)."""


class InvalidHistory(BroadcastError, ValueError):
    """History limits that make no sense (a size below 1, an age not above 0) or history where there can be none."""


class InvalidPosition(BroadcastError, ValueError):
    """A ``since`` that is no position of the channel: garbage, or another channel's token."""


class HistoryGap(BroadcastError):
    """A resume the channel's history cannot cover: what was missed since ``since`` is (partly) gone.

    ``reason``: ``"expired"`` (history no longer goes back that far, or
    holds nothing of the channel any more),
    ``"epoch"`` (history was lost and started over since: the position
    names nothing now), ``"ahead"`` (the position is past anything the
    channel has) or ``"unavailable"`` (history has them, but they could
    not be joined up with the live messages: publishing outran three reads).
    ``latest``: the channel's newest position as far as known (None if
    nothing is kept). The subscriber gets live messages only: the app
    reloads its state (and can tell its client so).
    """

    def __init__(self, channel: str, since: object, reason: str, latest: object = None) -> None:
        self.channel = channel
        self.since = since
        self.reason = reason
        self.latest = latest
        super().__init__(f"cannot resume {channel!r} from {since}: {_REASONS.get(reason, reason)}")


_REASONS = {
    "expired": "history no longer goes back that far",
    "epoch": "history was lost and started over since (another epoch)",
    "ahead": "the position is past the newest message",
    "unavailable": "history could not be joined up with the live messages (publishing outran three reads)",
}
