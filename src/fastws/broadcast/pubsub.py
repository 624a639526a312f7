"""One pub/sub connection to one Redis server, kept up and subscribed to what its owner wants.

A ``Link`` is told which keys (Redis channel names) are wanted
(``want``: returns once the server confirmed the subscription; ``drop``)
and sends the ``SUBSCRIBE`` / ``UNSUBSCRIBE`` they need, batched once per
loop iteration (``SSUBSCRIBE`` / ``SUNSUBSCRIBE`` on a cluster, one
command per hash slot, as the server requires). It only parses and routes
what arrives (never awaiting a client), pings the server when the
connection is quiet, and replaces a connection that fails or stops
answering, with exponential backoff and jitter, subscribing every wanted
key again. What it sees goes to its ``LinkOwner``: messages, the
connection lost and back, a subscription the server ended by itself (a
cluster slot moved away) and an error reply (``MOVED``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Protocol

from redis.crc import key_slot
from redis.exceptions import RedisError, ResponseError

from .errors import BackendUnavailable

__all__ = ["PLAIN", "SHARDED", "Commands", "Link", "LinkOwner", "Timing"]

_logger = logging.getLogger("fastws.broadcast")


@dataclass(frozen=True, slots=True)
class Commands:
    """The pub/sub vocabulary of a link: plain (one server) or sharded (a cluster)."""

    subscribe: bytes
    unsubscribe: bytes
    message: bytes  # the kind of a message reply
    subscribed: bytes  # ... of a subscription's confirmation
    unsubscribed: bytes  # ... of an unsubscription's (asked for, or the server's own)
    per_slot: bool  # one command per hash slot (a cluster refuses keys of several slots: CROSSSLOT)


PLAIN = Commands(b"SUBSCRIBE", b"UNSUBSCRIBE", b"message", b"subscribe", b"unsubscribe", per_slot=False)
SHARDED = Commands(b"SSUBSCRIBE", b"SUNSUBSCRIBE", b"smessage", b"ssubscribe", b"sunsubscribe", per_slot=True)


@dataclass(frozen=True, slots=True)
class Timing:
    """How a link waits: for a quiet connection, for a connection, between reconnections."""

    health_check_interval: float = 5.0
    connect_timeout: float = 5.0
    reconnect_delay: float = 0.1
    reconnect_max_delay: float = 5.0


class LinkOwner(Protocol):
    """What a link tells the backend that owns it."""

    def message(self, key: bytes, data: bytes) -> None: ...
    def down(self, link: Link, error: BaseException) -> None: ...
    def up(self, link: Link) -> None: ...
    def dropped(self, link: Link, key: bytes) -> None: ...  # the server ended a subscription by itself
    def refused(self, link: Link, error: ResponseError) -> None: ...  # an error reply (MOVED, CROSSSLOT, ...)


class Link:
    """A pub/sub connection to one server (``name``), made by ``connect()``."""

    def __init__(
        self, name: str, make_connection: Callable[[], Any], owner: LinkOwner, commands: Commands, timing: Timing
    ) -> None:
        self.name = name
        self.make_connection = make_connection
        self.owner = owner
        self.commands = commands
        self.timing = timing
        self.wanted: set[bytes] = set()  # keys the owner wants delivered
        self._requested: set[bytes] = set()  # subscribed on the current connection
        self._confirmed: set[bytes] = set()  # the server confirmed them: messages flow
        self._leaving: dict[bytes, int] = {}  # unsubscribes sent and not yet confirmed, by key
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._flush_pending = False
        self._connection: Any = None  # while up
        self.up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.outage = False  # down, and the owner was told

    # ----------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._closing = False
        self._task = asyncio.ensure_future(self._run())
        self._task.add_done_callback(self._stopped)

    async def stop(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - it is being stopped
                pass
        await self._drop_connection()
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.cancel()  # a want() still waiting ends: its caller gets CancelledError
        self._waiters.clear()
        self.wanted.clear()

    def _stopped(self, task: asyncio.Task[None]) -> None:
        if self._closing or task is not self._task:
            return
        error = None if task.cancelled() else task.exception()
        _logger.warning("the Redis listener stopped (%r) for %s; starting it again", error, self.name)
        asyncio.get_running_loop().call_later(self.timing.reconnect_delay, self._restart)

    def _restart(self) -> None:
        if not self._closing:
            self.start()

    # ---------------------------------------------------------------- keys

    async def want(self, key: bytes) -> None:
        """Return once the server delivers ``key`` on this link."""
        self.want_soon(key)
        if key in self._confirmed:
            return  # subscribed on this connection (a drop not sent yet is undone)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.timing.connect_timeout)
        except TimeoutError as error:
            raise BackendUnavailable(f"Redis at {self.name} did not confirm the subscription in time") from error

    def want_soon(self, key: bytes) -> None:
        """Subscribe ``key`` without waiting for the server."""
        self.wanted.add(key)
        self._schedule_flush()

    def drop(self, key: bytes) -> None:
        self.wanted.discard(key)
        self._schedule_flush()

    def hand_over(self, key: bytes, other: Link) -> None:
        """Move ``key`` to ``other`` (its slot moved there), with whoever waits for its confirmation.

        Nothing is unsubscribed here: this server serves the slot no more
        (it ended the subscription itself, refused it, or is gone).
        """
        self.wanted.discard(key)
        self._requested.discard(key)
        self._confirmed.discard(key)
        waiters = self._waiters.pop(key, [])
        if waiters:
            other._waiters.setdefault(key, []).extend(waiters)
        other.want_soon(key)

    def _schedule_flush(self) -> None:
        """Send the (UN)SUBSCRIBE the wanted keys need, batched: once per loop iteration."""
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        self._flush_pending = False
        if self._connection is not None:
            task = asyncio.ensure_future(self._flush(self._connection))
            task.add_done_callback(_log_failure)

    async def _flush(self, connection: Any) -> None:
        join = sorted(self.wanted - self._requested)
        leave = sorted(self._requested - self.wanted)
        self._requested |= set(join)
        self._requested -= set(leave)
        self._confirmed -= set(leave)  # a want() from now on waits for its own confirmation
        for key in leave:
            self._leaving[key] = self._leaving.get(key, 0) + 1
        try:
            for command, keys in ((self.commands.subscribe, join), (self.commands.unsubscribe, leave)):
                for batch in self._batches(keys):
                    if self._connection is not connection or not connection.is_connected:
                        return  # dropped or broken meanwhile (redis-py would open it again): the next one subscribes all
                    await connection.send_command(command, *batch)
        except (RedisError, OSError):
            pass  # the reader sees the broken connection and starts over, subscribing again
        except Exception:
            if self._connection is connection:
                raise
            # else the connection was dropped (stopped, or broken) while this went out: nothing to do

    def _batches(self, keys: list[bytes]) -> list[list[bytes]]:
        if not keys:
            return []
        if not self.commands.per_slot:
            return [keys]
        return [list(group) for _, group in groupby(sorted(keys, key=key_slot), key=key_slot)]

    # -------------------------------------------------------------- reader

    async def _run(self) -> None:
        """Keep one connection up, subscribed to every wanted key, and route what arrives."""
        failures = 0
        timing = self.timing
        while not self._closing:
            await self._drop_connection()  # a previous one, if a failure left it
            try:
                connection = self.make_connection()
                try:
                    await asyncio.wait_for(connection.connect(), timing.connect_timeout)
                except BaseException:
                    await connection.disconnect(nowait=True)  # half-open, or stopped while connecting
                    raise
                self._connection = connection  # _drop_connection() left nothing requested or confirmed
                if self.wanted:
                    await self._flush(connection)
                failures = 0
                self.up.set()
                if self.outage:
                    self.outage = False
                    self.owner.up(self)
                await self._read(connection)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, RedisError, OSError) as error:
                await self._drop_connection()
                if self._closing:
                    return
                if not self.outage:
                    self.outage = True
                    self.owner.down(self, error)
                delay = min(timing.reconnect_max_delay, timing.reconnect_delay * 2**failures)
                failures += 1
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _read(self, connection: Any) -> None:
        """Route replies until the connection breaks; a quiet connection is pinged."""
        pinged = False
        commands = self.commands
        while True:
            try:
                response = await connection.read_response(timeout=self.timing.health_check_interval)
            except ResponseError as error:  # an error reply to a command of ours: the connection is fine
                self.owner.refused(self, error)
                continue
            if response is None:  # quiet for a whole interval
                if pinged:
                    raise TimeoutError(f"Redis at {self.name} did not answer a ping")
                await connection.send_command("PING")
                pinged = True
                continue
            pinged = False
            kind = response[0]
            if kind == commands.message:
                self.owner.message(response[1], response[2])
            elif kind == commands.subscribed:
                self._confirm(response[1])
            elif kind == commands.unsubscribed:
                self._unsubscribed(response[1])

    def _unsubscribed(self, key: bytes) -> None:
        leaving = self._leaving.pop(key, 0)
        if leaving:  # the confirmation of an unsubscribe of ours
            if leaving > 1:
                self._leaving[key] = leaving - 1
            return
        self._confirmed.discard(key)  # the server's own (a cluster slot moved away): the owner finds where
        if key in self._requested:
            self._requested.discard(key)
            self.owner.dropped(self, key)

    def _confirm(self, key: bytes) -> None:
        self._confirmed.add(key)
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(None)

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        self.up.clear()
        self._requested = set()
        self._confirmed = set()
        self._leaving = {}
        if connection is not None:
            try:
                await connection.disconnect(nowait=True)
            except Exception:  # noqa: BLE001 - it is broken already
                pass


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _logger.warning("broadcast Redis task failed", exc_info=task.exception())
