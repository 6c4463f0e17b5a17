"""Commands to an agent and their replies (docs/protocol.md §1.8)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from ..const import DOMAIN
from ..edge_hub_core import protocol

REPLY_TIMEOUT = 10.0


class CommandChannel:
    """Sends commands and matches replies to them by id."""

    def __init__(
        self,
        hass: HomeAssistant,
        agent_id: str,
        publish: Callable[[str, bytes], Awaitable[None]],
        is_online: Callable[[], bool],
    ) -> None:
        self._hass = hass
        self._agent_id = agent_id
        self._publish = publish
        self._is_online = is_online
        self._pending: dict[str, asyncio.Future[protocol.Reply]] = {}

    async def async_send(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """The result of `cmd`; HomeAssistantError (translated) on error or timeout."""
        placeholders = {"agent_id": self._agent_id, "command": cmd}
        if not self._is_online():
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="agent_offline",
                translation_placeholders=placeholders,
            )
        cid = uuid.uuid4().hex[:16]
        future: asyncio.Future[protocol.Reply] = self._hass.loop.create_future()
        self._pending[cid] = future
        message = {"v": protocol.SCHEMA_VERSION, "id": cid, "cmd": cmd, "args": dict(args)}
        try:
            await self._publish(protocol.topic(self._agent_id, protocol.CMD), _encode(message))
            async with asyncio.timeout(REPLY_TIMEOUT):
                reply = await future
        except TimeoutError:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_timeout",
                translation_placeholders=placeholders,
            ) from None
        finally:
            self._pending.pop(cid, None)
        if not reply.ok:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={
                    **placeholders,
                    "code": reply.error_code or "unknown",
                    "message": reply.error_message or "",
                },
            )
        return reply.result

    def reply(self, reply: protocol.Reply) -> bool:
        """A reply arrived; False if nobody waits for it (late, or not ours)."""
        future = self._pending.get(reply.id)
        if future is None or future.done():
            return False
        future.set_result(reply)
        return True

    def cancel_all(self) -> None:
        """The entry unloads: whoever still waits gets an error, not a hang."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(
                    HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key="agent_offline",
                        translation_placeholders={"agent_id": self._agent_id, "command": "?"},
                    )
                )
                future.exception()  # its waiter may be gone (cancelled): no "never retrieved"
        self._pending.clear()


def _encode(message: Mapping[str, Any]) -> bytes:
    try:
        return protocol.encode_payload(message)
    except (TypeError, ValueError) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_invalid",
            translation_placeholders={"error": str(err)},
        ) from err
