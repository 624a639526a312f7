"""``fastws._read_buffer``, where every connection's transport reads, on each twin (``read_buffer_twin``)."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any


def test_it_lends_a_view_of_the_threads_buffer(read_buffer_twin: ModuleType) -> None:
    view = read_buffer_twin.get_buffer(-1)
    # a view (its slices are views: asyncio's TLS layer reads the rest of a read into one) of one bytearray
    assert type(view) is memoryview and type(view.obj) is bytearray and len(view) == read_buffer_twin.READ_SIZE
    assert view.obj is read_buffer_twin.this_thread() is read_buffer_twin.get_buffer(65536).obj
    view[4:][:2] = b"hi"
    assert read_buffer_twin.this_thread()[4:6] == b"hi"


def test_each_thread_has_its_own(read_buffer_twin: ModuleType) -> None:
    mine = read_buffer_twin.this_thread()
    theirs: list[Any] = []

    def read() -> None:  # another thread may run another loop, reading at the same time
        theirs.extend([read_buffer_twin.this_thread(), read_buffer_twin.get_buffer(-1).obj])

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert theirs[0] is theirs[1] and theirs[0] is not mine
    assert read_buffer_twin.this_thread() is mine and read_buffer_twin.get_buffer(-1).obj is mine


def test_a_protocol_class_lends_it_bound_to_no_connection(read_buffer_twin: ModuleType) -> None:
    class Protocol:
        get_buffer = staticmethod(read_buffer_twin.get_buffer)

    # the same object from every instance: a transport keeping it holds no method of its connection's
    assert Protocol().get_buffer is Protocol().get_buffer is read_buffer_twin.get_buffer
