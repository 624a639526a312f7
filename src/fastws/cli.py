"""``fastws run``: uvicorn's command line, serving on fastws' wire layer.

``fastws run`` takes every option of ``uvicorn`` (the same click parameters,
so the same names, help, defaults and validation) and differs in three
defaults: ``--ws fastws`` (the compiled RFC 6455 layer,
``fastws.protocol:WebSocketProtocol``), ``--http auto`` meaning fastws' HTTP
front (``fastws.http:HttpProtocol``, which hands upgrades straight to that
layer) while ``--ws`` is fastws, and the demo app when no APP is given.
Its own options follow uvicorn's: ``--broadcast``, ``--metrics`` and the
settings of ``fastws.settings``.

Every value is checked before anything is served: a wrong one ends the
command with one line naming it and exit status 2, never a traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import Any

import click
import uvicorn
import uvicorn.config
import uvicorn.importer
from uvicorn.main import (
    main as uvicorn_command,  # the click command (uvicorn.main is that name too)
)

from . import HAS_SPEEDUPS, __version__
from .settings import ENV_PREFIX, Settings, format_value

DEMO_APP = "fastws.demo:app"
FASTWS = "fastws"  # the --ws (and --http) value that names fastws' own layer
FASTWS_PROTOCOL = "fastws.protocol:WebSocketProtocol"
FASTWS_HTTP = "fastws.http:HttpProtocol"  # upgrades straight to FASTWS_PROTOCOL, the rest to uvicorn's HTTP
FASTWS_LOOP = "fastws.loop:new_event_loop"  # uvloop, with no thread pool started for an IP address

_DEFAULTS = Settings()
_UVICORN_WS = [name for name in uvicorn.config.WS_PROTOCOLS if name != "auto"]
_OVERRIDES: dict[str, dict[str, Any]] = {  # uvicorn's options whose default or help fastws changes:
    "ws": {
        "default": FASTWS,
        "metavar": f"[{FASTWS}|auto|{'|'.join(_UVICORN_WS)}|module:Class]",
        "help": "WebSocket protocol implementation: fastws' compiled layer, or one of uvicorn's.",
    },
    "http": {
        "metavar": f"[auto|{FASTWS}|{'|'.join(n for n in uvicorn.config.HTTP_PROTOCOLS if n != 'auto')}|module:Class]",
        "help": "HTTP protocol implementation. auto: fastws' HTTP front with --ws fastws (it hands upgrades "
        "straight to that layer), else uvicorn's auto.",
    },
    "loop": {
        "help": "Event loop factory implementation. auto (uvloop if installed) and uvloop: uvloop through "
        f"{FASTWS_LOOP}, which binds an IP address without starting libuv's thread pool.",
    },
}


CHANGED = {*_OVERRIDES, "version"}  # ...and its --version, fastws' own (it names uvicorn's too)


def _version_text() -> str:
    build = "compiled" if HAS_SPEEDUPS else "pure Python"
    return (
        f"fastws {__version__} ({build}) on uvicorn {uvicorn.__version__}, "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.system()}"
    )


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit()


_VERSION = click.Option(
    ["--version"], is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
    help="Show the fastws, uvicorn and Python versions and exit.",
)  # fmt: skip


class _SettingType(click.ParamType):  # type: ignore[type-arg]  # generic in newer click only
    """A ``fastws.settings`` value from a flag, parsed and checked by ``Settings.parse``."""

    def __init__(self, name: str, kind: str) -> None:
        self.setting = name
        self.name = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            parsed = Settings.parse(self.setting, value)
            dataclasses.replace(_DEFAULTS, **{self.setting: parsed})  # the setting's own bounds
        except ValueError as error:
            self.fail(f"{value!r}: {error}", param, ctx)
        return parsed


def _setting_options() -> list[click.Option]:
    """One option per ``fastws.settings`` field: ``--name-with-dashes``, unset unless given."""
    options = []
    for name in Settings.names():
        default = getattr(_DEFAULTS, name)
        flag = "--" + name.replace("_", "-")
        shown = format_value(default)
        text = Settings.help(name)
        text = f"{text[0].upper()}{text[1:]}.  [default: {shown or 'none'}; env: {ENV_PREFIX}{name.upper()}]"
        if isinstance(default, bool):
            option = click.Option([f"{flag}/--no-{flag[2:]}", name], default=None, help=text)
        else:
            kind = "origins" if isinstance(default, tuple) else type(default).__name__
            option = click.Option([flag, name], type=_SettingType(name, kind), default=None, help=text,
                                  metavar=_METAVARS.get(kind, kind.upper()))  # fmt: skip
        option.allow_from_autoenv = False  # FASTWS_*, read by Settings.from_environ, not UVICORN_*
        options.append(option)
    return options


_METAVARS = {"str": "TEXT"}  # click's name for a string, as in uvicorn's own options


def _fastws_options() -> list[click.Option]:
    broadcast = click.Option(
        ["--broadcast"], default=None, metavar="URL",
        help="fastws.Broadcast's default backend for every worker: memory://, redis://host:port/db or "
        "redis+cluster://host:port,host:port (a Redis Cluster). "
        "[env: FASTWS_BROADCAST]",
    )  # fmt: skip
    broadcast.allow_from_autoenv = False
    metrics = click.Option(
        ["--metrics"], default=None, metavar="[HOST:]PORT", envvar="FASTWS_METRICS",
        help="Serve the WebSocket metrics of every worker to Prometheus on http://HOST:PORT/metrics (HOST: "
        "--host's). Needs the metrics extra: pip install 'fastws-runtime[metrics]'. [env: FASTWS_METRICS]",
    )  # fmt: skip
    metrics.allow_from_autoenv = False
    return [broadcast, metrics, *_setting_options()]


def _uvicorn_params() -> list[click.Parameter]:
    """uvicorn's own parameters (copies), with fastws' defaults; APP optional (the demo)."""
    params: list[click.Parameter] = []
    for param in uvicorn_command.params:
        if param.name == "version":
            continue  # fastws' --version tells uvicorn's too
        param = copy.copy(param)
        if param.name == "app":
            param.required = False
            param.default = DEMO_APP
        for attribute, value in _OVERRIDES.get(param.name or "", {}).items():
            setattr(param, attribute, value)
        params.append(param)
    return params


def _fail(option: str, message: str) -> click.BadParameter:
    return click.BadParameter(message, param_hint=f"'{option}'")


def _check_import(option: str, value: str, table: dict[str, Any]) -> None:
    """``value`` is a name of uvicorn's ``table`` whose module imports, or an importable ``module:attribute``."""
    if value in table:
        target = table[value]
        if target is None or value == "auto":
            return  # "none"; "auto" picks what is installed
        try:
            uvicorn.importer.import_from_string(target)
        except ImportError as error:
            raise _fail(option, f"{value} needs the {error.name or 'missing'} package: pip install it") from None
        return
    names = ", ".join(([FASTWS] if option == "--ws" else []) + list(table))
    if ":" not in value:
        raise _fail(option, f"{value!r} is none of {names}, nor a module:attribute to import")
    try:
        uvicorn.importer.import_from_string(value)
    except (uvicorn.importer.ImportFromStringError, ImportError) as error:
        raise _fail(option, f"cannot import {value!r}: {error}") from None


