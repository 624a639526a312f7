"""What fastws puts in Redis: message envelopes, the history scripts, and reading both back.

Shared by the one-server backend (``redis``) and the cluster one
(``cluster``), which differ only in where a channel's names live.

An envelope is ``kind + rest``:

- ``b"t"`` / ``b"b"`` (text / binary, no history): ``origin (8 bytes) +
  payload``; the publisher delivered to its own subscribers already and
  skips its copy.
- ``b"T"`` / ``b"B"`` (a channel that keeps history): ``b"<offset>:<epoch>:"
  + payload``, from the publish script; every hub takes it from Redis, the
  publisher's too.

A channel that keeps history has three names, in one hash slot on a
cluster (``Names``): its stream (entry id = offset; fields ``t`` the
server's time in ms, ``k`` the kind, ``d`` the payload), its meta hash
(``e`` the epoch, ``s`` the newest offset) and its pub/sub channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .history import History, Page, new_epoch
from .message import Message
from .positions import Position, channel_check

__all__ = ["ORIGIN_SIZE", "PUBLISH_KEPT", "READ", "Names", "envelope", "kept_arguments", "open_envelope", "page_of"]

_TEXT, _BINARY = b"t", b"b"
_KEPT_TEXT, _KEPT_BINARY = b"T", b"B"
ORIGIN_SIZE = 8

# KEYS: stream, meta, pub/sub channel. ARGV: publish command (PUBLISH or SPUBLISH), kind, head,
# tail, stamped ("1": the payload is head .. token .. tail), maxlen, ttl in ms ("0": none), a new
# epoch, the channel's token check.
PUBLISH_KEPT = """
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[8]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[2], 's', 1)
local payload = ARGV[3]
if ARGV[5] == '1' then
  payload = ARGV[3] .. offset .. '.' .. epoch .. '.' .. ARGV[9] .. ARGV[4]
end
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[6], offset .. '-0', 't', ms, 'k', ARGV[2], 'd', payload)
if ARGV[7] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
redis.call(ARGV[1], KEYS[3], ARGV[2] .. offset .. ':' .. epoch .. ':' .. payload)
return {offset, epoch}
"""

# KEYS: stream, meta. ARGV: after (an offset), count. Returns {epoch or false, top, now in ms, entries}.
READ = """
local meta = redis.call('HMGET', KEYS[2], 'e', 's')
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
if not meta[1] then
  return {false, 0, ms, {}}
end
local entries = redis.call('XRANGE', KEYS[1], (tonumber(ARGV[1]) + 1) .. '-0', '+', 'COUNT', ARGV[2])
return {meta[1], tonumber(meta[2]), ms, entries}
"""


@dataclass(frozen=True, slots=True)
class Names:
    """A channel's names in Redis: its pub/sub channel, and (with history) its stream and meta hash."""

    channel: bytes
    stream: bytes
    meta: bytes


def envelope(origin: bytes, message: Message) -> bytes:
    """The envelope of a message on a channel without history."""
    return (_BINARY if message.binary else _TEXT) + origin + message.payload


def kept_arguments(
    channel: str, names: Names, message: Message, history: History, command: bytes
) -> tuple[list[bytes], list[Any]]:
    """The keys and arguments of ``PUBLISH_KEPT`` for ``message``."""
    head, tail = message.stamp if message.stamp is not None else (message.payload, b"")
    kind = _KEPT_BINARY if message.binary else _KEPT_TEXT
    ttl = 0 if history.ttl is None else max(1, round(history.ttl * 1000))
    stamped = b"1" if message.stamp is not None else b"0"
    args = [command, kind, head, tail, stamped, history.size, ttl, new_epoch(), channel_check(channel)]
    return [names.stream, names.meta, names.channel], args


def open_envelope(channel: str, data: bytes, origin: bytes) -> Message | None:
    """The message in an envelope; None for our own publish (delivered already) or what is not ours to read."""
    kind = data[:1]
    if kind in (_KEPT_TEXT, _KEPT_BINARY):
        offset, _, rest = data[1:].partition(b":")
        epoch, _, payload = rest.partition(b":")
        try:
            position = Position(channel, int(offset), epoch.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return None
        return Message(payload, kind == _KEPT_BINARY, None, position)
    if kind not in (_TEXT, _BINARY) or data[1 : 1 + ORIGIN_SIZE] == origin:
        return None
    return Message(data[1 + ORIGIN_SIZE :], kind == _BINARY)


def page_of(channel: str, reply: list[Any], history: History) -> Page:
    """The ``Page`` a ``READ`` reply stands for (entries past the ttl left out)."""
    epoch_bytes, top, now, entries = reply
    if not epoch_bytes:
        return Page(None, 0)
    epoch = epoch_bytes.decode("ascii")
    oldest = None if history.ttl is None else now - history.ttl * 1000
    messages = []
    for entry_id, fields in entries:
        values = dict(zip(fields[::2], fields[1::2], strict=True))
        if oldest is not None and int(values[b"t"]) < oldest:
            continue  # past its ttl
        offset = int(entry_id.partition(b"-")[0])
        messages.append(Message(values[b"d"], values.get(b"k") == _KEPT_BINARY, None, Position(channel, offset, epoch)))
    return Page(epoch, int(top), messages)
