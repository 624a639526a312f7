"""``fastws run``: uvicorn's command line with fastws' defaults.

In-process tests replace uvicorn's ``run`` (what uvicorn's command calls
once it has parsed its options) to see what would be served; the
subprocess tests serve real apps on loopback, bounded in time.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import click.testing
import pytest
from uvicorn.main import main as uvicorn_command

from fastws import cli
from fastws.settings import Settings
from tests.helpers.processes import free_port, serving_command

uvicorn_main = importlib.import_module("uvicorn.main")  # the module: uvicorn.main is also the command's name


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What uvicorn would have served: the options ``uvicorn.main.run`` was called with."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("FASTWS_", "UVICORN_"))}
    monkeypatch.setattr(os, "environ", environ)
    given: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn_main, "run", lambda app, **options: given.update(options, app=app))
    return given


def _options(command: click.Command) -> dict[str, click.Option]:
    return {opt: param for param in command.params if isinstance(param, click.Option) for opt in param.opts}


# ------------------------------------------------------------ the options


def test_every_uvicorn_option_with_uvicorn_defaults_and_help() -> None:
    ours, theirs = _options(cli.run), _options(uvicorn_command)
    assert set(theirs) <= set(ours), f"missing: {sorted(set(theirs) - set(ours))}"
    for opt, param in theirs.items():
        assert (ours[opt].default, repr(ours[opt].type)) == (param.default, repr(param.type)) or param.name == "ws", opt
        assert ours[opt].help == param.help or param.name in cli.CHANGED, opt  # help only where fastws differs
    assert ours["--ws"].default == "fastws"
    for opt, param in ours.items():
        assert param.help, f"{opt} has no help"
    for name in Settings.names():
        assert f"--{name.replace('_', '-')}" in ours


def test_help_lists_uvicorn_and_fastws_options() -> None:
    result = click.testing.CliRunner().invoke(cli.cli, ["run", "--help"])
    assert result.exit_code == 0
    for flag in ("--ssl-certfile", "--proxy-headers", "--uds", "--factory", "--app-dir", "--broadcast",
                 "--ws-max-queue-bytes", "--ws-deflate-window-bits", "--limit-concurrency"):  # fmt: skip
        assert flag in result.output


def test_version_names_fastws_and_uvicorn(capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    from fastws import __version__

    for argv in (["--version"], ["run", "--version"]):
        assert cli.main(argv) == 0
        out = capsys.readouterr().out
        assert f"fastws {__version__}" in out and f"uvicorn {uvicorn.__version__}" in out


# ---------------------------------------------- what uvicorn is given


def test_defaults_serve_the_demo_on_fastws(served: dict[str, Any]) -> None:
    assert cli.main(["run"]) == 0
    assert served["app"] == cli.DEMO_APP
    assert (served["http"], served["ws"]) == (cli.FASTWS_HTTP, cli.FASTWS_PROTOCOL)
    assert (served["host"], served["port"], served["app_dir"]) == ("127.0.0.1", 8000, "")


def test_uvloop_is_served_through_fastws_loop(served: dict[str, Any]) -> None:
    assert cli.main(["run"]) == 0
    assert served["loop"] == cli.FASTWS_LOOP == "fastws.loop:new_event_loop"  # auto, uvloop installed
    assert cli.main(["run", "--loop", "uvloop"]) == 0
    assert served["loop"] == cli.FASTWS_LOOP
    for other in ("asyncio", "none", "tests.test_loop:new_event_loop"):
        assert cli.main(["run", "--loop", other]) == 0
        assert served["loop"] == other


def test_another_wire_layer_gets_uvicorn_http(served: dict[str, Any]) -> None:
    assert cli.main(["run", "--ws", "websockets-sansio"]) == 0
    assert (served["http"], served["ws"]) == ("auto", "websockets-sansio")  # the front serves only fastws
    assert cli.main(["run", "--http", "h11"]) == 0
    assert (served["http"], served["ws"]) == ("h11", cli.FASTWS_PROTOCOL)


def test_uvicorn_options_are_passed_on(served: dict[str, Any], tmp_path: Path) -> None:
    argv = ["run", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.1", "--root-path", "/api",
            "--uds", str(tmp_path / "s.sock"), "--header", "X-Served-By:fastws", "--no-access-log",
            "--timeout-graceful-shutdown", "5", "--backlog", "64", "--limit-concurrency", "50",
            "--ws-per-message-deflate", "false", "--lifespan", "off", "--factory"]  # fmt: skip
    assert cli.main(argv) == 0
    assert served["proxy_headers"] is True and served["forwarded_allow_ips"] == "10.0.0.1"
    assert served["root_path"] == "/api" and served["uds"] == str(tmp_path / "s.sock")
    assert served["headers"] == [("X-Served-By", "fastws")] and served["access_log"] is False
    assert (served["timeout_graceful_shutdown"], served["backlog"], served["limit_concurrency"]) == (5, 64, 50)
    assert served["ws_per_message_deflate"] is False and served["lifespan"] == "off" and served["factory"] is True


def test_uvicorn_variables_work(served: dict[str, Any]) -> None:
    os.environ["UVICORN_PORT"] = "9123"
    assert cli.main(["run"]) == 0
    assert served["port"] == 9123


def test_settings_are_handed_to_every_worker(served: dict[str, Any]) -> None:
    argv = ["run", "--ws-allowed-origins", "https://a.example, https://*.b.example", "--no-ws-allow-missing-origin",
            "--ws-max-queue-bytes", "1000", "--http-head-timeout", "3", "--ws-deflate-window-bits", "15"]  # fmt: skip
    assert cli.main(argv) == 0
    assert Settings.from_environ(os.environ) == Settings(
        ws_allowed_origins=("https://a.example", "https://*.b.example"), ws_allow_missing_origin=False,
        ws_max_queue_bytes=1000, http_head_timeout=3.0, ws_deflate_window_bits=15,
    )  # fmt: skip


def test_broadcast_url_is_handed_to_every_worker(served: dict[str, Any]) -> None:
    assert cli.main(["run", "--broadcast", "memory://"]) == 0
    assert os.environ["FASTWS_BROADCAST"] == "memory://"


# ------------------------------------------------------------ bad input

BAD = [
    (["--log-level", "loud"], "'--log-level': 'loud' is not one of"),
    (["--ws", "nosuch"], "'--ws': 'nosuch' is none of fastws, auto"),
    (["--ws", "nosuch:Protocol"], "'--ws': cannot import 'nosuch:Protocol'"),
    (["--http", "fastws", "--ws", "wsproto"], "'--http': fastws' HTTP front serves only --ws fastws"),
    (["--loop", "nope"], "'--loop': 'nope' is none of"),
    (["--port", "abc"], "'--port': 'abc' is not a valid integer"),
    (["--header", "no-colon"], "'--header': Expected 'Name:Value' format"),
    (["nosuchmodule:app"], "'APP': no module 'nosuchmodule' in"),
    (["nocolon"], "'APP': 'nocolon' is not module:attribute"),
    (["--broadcast", "kafka://x"], "'--broadcast': no broadcast backend for kafka://"),
    (["--ws-max-queue-bytes", "x"], "'--ws-max-queue-bytes': 'x': expected an integer"),
    (["--ws-deflate-window-bits", "20"], "'--ws-deflate-window-bits': '20': ws_deflate_window_bits must be"),
    (["--ws-allowed-origins", "example.com"], "allowed origin 'example.com' is not"),
    (
        ["--ws-drain-window", "30", "--timeout-graceful-shutdown", "10"],
        "'--ws-drain-window': 30.0 s is longer than --timeout-graceful-shutdown (10 s)",
    ),
    (["--ws-drain-reason", "x" * 124], "ws_drain_reason must be text of at most 123 bytes"),
    (["--ws-max-size", "-1"], "'--ws-max-size': expected a size in bytes >= 0, not -1"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(argv) for argv, _ in BAD])
def test_bad_input_is_one_clear_line_and_status_2(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn_main, "run", lambda *a, **k: pytest.fail("served with bad input"))
    assert cli.main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert "serving" not in err  # nothing announced before the check


def test_a_bad_variable_is_refused_beforeserving_command(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ["FASTWS_WS_CLOSE_TIMEOUT"] = "soon"
    monkeypatch.setattr(uvicorn_main, "run", lambda *a, **k: pytest.fail("served with a bad variable"))
    assert cli.main(["run"]) == 2
    assert "FASTWS_WS_CLOSE_TIMEOUT='soon'" in capsys.readouterr().err


# ------------------------------------------------- real servers, loopback

APP_SOURCE = """
from fastws import WebSocket

