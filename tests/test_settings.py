"""``fastws.settings``: defaults, the FASTWS_* variables, and ``fastws run``'s flags for them."""

from __future__ import annotations

import pytest

from fastws.settings import Settings
from fastws.wire.origins import OriginPolicy


def test_every_setting_has_a_default_a_help_line_and_a_variable() -> None:
    defaults = Settings()
    assert Settings.names() == [
        "http_max_head_size", "http_max_headers", "http_head_timeout", "ws_max_queue_bytes",
        "ws_close_timeout", "ws_write_timeout", "ws_allowed_origins", "ws_allow_missing_origin", "ws_own_socket",
        "ws_own_socket_after", "ws_deflate_window_bits", "ws_deflate_mem_level", "ws_deflate_idle", "ws_drain_window", "ws_drain_reason", "metrics_interval",
    ]  # fmt: skip
    assert (defaults.http_max_head_size, defaults.http_max_headers, defaults.http_head_timeout) == (16384, 100, 10.0)
    assert (defaults.ws_max_queue_bytes, defaults.ws_close_timeout, defaults.ws_write_timeout) == (65536, 10.0, 0.0)
    assert (defaults.ws_deflate_window_bits, defaults.ws_deflate_mem_level, defaults.ws_deflate_idle) == (12, 5, 1.0)
    assert (defaults.ws_own_socket, defaults.ws_own_socket_after) == (True, 0.1)
    assert (defaults.ws_drain_window, defaults.ws_drain_reason, defaults.metrics_interval) == (0.0, "", 5.0)
    assert defaults.origin_policy is None and defaults.to_environ() == {}
    assert all(Settings.help(name) for name in Settings.names())


def test_the_environment_round_trips() -> None:
    settings = Settings(
        http_max_head_size=4096, http_head_timeout=2.5, ws_write_timeout=30,
        ws_allowed_origins=("https://a.example", "https://*.b.example"), ws_allow_missing_origin=False,
        ws_drain_window=2.5, ws_drain_reason="reconnect to b, then a",
    )  # fmt: skip
    environ = settings.to_environ()
    assert environ["FASTWS_WS_ALLOWED_ORIGINS"] == "https://a.example,https://*.b.example"
    assert environ["FASTWS_WS_ALLOW_MISSING_ORIGIN"] == "false"
    assert Settings.from_environ(environ) == settings
    assert Settings.from_environ({"FASTWS_WS_ALLOW_MISSING_ORIGIN": "yes"}).ws_allow_missing_origin is True


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FASTWS_HTTP_MAX_HEAD_SIZE": "big"}, "FASTWS_HTTP_MAX_HEAD_SIZE='big'"),
        ({"FASTWS_WS_MAX_QUEUE_BYTES": "0"}, "ws_max_queue_bytes must be a positive integer"),
        ({"FASTWS_WS_CLOSE_TIMEOUT": "-1"}, "ws_close_timeout must be a finite number of seconds >= 0"),
        ({"FASTWS_WS_ALLOW_MISSING_ORIGIN": "maybe"}, "expected true or false"),
        ({"FASTWS_WS_ALLOWED_ORIGINS": "example.com"}, "is not scheme://host[:port]"),
        ({"FASTWS_WS_DEFLATE_WINDOW_BITS": "8"}, "ws_deflate_window_bits must be an integer from 9 to 15"),
        ({"FASTWS_WS_DEFLATE_MEM_LEVEL": "10"}, "ws_deflate_mem_level must be an integer from 1 to 9"),
        ({"FASTWS_WS_DEFLATE_IDLE": "-0.5"}, "ws_deflate_idle must be a finite number of seconds >= 0"),
        ({"FASTWS_METRICS_INTERVAL": "0"}, "metrics_interval must be a finite number of seconds > 0"),
        ({"FASTWS_WS_DRAIN_WINDOW": "-1"}, "ws_drain_window must be a finite number of seconds >= 0"),
        ({"FASTWS_WS_OWN_SOCKET_AFTER": "-1"}, "ws_own_socket_after must be a finite number of seconds >= 0"),
        ({"FASTWS_WS_OWN_SOCKET_AFTER": "inf"}, "ws_own_socket_after must be a finite number of seconds >= 0"),
        # inf would be "never", which 0 says; a timer wheel cannot keep it (it failed every connection)
        ({"FASTWS_HTTP_HEAD_TIMEOUT": "inf"}, "http_head_timeout must be a finite number of seconds >= 0"),
        ({"FASTWS_WS_DEFLATE_IDLE": "inf"}, "ws_deflate_idle must be a finite number of seconds >= 0"),
        ({"FASTWS_WS_CLOSE_TIMEOUT": "nan"}, "ws_close_timeout must be a finite number of seconds >= 0"),
        ({"FASTWS_METRICS_INTERVAL": "inf"}, "metrics_interval must be a finite number of seconds > 0"),
        ({"FASTWS_WS_DRAIN_REASON": "é" * 62}, "ws_drain_reason must be text of at most 123 bytes of UTF-8"),
    ],
)
def test_a_bad_variable_is_a_clear_error(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*").replace("[", r"\[").replace("]", r"\]")):
        Settings.from_environ(environ)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"https://app.example.com", True),
        (b"https://APP.example.com", True),
        (b"https://app.example.com:443", False),  # another origin: the port is part of it
        (b"https://x.y.example.org", True),
        (b"https://example.org", False),
        (b"https://evilexample.org", False),
        (b"https://x.example.org.evil.com", False),
        (b"http://x.example.org", False),
        (b"null", False),
        (b"http://localhost:8000", True),
    ],
)
def test_origin_patterns(origin: bytes, allowed: bool) -> None:
    policy = OriginPolicy(["https://app.example.com", "https://*.example.org", "http://localhost:8000"])
    assert policy.allows([origin]) is allowed


def test_origin_edge_cases() -> None:
    policy = OriginPolicy(["https://a.example", "null"], allow_missing=False)
    assert policy.allows([b"null"]) and not policy.allows([]) and OriginPolicy(["https://a.example"]).allows([])
    assert not policy.allows([b"https://a.example", b"https://a.example"])  # two Origin headers: refused
    for bad in ("a.example", "https://", "https://a.example/path", "*://a.example", "https://a.*.example"):
        with pytest.raises(ValueError):
            OriginPolicy([bad])
