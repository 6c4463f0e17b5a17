"""A screenshot of a dashboard through the Chrome DevTools Protocol, from the headless Chromium
that ./scripts/demo started on the host (the two share the loopback network).

The page is taken only once the dashboard has rendered: the frontend logged in (trusted
network, no login page), the view's cards are there and no longer changing, and graphs drew.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from typing import Any

import aiohttp

# walks the frontend's shadow DOM; returns what the dashboard shows right now
_PROBE = """
(() => {
  const seen = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      seen.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const named = (n) => seen.filter((e) => e.localName === n);
  const view = named('hui-sections-view')[0] || named('hui-masonry-view')[0];
  return {
    path: location.pathname,
    cards: named('ha-card').length,
    warnings: named('hui-warning').map((e) => e.textContent.trim()).slice(0, 20),
    loading: named('hass-loading-screen').length + named('ha-spinner').length,
    charts: named('ha-chart-base').length,
    height: view ? Math.ceil(view.getBoundingClientRect().bottom) + 24 : 0,
  };
})()
"""


class ScreenshotError(Exception):
    pass


class _Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        await self.ws.send_json({"id": msg_id, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json()
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise ScreenshotError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result

    async def probe(self) -> dict[str, Any]:
        """What the page shows; {} while it is between two documents (the login redirects)."""
        try:
            reply = await self.call("Runtime.evaluate", expression=_PROBE, returnByValue=True)
        except ScreenshotError as err:
            if "navigated or closed" in str(err) or "context" in str(err):
                return {}
            raise
        value: dict[str, Any] = reply.get("result", {}).get("value") or {}
        return value


async def capture(
    cdp_port: int, url: str, *, width: int = 1280, timeout: float = 90.0
) -> tuple[bytes, dict[str, Any]]:
    """(PNG bytes, what the dashboard showed) of `url` once it has rendered."""
    base = f"http://127.0.0.1:{cdp_port}"
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 30
        while True:
            try:
                async with session.get(f"{base}/json/version") as resp:
                    await resp.json()
                break
            except (aiohttp.ClientError, TimeoutError):
                if time.monotonic() > deadline:
                    raise ScreenshotError(f"no Chromium DevTools on {base}") from None
                await asyncio.sleep(0.5)
        async with session.put(f"{base}/json/new?about:blank") as resp:
            target = await resp.json()
        try:
            async with session.ws_connect(
                target["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024
            ) as ws:
                page = _Page(ws)
                await page.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=900,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await page.call("Page.enable")
                await page.call("Page.navigate", url=url)
                shown = await _wait_rendered(page, url, timeout)
                height = max(900, min(int(shown.get("height") or 0), 6000))
                await page.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await asyncio.sleep(3)  # re-layout, and let graphs redraw at the new size
                shot = await page.call("Page.captureScreenshot", format="png")
                shown = await page.probe()
        finally:
            async with session.get(f"{base}/json/close/{target['id']}") as resp:
                await resp.read()
    png = base64.b64decode(shot["data"])
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ScreenshotError("Chromium returned something that is not a PNG")
    return png, shown


async def _wait_rendered(page: _Page, url: str, timeout: float) -> dict[str, Any]:
    """Until the dashboard's cards are there and have not changed for a few seconds."""
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    deadline = time.monotonic() + timeout
    last: tuple[Any, ...] | None = None
    stable_since = time.monotonic()
    shown: dict[str, Any] = {}
    while time.monotonic() < deadline:
        shown = await page.probe()
        ready = shown.get("path") == path and shown.get("cards", 0) > 0 and not shown.get("loading")
        key = (shown.get("path"), shown.get("cards"), shown.get("charts"), shown.get("loading"))
        if key != last:
            last, stable_since = key, time.monotonic()
        elif ready and time.monotonic() - stable_since >= 4:
            return shown
        await asyncio.sleep(0.5)
    raise ScreenshotError(f"the dashboard did not render within {timeout:.0f} s (saw {shown})")
