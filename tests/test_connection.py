"""``fastws.connection``: what a ``send`` tells about the connection behind it."""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from fastws.connection import is_server_send

WSPROTO = importlib.util.find_spec("wsproto") is not None


def bound(cls: type, name: str = "send") -> Any:
    """``name`` of an instance of ``cls`` made without running its ``__init__``."""
    return getattr(object.__new__(cls), name)


def test_uvicorns_own_sends_are_server_sends() -> None:
    assert is_server_send(bound(WebSocketsSansIOProtocol))


@pytest.mark.skipif(not WSPROTO, reason="wsproto is not installed (uvicorn's --ws wsproto needs it)")
def test_the_wsproto_protocols_send_is_one() -> None:
    from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

    assert is_server_send(bound(WSProtocol))


@pytest.mark.filterwarnings("ignore:websockets.legacy is deprecated")
@pytest.mark.filterwarnings("ignore:The `websockets` implementation is deprecated")
def test_the_legacy_protocols_asgi_send_is_one_and_websockets_own_send_is_not() -> None:
    from uvicorn.protocols.websockets.websockets_impl import WebSocketProtocol

    assert is_server_send(bound(WebSocketProtocol, "asgi_send"))
    assert not is_server_send(bound(WebSocketProtocol))  # websockets' send, inherited: not the app's ASGI send


def test_a_send_in_uvicorns_name_but_not_its_code_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """Told by code, not by names: an instrumented method (``functools.wraps`` copies names and module), a
    subclass's own ``send``, and any function are not uvicorn's send."""

    @functools.wraps(WebSocketsSansIOProtocol.send)
    async def instrumented(self: Any, message: Any) -> None:
        await WebSocketsSansIOProtocol.send(self, message)

    class Own(WebSocketsSansIOProtocol):
        async def send(self, message: Any) -> None:
            await super().send(message)

    async def send(message: Any) -> None:
        pass

    monkeypatch.setattr(WebSocketsSansIOProtocol, "send", instrumented)
    assert not is_server_send(bound(WebSocketsSansIOProtocol))
    assert not is_server_send(bound(Own))
    assert not is_server_send(send) and not is_server_send(print) and not is_server_send(None)