def _wire(ws: str, http: str) -> tuple[str, str]:
    """The ``ws`` and ``http`` values for uvicorn, fastws' names resolved."""
    if ws == FASTWS:
        return FASTWS_PROTOCOL, FASTWS_HTTP if http in ("auto", FASTWS) else http
    if http == FASTWS:
        raise _fail("--http", "fastws' HTTP front serves only --ws fastws; use --http auto with another --ws")
    return ws, http


def _loop(loop: str) -> str:
    """The ``loop`` value for uvicorn: ``fastws.loop``'s uvloop where uvicorn would take uvloop (``uvloop``, or
    ``auto`` with uvloop installed), which binds an IP address without starting libuv's threads."""
    if loop == "uvloop" or (loop == "auto" and importlib.util.find_spec("uvloop") is not None):
        return FASTWS_LOOP
    return loop


def _check_app(app: str, app_dir: str) -> None:
    """The app's module is found where uvicorn will look (``--app-dir``, the current directory by default).

    Only found, not imported: with ``--workers`` or ``--reload`` the app is
    imported in the workers alone, as uvicorn does.
    """
    module, _, attribute = app.partition(":")
    if not module or not attribute:
        raise _fail("APP", f"{app!r} is not module:attribute (e.g. main:app, for app in main.py)")
    where = os.path.abspath(app_dir)
    sys.path.insert(0, app_dir)  # what uvicorn.run does with --app-dir
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError) as error:
        raise _fail("APP", f"cannot import {module!r}: {error}") from None
    finally:
        sys.path.remove(app_dir)
    if not found:
        raise _fail("APP", f"no module {module!r} in {where} or on the Python path; run from the folder that "
                           "holds it, or give --app-dir")  # fmt: skip


