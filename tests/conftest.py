"""Shared fixtures: both twins of each compiled module, and a switch for the compiled ones.

One fixture per twin pair (``json_twin``, ``url_twin``, ``headers_twin``,
``websocket_twin``, ``codec``, ``handshake``, ``next_event_twin``, ``app_run_twin``, ``message_twin``,
``targets_twin``), each yielding the compiled twin (skipped when not live)
then the pure one, straight from the pair's selector. Every test
run on a compiled twin is marked ``compiled`` (the fixtures' compiled param,
and the few compiled-only tests by hand): ``-m "not compiled"`` or
``--no-compiled`` deselects them, to run the pure twins alone. What test
modules import (the live twins for hypothesis, ``websocket_class``, servers,
frames) is in ``tests.helpers``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from fastws import (
    _app_run,
    _headers,
    _json,
    _next_event,
    _protocol_core,
    _read_buffer,
    _socket_transport,
    _url,
    _websocket_base,
    sockets,
)
from fastws.broadcast import message as _message
from fastws.broadcast import targets as _targets
from fastws.wire import codec as _codec
from fastws.wire import handshake as _handshake


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-compiled",
        action="store_true",
        default=False,
        help='deselect the tests marked compiled (as -m "not compiled" does): the pure twins alone',
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--no-compiled"):
        return
    deselected = [item for item in items if item.get_closest_marker("compiled") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("compiled") is None]


def _params(compiled: ModuleType | None, pure: ModuleType) -> list[Any]:
    """The compiled twin (marked ``compiled``; skipped when not live), then the pure one."""
    first = (
        pytest.param(compiled, id="compiled", marks=pytest.mark.compiled)
        if compiled is not None
        else pytest.param(
            None, id="compiled", marks=[pytest.mark.compiled, pytest.mark.skip(reason="compiled twin not live")]
        )
    )
    return [first, pytest.param(pure, id="pure")]


JSON_TWINS = _params(_json.COMPILED, _json.PURE)
URL_TWINS = _params(_url.COMPILED, _url.PURE)
HEADERS_TWINS = _params(_headers.COMPILED, _headers.PURE)
WEBSOCKET_TWINS = _params(_websocket_base.COMPILED, _websocket_base.PURE)
CODEC_TWINS = _params(_codec.COMPILED, _codec.PURE)
HANDSHAKE_TWINS = _params(_handshake.COMPILED, _handshake.PURE)
SOCKETS_TWINS = _params(sockets.COMPILED, sockets.PURE)
NEXT_EVENT_TWINS = _params(_next_event.COMPILED, _next_event.PURE)
APP_RUN_TWINS = _params(_app_run.COMPILED, _app_run.PURE)
READ_BUFFER_TWINS = _params(_read_buffer.COMPILED, _read_buffer.PURE)
PROTOCOL_CORE_TWINS = _params(_protocol_core.COMPILED, _protocol_core.PURE)
SOCKET_TRANSPORT_TWINS = _params(_socket_transport.COMPILED, _socket_transport.PURE)
MESSAGE_TWINS = _params(_message.COMPILED, _message.PURE)
TARGETS_TWINS = _params(_targets.COMPILED, _targets.PURE)


@pytest.fixture(params=JSON_TWINS)
def json_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each JSON twin in turn: ``fastws._json_c`` then ``fastws._json_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=URL_TWINS)
def url_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each URL/query-string twin in turn: ``fastws._url_c`` then ``fastws._url_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=HEADERS_TWINS)
def headers_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each Headers twin in turn: ``fastws._headers_c`` then ``fastws._headers_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=WEBSOCKET_TWINS)
def websocket_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each ``WebSocketBase`` twin in turn: ``fastws._websocket_base_c`` then ``_websocket_base_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=HANDSHAKE_TWINS)
def handshake(request: pytest.FixtureRequest) -> ModuleType:
    """Each opening-handshake twin in turn: ``fastws.wire._handshake_c`` then ``_handshake_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=SOCKETS_TWINS)
def sockets_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each ``send_now`` twin in turn: ``fastws._sockets_c`` then ``fastws._sockets_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=NEXT_EVENT_TWINS)
def next_event_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin of what ``receive`` returns in turn: ``fastws._next_event_c`` then ``_next_event_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=APP_RUN_TWINS)
def app_run_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin of the coroutine the app's task runs: ``fastws._app_run_c`` then ``_app_run_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=READ_BUFFER_TWINS)
def read_buffer_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin of where the transports read in turn: ``fastws._read_buffer_c`` then ``_read_buffer_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=PROTOCOL_CORE_TWINS)
def protocol_core(request: pytest.FixtureRequest) -> ModuleType:
    """Each ``ProtocolCore`` twin in turn: ``fastws._protocol_core_c`` then ``_protocol_core_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=SOCKET_TRANSPORT_TWINS)
def socket_transport(request: pytest.FixtureRequest) -> ModuleType:
    """Each ``SocketTransport`` twin in turn: ``fastws._socket_transport_c`` then ``_socket_transport_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=CODEC_TWINS)
def codec(request: pytest.FixtureRequest) -> ModuleType:
    """Each RFC 6455 codec twin in turn: ``fastws.wire._codec_c`` then ``_codec_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=MESSAGE_TWINS)
def message_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each broadcast ``Message`` twin in turn: ``fastws.broadcast._message_c`` then ``_message_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=TARGETS_TWINS)
def targets_twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each broadcast targets twin in turn: ``fastws.broadcast._targets_c`` then ``_targets_py``."""
    return request.param  # type: ignore[no-any-return]
