#!/usr/bin/env bash
# fastws' public API as a user's type checker sees it: mypy --strict and pyright
# (strict) on this folder's user app and misuse file, and stubtest on the compiled
# twins' stubs. Needs fastws (compiled), mypy and pyright in the active venv.
set -euo pipefail
cd "$(dirname "$0")"

echo "== mypy --strict tests/typing"
python -m mypy --strict --warn-unused-ignores --cache-dir=/dev/null user_app.py misuse.py

echo "== pyright (strict, pyrightconfig.json) tests/typing"
pyright -p pyrightconfig.json user_app.py misuse.py

echo "== stubtest: the compiled twins against their .pyi stubs"
python -c 'import fastws, sys; sys.exit(0 if fastws.HAS_SPEEDUPS else "stubtest needs the compiled twins: fastws.HAS_SPEEDUPS is False")'
python -m mypy.stubtest --allowlist stubtest-allowlist.txt fastws._headers_c fastws._json_c fastws._url_c fastws._sockets_c fastws._websocket_base_c fastws._next_event_c fastws._app_run_c fastws._read_buffer_c fastws._socket_transport_c fastws._protocol_core_c fastws.wire._codec_c fastws.wire._handshake_c fastws.broadcast._message_c fastws.broadcast._targets_c
