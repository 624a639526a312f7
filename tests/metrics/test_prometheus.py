"""``fastws.metrics.prometheus`` and ``fastws run --metrics``, read back with Prometheus' own text parser."""

from __future__ import annotations

import socket
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fastws import cli, metrics
from fastws.metrics.prometheus import Collector, families
from tests.helpers.processes import free_port, serving_command

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition: ``{(name, sorted labels): value}``."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_every_name_once_with_prometheus_conventions() -> None:
    found = families(metrics.snapshot())
    names = [family.name for family in found]
    assert len(names) == len(set(names))
    for family in found:
        assert family.name.startswith("fastws_") and not family.name.endswith("_total")
        assert family.help.endswith(".")
        assert all(len(labels) == len(family.labels) for labels, _ in family.samples)


def test_the_collector_exposes_this_process() -> None:
    registry = CollectorRegistry()
    registry.register(Collector())  # type: ignore[arg-type]
    current = metrics.snapshot()
    samples = parse(generate_latest(registry).decode())
    assert samples[("fastws_connections_total", ())] >= current.connections_total
    assert samples[("fastws_received_messages_total", (("type", "text"),))] >= current.wire.text_received
    assert ("fastws_connections_open", ()) in samples


APP = """
async def app(scope, receive, send):
    assert scope["type"] == "websocket"
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message["text"]})
"""


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return parse(response.read().decode())


def test_fastws_run_metrics_sums_the_workers(tmp_path: Path) -> None:
    from websockets.sync.client import connect

    (tmp_path / "echoes.py").write_text(APP)
    metrics_port = free_port()
    argv = [sys.executable, "-m", "fastws", "run", "echoes:app", "--workers", "2",
            "--metrics", str(metrics_port), "--metrics-interval", "0.1"]  # fmt: skip
    expected = {
        ("fastws_connections_total", ()): 20.0,
        ("fastws_received_messages_total", (("type", "text"),)): 60.0,
        ("fastws_sent_bytes_total", (("type", "text"),)): 60.0 * 5,
        ("fastws_closes_total", (("code", "1000"), ("side", "client"))): 20.0,
        ("fastws_handshakes_total", (("outcome", "accepted"), ("status", "101"))): 20.0,
        ("fastws_connections_open", ()): 0.0,
    }
    with serving_command(argv, cwd=tmp_path) as (port, _log):
        for _ in range(20):
            with connect(f"ws://127.0.0.1:{port}/", open_timeout=5, close_timeout=2) as ws:
                for word in ("alpha", "bravo", "delta"):
                    ws.send(word)
                    assert ws.recv(timeout=5) == word
        deadline = time.monotonic() + 15
        while True:
            samples = scrape(metrics_port)
            found = {key: samples.get(key) for key in expected}
            if found == expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert found == expected


def test_the_metrics_port_in_use_is_refused_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["run", "--metrics", f"127.0.0.1:{port}", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert f"'--metrics': cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err, err


@pytest.mark.parametrize("value", ["x", "host:", "127.0.0.1:70000", "0"])
def test_a_bad_metrics_address(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--metrics", value]) == 2
    assert f"'--metrics': expected [HOST:]PORT (a port from 1 to 65535), not {value!r}" in capsys.readouterr().err


def test_the_metrics_extra_missing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "prometheus_client" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert cli.main(["run", "--metrics", str(free_port())]) == 2
    assert "pip install 'fastws-runtime[metrics]'" in capsys.readouterr().err


SETTINGS_APP = """
from fastws.protocol import WebSocketProtocol

async def app(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": str(WebSocketProtocol.settings.ws_drain_window)})
    await send({"type": "websocket.close"})
"""


def test_one_worker_reads_the_flags_and_leaves_no_metrics_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one worker, fastws run's own process serves: it must read the settings given as flags
    (--metrics-interval among them), and remove its metrics directory when SIGTERM stops it."""
    from tests.test_cli import greeting

    (tmp_path / "settings_app.py").write_text(SETTINGS_APP)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    metrics_port = free_port()
    argv = [sys.executable, "-m", "fastws", "run", "settings_app:app", "--ws-drain-window", "1.5",
            "--metrics", str(metrics_port), "--metrics-interval", "0.1"]  # fmt: skip
    with serving_command(argv, cwd=tmp_path) as (port, _log):
        assert greeting(port) == "1.5"
        assert [path.name.startswith("fastws-metrics-") for path in temp.iterdir()] == [True]
        deadline = time.monotonic() + 3  # the default interval is 5 s: this needs the flag's 0.1
        while scrape(metrics_port).get(("fastws_connections_total", ())) != 1.0:
            assert time.monotonic() < deadline, "the worker did not publish at --metrics-interval"
            time.sleep(0.05)
    assert list(temp.iterdir()) == []  # stopped by SIGTERM: its directory removed
