"""What a test reads of a TCP socket's state in the kernel."""

from __future__ import annotations

import socket
import sys


def segments_in(sock: socket.socket) -> int:
    """The TCP segments ``sock`` has received (Linux's ``tcp_info.tcpi_segs_in``, at byte 140 since 4.2)."""
    return int.from_bytes(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)[140:144], sys.byteorder)
