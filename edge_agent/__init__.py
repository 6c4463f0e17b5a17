"""Edge Hub agent: local hardware to Home Assistant over MQTT, with a durable outbox."""

__version__ = "0.1.0"
