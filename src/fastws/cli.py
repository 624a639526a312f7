"""``fastws run``: serve an ASGI app on uvicorn with uvloop, fastws' HTTP front and wire layer.

WebSocket upgrades go from ``fastws.http.HttpProtocol`` straight to
``fastws.protocol.WebSocketProtocol``; other HTTP requests to uvicorn's
httptools protocol.

With no app it serves the built-in demo (``fastws.demo:app``). ``--ws``
picks another of uvicorn's wire layers (e.g. ``websockets-sansio``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import HAS_SPEEDUPS, __version__
from .settings import Settings

DEMO_APP = "fastws.demo:app"
FASTWS_PROTOCOL = "fastws.protocol:WebSocketProtocol"
FASTWS_HTTP = "fastws.http:HttpProtocol"  # upgrades straight to FASTWS_PROTOCOL, the rest to httptools


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastws", description=__doc__)
    parser.add_argument("--version", action="version", version=f"fastws {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve an ASGI app (the demo when none is given)")
    run.add_argument("app", nargs="?", default=DEMO_APP, help="module:attribute (default: the demo)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=None)
    run.add_argument("--log-level", default="info")
    run.add_argument("--ws-max-size", type=int, default=16 * 1024 * 1024)
    run.add_argument("--ws-max-queue", type=int, default=32)
    run.add_argument("--ws-ping-interval", type=float, default=20.0)
    run.add_argument("--ws-ping-timeout", type=float, default=20.0)
    run.add_argument("--no-per-message-deflate", action="store_true")
    run.add_argument("--broadcast", default=None, metavar="URL",
                     help="fastws.Broadcast's default backend for every worker (memory:// or redis://host:port/db); "
                          "sets FASTWS_BROADCAST")
    run.add_argument("--ws", default="fastws",
                     help="wire layer: fastws (the default), or a uvicorn --ws value such as websockets-sansio")
    run.add_argument("--limit-concurrency", type=int, default=None, metavar="N",
                     help="uvicorn's: past N connections or tasks, HTTP requests and WebSocket upgrades get 503")
    limits = run.add_argument_group("limits and deadlines (fastws.settings; set FASTWS_* for every worker)")
    defaults = Settings()
    for name in Settings.names():
        default = getattr(defaults, name)
        flag = "--" + name.replace("_", "-")
        shown = ",".join(default) if isinstance(default, tuple) else default
        text = f"{Settings.help(name)} (default: {shown if shown != '' else 'none'})"
        if isinstance(default, bool):
            limits.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            kind = "origins" if isinstance(default, tuple) else type(default).__name__
            limits.add_argument(flag, dest=name, type=_parsing(name, kind), default=None, help=text,
                                metavar=kind.upper())
    return parser


def _parsing(name: str, kind: str) -> Callable[[str], Any]:
    """argparse's ``type`` for setting ``name``: ``Settings.parse``, named ``kind`` in argparse's errors."""

    def parse(text: str) -> Any:
        return Settings.parse(name, text)

    parse.__name__ = kind
    return parse


def _settings(args: argparse.Namespace) -> Settings:
    """The settings the environment gives, with the flags given on top; ValueError if one is invalid."""
    given = {name: getattr(args, name) for name in Settings.names() if getattr(args, name) is not None}
    return dataclasses.replace(Settings.from_environ(), **given)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import uvicorn

    try:
        settings = _settings(args)
    except ValueError as error:
        print(f"fastws: {error}", file=sys.stderr)
        return 2
    os.environ.update(settings.to_environ())  # every worker reads the same settings

    if args.broadcast is not None:
        from .broadcast import BroadcastError
        from .broadcast.backends import backend_for
        from .broadcast.hub import URL_VARIABLE

        try:
            backend_for(args.broadcast)  # an unknown scheme or a missing extra fails here, before any worker
        except BroadcastError as error:
            print(f"fastws: --broadcast: {error}", file=sys.stderr)
            return 2
        os.environ[URL_VARIABLE] = args.broadcast  # workers inherit it

    loop = "uvloop" if sys.platform != "win32" else "asyncio"
    print(
        f"fastws {__version__} ({'compiled' if HAS_SPEEDUPS else 'pure Python'}) serving {args.app} "
        f"on http://{args.host}:{args.port} (ws: {args.ws})",
        file=sys.stderr,
    )
    uvicorn.run(
        args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        loop=loop,
        http=FASTWS_HTTP if args.ws == "fastws" else "httptools",
        ws=FASTWS_PROTOCOL if args.ws == "fastws" else args.ws,
        ws_max_size=args.ws_max_size,
        ws_max_queue=args.ws_max_queue,
        ws_ping_interval=args.ws_ping_interval,
        ws_ping_timeout=args.ws_ping_timeout,
        ws_per_message_deflate=not args.no_per_message_deflate,
        limit_concurrency=args.limit_concurrency,
    )
    return 0
