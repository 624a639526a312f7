"""``fastws.wire``: the RFC 6455 codec twins, permessage-deflate, the opening handshake."""
