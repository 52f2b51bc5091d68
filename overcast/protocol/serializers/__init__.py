"""Response serializers, one per wire protocol (see overcast.protocol.registry)."""
