"""``fastws.broadcast``: the hub, its delivery to connections, and the Redis backend."""