def _settings(given: dict[str, Any]) -> Settings:
    """The settings the ``FASTWS_*`` variables give, with the flags given on top."""
    try:
        return dataclasses.replace(Settings.from_environ(), **{k: v for k, v in given.items() if v is not None})
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _check_broadcast(url: str) -> None:
    from .broadcast import BroadcastError
    from .broadcast.urls import backend_for

    try:
        backend_for(url)  # an unknown scheme or a missing extra fails here, before any worker
    except BroadcastError as error:
        raise _fail("--broadcast", str(error)) from None


def _metrics_address(value: str, host: str) -> tuple[str, int]:
    """``(host, port)`` of ``--metrics [HOST:]PORT`` (``[::1]:9100`` for IPv6); ``host`` when none is given."""
    where, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise _fail("--metrics", f"expected [HOST:]PORT (a port from 1 to 65535), not {value!r}")
    return where.strip("[]") or host, int(port)


def _serve_metrics(value: str, host: str) -> Callable[[], None]:
    """Start serving the workers' metrics (before the app is imported: see ``fastws.metrics.prometheus``).

    Returns what stops it again.
    """
    address = _metrics_address(value, host)
    if importlib.util.find_spec("prometheus_client") is None:
        raise _fail("--metrics", "needs prometheus_client: pip install 'fastws-runtime[metrics]'")
    from .metrics.worker import DIRECTORY_VARIABLE

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # the app's own, if it uses multiprocess mode already
    if given and not os.path.isdir(given):
        raise _fail("--metrics", f"PROMETHEUS_MULTIPROC_DIR={given!r} is not a directory")
    directory = given or tempfile.mkdtemp(prefix="fastws-metrics-")
    # prometheus_client reads the variable once, when first imported: here, and in every worker
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ[DIRECTORY_VARIABLE] = directory
    from .metrics.prometheus import serve

    try:
        server, _ = serve(*address, directory)
    except OSError as error:
        del os.environ[DIRECTORY_VARIABLE]
        if not given:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
            shutil.rmtree(directory, ignore_errors=True)
        raise _fail("--metrics", f"cannot listen on {address[0]}:{address[1]}: {error.strerror or error}") from None

    def stop() -> None:
        if server.socket.fileno() < 0:
            return  # stopped already (a signal's handler, then the finally)
        server.shutdown()
        server.server_close()
        if not given:
            shutil.rmtree(directory, ignore_errors=True)

    return stop


def _where(options: dict[str, Any]) -> str:
    if options.get("uds"):
        return f"unix:{options['uds']}"
    if options.get("fd") is not None:
        return f"file descriptor {options['fd']}"
    scheme = "https" if options.get("ssl_certfile") else "http"
    host = options["host"]
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{options['port']}"


