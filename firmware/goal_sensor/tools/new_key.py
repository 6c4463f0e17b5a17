#!/usr/bin/env python3
"""Print a new random device key for a goal sensor (32 hex characters).

Flash it with GOAL_DEVICE_KEY=<key> pio run -e esp32c3 -t upload, and enter the same key when
Home Assistant asks for it while adding the sensor. Keep it secret: anyone with the key can
forge goals for that sensor.
"""

import secrets

if __name__ == "__main__":
    key = secrets.token_hex(16)
    print(key)
    print(f"flash with:  GOAL_DEVICE_KEY={key} pio run -e esp32c3 -t upload")
