"""Which twins are live: ``HAS_SPEEDUPS``, and the wire codec's selection.

Each compiled module has a pure twin and a typed selector that picks the live
one, once, at import: ``_json`` (JSON), ``_url`` (query strings, the Host
header, ``QueryParams``, ``URL``), ``_headers`` (``Headers``,
``MutableHeaders``), ``_websocket_base`` (``WebSocketBase``), all by the rule
of ``fastws._twins``. The RFC 6455 codec (``fastws.wire._codec``, pure twin
``fastws.wire._codec_py``) is selected here. ``HAS_SPEEDUPS`` is true when
every compiled twin is live.
"""

from __future__ import annotations

from types import ModuleType

from . import _headers, _json, _url, _websocket_base
from ._twins import load_compiled as _compiled
from .wire import _codec_py

CODEC_PURE: ModuleType = _codec_py
CODEC_COMPILED: ModuleType | None = _compiled("fastws.wire._codec")
codec: ModuleType = CODEC_COMPILED if CODEC_COMPILED is not None else CODEC_PURE

# The live JSON twin, for ``broadcast/message.py`` (``impl.json_dumps``) until
# it imports ``json_dumps`` from ``fastws._json`` like the rest of the package.
impl: ModuleType = _json.PURE if _json.COMPILED is None else _json.COMPILED

HAS_SPEEDUPS: bool = (
    all(selector.COMPILED is not None for selector in (_headers, _json, _url, _websocket_base))
    and codec is not CODEC_PURE
)
