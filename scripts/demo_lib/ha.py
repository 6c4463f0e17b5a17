"""A small client for the parts of Home Assistant's HTTP and WebSocket APIs the demo drives:
onboarding, login, config flows, config entries, states. Only what the frontend itself uses."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
from http import HTTPStatus
import itertools
import time
from typing import Any

import aiohttp


class HAError(Exception):
    """Home Assistant answered something the demo did not expect."""


class HomeAssistant:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.client_id = f"{url}/"  # the frontend's own client id: a URL on the same host
        self.token: str | None = None
        self._ids = itertools.count(1)

    # --- plain HTTP ---
    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        ok: tuple[int, ...] = (200,),
        data: Mapping[str, str] | None = None,
    ) -> Any:
        async with self.session.request(
            method, f"{self.url}{path}", json=json, data=data, headers=self._headers
        ) as resp:
            text = await resp.text()
            if resp.status not in ok:
                raise HAError(f"{method} {path}: HTTP {resp.status}: {text[:500]}")
            if resp.content_type == "application/json":
                return await resp.json()
            return text

    async def wait_http(self, timeout: float) -> None:
        """Until HA's HTTP server answers (early in its start-up)."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(f"{self.url}/manifest.json") as resp:
                    if resp.status == HTTPStatus.OK:
                        return
            if time.monotonic() > deadline:
                raise HAError(f"Home Assistant did not answer on {self.url} in {timeout:.0f} s")
            await asyncio.sleep(0.5)

    async def wait_running(self, timeout: float) -> dict[str, Any]:
        """Until HA reports it has finished starting (state RUNNING); returns /api/config."""
        deadline = time.monotonic() + timeout
        while True:
            config: dict[str, Any] = await self.request("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return config
            if time.monotonic() > deadline:
                raise HAError(f"Home Assistant still {config.get('state')} after {timeout:.0f} s")
            await asyncio.sleep(0.5)

    # --- onboarding and login ---
    async def onboarding_steps(self) -> dict[str, bool] | None:
        """{step: done} while onboarding is under way, None once HA is onboarded."""
        async with self.session.get(f"{self.url}/api/onboarding") as resp:
            if resp.status == HTTPStatus.NOT_FOUND:
                return None  # the onboarding views are only there while it is not done
            if resp.status != HTTPStatus.OK:
                raise HAError(f"GET /api/onboarding: HTTP {resp.status}")
            steps = await resp.json()
        return {s["step"]: s["done"] for s in steps}

    async def onboard_user(self, name: str, username: str, password: str) -> None:
        """Onboarding's first step: the owner account; logs in as it."""
        result = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        await self._token_from_code(result["auth_code"])

    async def onboard_step(self, step: str) -> None:
        """Finish one of the later onboarding steps (needs the owner's token)."""
        body = None
        if step == "integration":
            body = {
                "client_id": self.client_id,
                "redirect_uri": f"{self.client_id}?auth_callback=1",
            }
        await self.request("POST", f"/api/onboarding/{step}", body)

    async def login(self, username: str, password: str) -> None:
        """Log in with HA's username/password provider, as the login page does."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise HAError(f"login as {username!r} failed: {result.get('errors') or result}")
        await self._token_from_code(result["result"])

    async def _token_from_code(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.token = tokens["access_token"]

    # --- config flows and entries (REST, as the frontend) ---
    async def flow_start(self, handler: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": handler, "show_advanced_options": False},
        )
        return result

    async def flow_get(self, flow_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "GET", f"/api/config/config_entries/flow/{flow_id}"
        )
        return result

    async def flow_answer(self, flow_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", dict(data)
        )
        return result

    async def flow_abort(self, flow_id: str) -> None:
        await self.request("DELETE", f"/api/config/config_entries/flow/{flow_id}")

    async def entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        query = f"?domain={domain}" if domain else ""
        result: list[dict[str, Any]] = await self.request(
            "GET", f"/api/config/config_entries/entry{query}"
        )
        return result

    async def diagnostics(self, entry_id: str) -> dict[str, Any]:
        """An entry's diagnostics (what Settings → Devices & services lets a user download)."""
        result: dict[str, Any] = await self.request(
            "GET", f"/api/diagnostics/config_entry/{entry_id}"
        )
        return result

    async def call_service(self, domain: str, service: str, data: Mapping[str, Any]) -> None:
        await self.request("POST", f"/api/services/{domain}/{service}", dict(data))

    async def states(self) -> dict[str, dict[str, Any]]:
        result: list[dict[str, Any]] = await self.request("GET", "/api/states")
        return {s["entity_id"]: s for s in result}

    async def render_template(self, template: str) -> str:
        """HA's rendering of `template` (HAError with HA's message if it does not render)."""
        text: str = await self.request("POST", "/api/template", {"template": template})
        return text

    # --- WebSocket: what REST does not offer (flows started by discovery) ---
    async def ws_call(self, msg_type: str, **fields: Any) -> Any:
        """One WebSocket command on a fresh connection (the demo needs only a few)."""
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            hello = await ws.receive_json()
            if hello.get("type") != "auth_required":
                raise HAError(f"unexpected WebSocket greeting: {hello}")
            await ws.send_json({"type": "auth", "access_token": self.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                raise HAError(f"WebSocket authentication failed: {auth}")
            msg_id = next(self._ids)
            await ws.send_json({"id": msg_id, "type": msg_type, **fields})
            while True:
                reply = await ws.receive_json()
                if reply.get("id") == msg_id and reply.get("type") == "result":
                    if not reply.get("success"):
                        raise HAError(f"{msg_type}: {reply.get('error')}")
                    return reply.get("result")

    async def discovery_flows(self) -> list[dict[str, Any]]:
        """Flows in progress that HA started itself (the "Discovered" cards of the UI)."""
        result: list[dict[str, Any]] = await self.ws_call("config_entries/flow/progress")
        return result
