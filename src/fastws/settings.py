"""What fastws' HTTP front and wire layer enforce beyond uvicorn's own options.

uvicorn's ``Config`` carries ``ws_max_size``, ``ws_max_queue``, the pings
and ``limit_concurrency``; these are the rest: the bounds and deadlines
that keep one hostile or stalled client from holding a server's memory or
sockets, and the ``Origin`` policy. Each has a documented default, an
environment variable (``FASTWS_`` and the name in capitals, which is how
``fastws run`` hands them to every worker) and a ``fastws run`` flag (the
name with dashes).

``fastws.protocol.WebSocketProtocol.settings`` and
``fastws.http.HttpProtocol.settings`` are read from the environment when
those modules are imported; a subclass may set its own ``Settings``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import Any

from .wire import deflate, handshake
from .wire.origins import OriginPolicy
from .wire.rfc6455 import MAX_CLOSE_REASON

__all__ = ["ENV_PREFIX", "Settings", "format_value"]

ENV_PREFIX = "FASTWS_"


def _setting(default: Any, help: str) -> Any:
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Limits, deadlines and the ``Origin`` policy; every field has a safe default."""

    http_max_head_size: int = _setting(
        handshake.MAX_HEAD_SIZE,
        "largest request head (request line and headers) in bytes; a larger one gets 431",
    )
    http_max_headers: int = _setting(handshake.MAX_HEADERS, "most header lines in a request head; more get 431")
    http_head_timeout: float = _setting(
        10.0, "seconds the first request head of a connection may take to arrive (slowloris); 0: no deadline"
    )
    ws_max_queue_bytes: int = _setting(
        64 * 1024,
        "bytes of received messages waiting for the app before reading pauses (with --ws-max-queue, the "
        "count); one message up to --ws-max-size always fits",
    )
    ws_close_timeout: float = _setting(
        10.0, "seconds a closing handshake, and the flush of what was written before it, may take"
    )
    ws_write_timeout: float = _setting(
        0.0, "close a connection whose peer reads nothing for this many seconds while writes wait; 0: never"
    )
    ws_allowed_origins: tuple[str, ...] = _setting(
        (), "comma-separated origins allowed to connect (https://app.example.com, https://*.example.com, "
        "null); others get 403. Empty: no Origin check"
    )  # fmt: skip
    ws_allow_missing_origin: bool = _setting(
        True, "with --ws-allowed-origins, whether a handshake without Origin (a non-browser client) is let in"
    )
    ws_own_socket: bool = _setting(
        True,
        "read and write an open WebSocket's plain-TCP socket with fastws' own transport (recv/send on it, off the "
        "loop's stream transport: less CPU per message, less memory per connection); off: the loop's throughout",
    )
    ws_own_socket_after: float = _setting(
        0.1,
        "seconds an open connection stays on the loop's transport before fastws' own takes it (to twice that; "
        "a connection that closes sooner never pays for the move); 0: at the accept",
    )
    ws_deflate_window_bits: int = _setting(
        deflate.DEFAULT_WINDOW_BITS,
        "permessage-deflate's window, 9 to 15 (a 2**N-byte window per connection that compresses; zlib's "
        "own default is 15: better ratio, ~4x the memory)",
    )
    ws_deflate_mem_level: int = _setting(
        deflate.DEFAULT_MEM_LEVEL,
        "permessage-deflate's zlib memLevel, 1 to 9 (memory per compressing connection against speed and ratio; "
        "zlib's own default is 8)",
    )
    ws_deflate_idle: float = _setting(
        deflate.DEFAULT_IDLE,
        "permessage-deflate keeps a connection's compressor (or decompressor) only while it is used at least "
        "every this many seconds, and frees it once unused for that to twice that; a side used less often "
        "makes a new one per message, primed with its last window (a few microseconds, the same ratio); "
        "0: never kept",
    )
    ws_drain_window: float = _setting(
        0.0,
        "seconds over which a shutdown closes the open WebSocket connections with 1012, each at a random "
        "moment, so that clients reconnect across it rather than at once; 0: all at once",
    )
    ws_drain_reason: str = _setting(
        "", "the reason a shutdown's 1012 Close frame carries (at most 123 bytes of UTF-8): e.g. a reconnect hint"
    )
    metrics_interval: float = _setting(
        5.0, "seconds between a worker's copies of its metrics for --metrics (the most a scrape lags behind)"
    )
    origin_policy: OriginPolicy | None = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("http_max_head_size", "http_max_headers", "ws_max_queue_bytes"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, not {getattr(self, name)!r}")
        durations = (
            "http_head_timeout", "ws_close_timeout", "ws_write_timeout", "ws_own_socket_after", "ws_deflate_idle",
            "ws_drain_window",
        )  # fmt: skip
        for name in durations:  # 0 is "never" where a duration may be off; inf is not a deadline a timer can keep
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value!r}")
        if not isinstance(self.ws_drain_reason, str) or len(self.ws_drain_reason.encode("utf-8")) > MAX_CLOSE_REASON:
            raise ValueError(f"ws_drain_reason must be text of at most {MAX_CLOSE_REASON} bytes of UTF-8")
        if not isinstance(self.metrics_interval, (int, float)) or not 0 < self.metrics_interval < math.inf:
            raise ValueError(f"metrics_interval must be a finite number of seconds > 0, not {self.metrics_interval!r}")
        for name, low, high in (("ws_deflate_window_bits", 9, 15), ("ws_deflate_mem_level", 1, 9)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}")
        origins = self.ws_allowed_origins
        policy = OriginPolicy(origins, self.ws_allow_missing_origin) if origins else None
        object.__setattr__(self, "origin_policy", policy)

    @classmethod
    def names(cls) -> list[str]:
        """The settings' names, in order."""
        return [field.name for field in dataclasses.fields(cls) if field.init]

    @classmethod
    def help(cls, name: str) -> str:
        """One line on what setting ``name`` does."""
        return str(next(field for field in dataclasses.fields(cls) if field.name == name).metadata["help"])

    @classmethod
    def parse(cls, name: str, text: str) -> Any:
        """Setting ``name``'s value from text (a variable's, a flag's); ``ValueError`` if it does not parse.

        Numbers as Python writes them, true/false (1/0, yes/no, on/off), origins comma-separated.
        """
        default = getattr(_DEFAULTS, name)
        if isinstance(default, bool):
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if isinstance(default, str):
            return text
        if isinstance(default, (int, float)):
            try:
                return type(default)(text)
            except ValueError:
                raise ValueError("expected an integer" if isinstance(default, int) else "expected a number") from None
        return tuple(part.strip() for part in text.split(",") if part.strip())

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the ``FASTWS_*`` variables of ``environ`` (default: ``os.environ``) give.

        Raises ``ValueError`` naming the variable for a value that does not parse.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.names():
            variable = ENV_PREFIX + name.upper()
            text = environ.get(variable)
            if text is None:
                continue
            try:
                values[name] = cls.parse(name, text)
            except ValueError as error:
                raise ValueError(f"{variable}={text!r}: {error}") from None
        try:
            return cls(**values)
        except ValueError as error:
            raise ValueError(f"{ENV_PREFIX}*: {error}") from None

    def to_environ(self) -> dict[str, str]:
        """The ``FASTWS_*`` variables that give these settings (the ones not at their default)."""
        out = {}
        for name in self.names():
            value = getattr(self, name)
            if value != getattr(_DEFAULTS, name):
                out[ENV_PREFIX + name.upper()] = format_value(value)
        return out


def format_value(value: Any) -> str:
    """A setting's value as a variable (or a flag) writes it: true/false, origins comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


_DEFAULTS = Settings()
