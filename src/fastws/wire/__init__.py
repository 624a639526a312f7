"""The WebSocket wire layer, sans I/O, bottom-up.

``events`` holds the vocabulary; the codec (``fastws.wire.codec``, the live
twin of ``_codec_c.pyx`` / ``_codec_py.py``) turns bytes into events and
events into bytes. No sockets and no asyncio here: ``fastws.protocol`` is
the I/O adapter.
"""
