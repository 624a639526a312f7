"""The WebSocket wire layer, sans I/O, bottom-up.

``rfc6455`` names the protocol's numbers (opcodes, close codes, header
bits); ``events`` holds what the codec reports and raises; ``_frame_rules``
holds the frame rules both codec twins apply; the codec (``codec``, the live
twin of ``_codec_c.pyx`` / ``_codec_py.py``) turns bytes into events and
events into bytes; ``deflate`` is permessage-deflate; ``http1`` holds the
HTTP/1.1 a handshake needs (limits, refusals) and ``handshake``, the live
twin of ``_handshake_c.pyx`` / ``_handshake_py.py``, the opening handshake;
``origins`` the ``Origin`` check. No sockets and no
asyncio here: ``fastws.protocol`` is the I/O adapter.
"""