async def app(scope, receive, send):
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("hello from " + __name__)
        await websocket.close()
"""


def greeting(port: int, path: str = "/", send: str | None = None) -> str:
    """The first message a WebSocket client gets at ``path`` (after sending ``send``, if given)."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}{path}", open_timeout=5, close_timeout=2) as ws:
        if send is not None:
            ws.send(send)
        return str(ws.recv(timeout=5))


FASTWS_COMMAND = str(Path(sys.executable).with_name("fastws"))


@pytest.mark.parametrize("command", [[FASTWS_COMMAND], [sys.executable, "-m", "fastws"]], ids=["fastws", "python-m"])
def test_an_app_in_the_current_directory_is_served(command: list[str], tmp_path: Path) -> None:
    if not os.path.exists(command[0]):
        pytest.skip("the fastws console script is not installed beside this Python")
    (tmp_path / "ex1.py").write_text(APP_SOURCE)
    with serving_command([*command, "run", "ex1:app"], cwd=tmp_path) as (port, log):
        assert greeting(port) == "hello from ex1"
    assert b"(ws: fastws)" in log


def test_app_dir_and_factory(tmp_path: Path) -> None:
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "chat.py").write_text(APP_SOURCE + "\ndef create():\n    return app\n")
    argv = [sys.executable, "-m", "fastws", "run", "chat:create", "--factory", "--app-dir", "service"]
    with serving_command(argv, cwd=tmp_path) as (port, _log):
        assert greeting(port) == "hello from chat"


def test_an_app_that_fails_to_import_stops_the_command(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import no_such_dependency_here\n")
    done = subprocess.run([sys.executable, "-m", "fastws", "run", "broken:app", "--port", str(free_port())],
                          cwd=tmp_path, capture_output=True, timeout=30)  # fmt: skip
    assert done.returncode != 0
    assert b"no_such_dependency_here" in done.stderr  # the user's own error, shown as uvicorn shows it


def test_the_demo_is_served_by_default() -> None:
    with serving_command([sys.executable, "-m", "fastws", "run"]) as (port, log):
        assert greeting(port, "/ws", send="over the wire ✓") == "over the wire ✓"
    assert b"(ws: fastws)" in log  # on fastws' own wire layer