def _serve(**options: Any) -> int:
    """``fastws run``: check everything, hand the settings to the workers, then run uvicorn's command."""
    broadcast = options.pop("broadcast")
    metrics = options.pop("metrics")
    settings = _settings({name: options.pop(name) for name in Settings.names()})
    deadline = options.get("timeout_graceful_shutdown")
    if deadline is not None and settings.ws_drain_window > deadline:
        raise _fail(
            "--ws-drain-window",
            f"{format_value(settings.ws_drain_window)} s is longer than --timeout-graceful-shutdown ({deadline} s): "
            "the connections still open at that deadline would be dropped",
        )
    if options["ws_max_size"] < 0:  # uvicorn takes any integer; fastws' codec refuses it at every connection
        raise _fail("--ws-max-size", f"expected a size in bytes >= 0, not {options['ws_max_size']}")
    _hand_to_workers(settings)  # before anything imports fastws.protocol, which reads them then
    ws_name = options["ws"]
    options["ws"], options["http"] = _wire(options["ws"], options["http"])
    _check_import("--ws", options["ws"], uvicorn.config.WS_PROTOCOLS)
    _check_import("--http", options["http"], uvicorn.config.HTTP_PROTOCOLS)
    _check_import("--loop", options["loop"], uvicorn.config.LOOP_FACTORIES)
    options["loop"] = _loop(options["loop"])
    stop_metrics = _serve_metrics(metrics, options["host"]) if metrics is not None else _nothing
    previous = _before_dying_of(signal.SIGTERM, stop_metrics)
    try:
        _check_app(options["app"], options["app_dir"])
        if broadcast is not None:
            _check_broadcast(broadcast)
            from .broadcast.hub import URL_VARIABLE

            os.environ[URL_VARIABLE] = broadcast  # workers inherit it

        click.echo(f"{_version_text()}: serving {options['app']} on {_where(options)} (ws: {ws_name})", err=True)
        uvicorn_command.callback(**options)  # type: ignore[misc]  # uvicorn's own command, past its parsing
    finally:
        stop_metrics()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _hand_to_workers(settings: Settings) -> None:
    """Put ``settings`` in the ``FASTWS_*`` variables (those at their default removed).

    Every worker reads them when it imports the protocol: a spawned one, and
    this process itself when it is the only worker, so this comes before any
    import of ``fastws.protocol``.
    """
    given = settings.to_environ()
    for name in Settings.names():
        variable = ENV_PREFIX + name.upper()
        if variable in given:
            os.environ[variable] = given[variable]
        else:
            os.environ.pop(variable, None)


def _before_dying_of(signum: signal.Signals, action: Callable[[], None]) -> Any:
    """Run ``action`` before a ``signum`` ends the process; the handler it replaces (None off the main thread).

    With one worker, uvicorn re-raises the SIGTERM it caught once it has shut
    down, which would end the process before any ``finally`` runs.
    """
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(number: int, frame: Any) -> None:
        action()
        signal.signal(number, signal.SIG_DFL)
        signal.raise_signal(number)

    return signal.signal(signum, handler)


def _nothing() -> None:
    pass


run = click.Command(
    "run",
    callback=_serve,
    params=[*_uvicorn_params(), *_fastws_options(), _VERSION],
    help="Serve an ASGI app (the demo when no APP is given) with uvicorn on fastws' wire layer. "
    "APP is module:attribute, imported from the current directory (or --app-dir) as uvicorn does.",
    context_settings={"auto_envvar_prefix": "UVICORN"},  # uvicorn's variables (UVICORN_PORT, ...) work too
)


@click.group(name="fastws", help="fastws: a compiled WebSocket runtime for ASGI apps, on uvicorn.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the fastws, uvicorn and Python versions and exit.")  # fmt: skip
def cli() -> None:
    """fastws' commands."""


cli.add_command(run)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastws`` command line; the exit status (2 for a usage error)."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="fastws", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return 1
    return result if isinstance(result, int) else 0
