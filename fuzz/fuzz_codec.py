#!/usr/bin/env python3
"""Differential fuzzer: compiled ``fastws.wire._codec_c`` vs pure ``fastws.wire._codec_py``.

How to run (from the repo root, with the package built in place)::

    pip install atheris
    python fuzz/fuzz_codec.py -max_total_time=300       # libFuzzer flags
    python fuzz/fuzz_codec.py --stress 200000 --seed 1  # no atheris: a seeded random loop

Each input is split into settings (size limit, deflate on or off, read from
bytes or from a buffer used again for every read (``receive_from``), the cut
points of the TCP chunking) and a byte stream, biased towards near-valid
client frames so the deep paths are reached. Both twins are fed the same
chunks; their events, queued replies and state must be equal, and any
difference raises AssertionError. A crash in the compiled module kills the
process (libFuzzer then writes the input to ``crash-*``).
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
import time
from typing import Any

try:
    if "--stress" in sys.argv:
        raise ImportError("the seeded loop runs the modules uninstrumented")
    import atheris
except ImportError:
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["fastws"]):
        from fastws.wire import _codec_py as PURE
        from fastws.wire.deflate import PerMessageDeflate
    from fastws.wire import _codec_c as COMPILED
else:
    from fastws.wire import _codec_c as COMPILED
    from fastws.wire import _codec_py as PURE
    from fastws.wire.deflate import PerMessageDeflate
from fastws.wire.rfc6455 import Opcode

NO_LIMIT = 1 << 62  # receive_from's limit for none
OPCODES = [*Opcode, 3, 11, 15]  # the six the RFC defines, then reserved ones (5.2)


def frames_from(data: bytes) -> bytes:
    """Near-valid client frames driven by ``data``: a header choice per frame, then payload."""
    out = bytearray()
    i = 0
    while i + 3 <= len(data):
        flags, opcode_index, size = data[i], data[i + 1], data[i + 2]
        i += 3
        payload = data[i : i + size]
        i += size
        first = (0x80 if flags & 1 else 0) | ((flags >> 1) & 0x7) << 4 | OPCODES[opcode_index % len(OPCODES)]
        n = len(payload)
        masked = 0 if flags & 0x10 else 0x80
        if flags & 0x20 and n < 65536:
            head = struct.pack("!BBH", first, masked | 126, n)
        elif flags & 0x40:
            head = struct.pack("!BBQ", first, masked | 127, n)
        else:
            head = (
                struct.pack("!BB", first, masked | min(n, 125))
                if n < 126
                else struct.pack("!BBH", first, masked | 126, n)
            )
        out += head + (b"\x01\x02\x03\x04" if masked else b"") + payload
    return bytes(out)


def run(
    module: Any,
    stream: bytes,
    cuts: list[int],
    max_size: int | None,
    deflate: bool,
    limit: int | None = None,
    buffered: bool = False,
) -> tuple[Any, ...]:
    """Feed ``stream`` in chunks; with ``limit``, go on from every stop (as the protocol does).

    ``buffered``: each chunk read into one buffer (``receive_from``), overwritten after each call, as a
    ``BufferedProtocol``'s is by the next read.
    """
    connection = module.Connection(max_size=max_size, deflate=PerMessageDeflate() if deflate else None)
    buffer = bytearray(len(stream) + 1)
    events: list[object] = []
    replies = b""
    start = 0
    stops = 0

    def receive(chunk: bytes) -> list[object]:
        if not buffered:
            return connection.receive_data(chunk, limit)  # type: ignore[no-any-return]
        buffer[: len(chunk)] = chunk
        got = connection.receive_from(buffer, len(chunk), NO_LIMIT if limit is None else limit)
        buffer[:] = b"\xa5" * len(buffer)
        return got  # type: ignore[no-any-return]

    for cut in [*cuts, len(stream)]:
        events += receive(stream[start:cut])
        while connection.stopped:
            stops += 1
            events += receive(b"")
        replies += connection.data_to_send()
        start = cut
    return events, replies, connection.state, connection.close_sent, stops


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    settings, body = data[:3], data[3:]
    max_size = [None, 0, 16, 200, 70000][settings[0] % 5]
    deflate = bool(settings[1] & 1)
    stream = frames_from(body) if settings[1] & 2 else body
    rng = random.Random(settings[2])
    cuts = sorted(rng.randrange(len(stream) + 1) for _ in range(settings[2] % 8)) if stream else []
    limit = [None, 1, 40, 300][(settings[0] // 5) % 4]
    buffered = bool(settings[1] & 4)  # read through receive_from (a reused buffer), not receive_data
    compiled = run(COMPILED, stream, cuts, max_size, deflate, limit, buffered)
    pure = run(PURE, stream, cuts, max_size, deflate, limit, buffered)
    if compiled != pure:
        raise AssertionError(f"twins differ on {data!r}:\ncompiled {compiled!r}\npure     {pure!r}")
    if (limit is not None or buffered) and compiled[:-1] != run(COMPILED, stream, cuts, max_size, deflate)[:-1]:
        raise AssertionError(f"a read limit, or reading from a buffer, changed the events of {data!r}")


def stress(count: int, seed: int) -> None:
    rng = random.Random(seed)
    began = time.monotonic()
    for k in range(count):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(3, 300)))
        test_one_input(data)
        if k and k % 20000 == 0:
            print(f"{k} inputs, {time.monotonic() - began:.0f} s", flush=True)
    print(f"{count} inputs: the twins agree")


def main() -> None:
    if "--stress" in sys.argv or atheris is None:
        parser = argparse.ArgumentParser()
        parser.add_argument("--stress", type=int, default=20000, help="inputs")
        parser.add_argument("--seed", type=int, default=1)
        args = parser.parse_args()
        stress(args.stress, args.seed)
        return
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
