"""Request parsers, one per wire protocol (see overcast.protocol.registry)."""
