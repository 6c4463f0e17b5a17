"""The demo's orchestrator: `./scripts/demo` runs it inside the demo's Home Assistant environment.

It writes the HA config folder (`.demo/`), starts the MQTT broker, the families' simulators
and agents, and `hass`; completes onboarding and drives the config flows through HA's HTTP and
WebSocket APIs exactly as the UI would; then waits (or, with --check, asserts and takes a
screenshot through a headless Chromium that `./scripts/demo` started) and stops everything.

A device family plugs in by adding one `Family` to `families.py` (processes to start, flows to
drive, entities that must be live) and a section to `demo/dashboard.yaml`.
"""
