"""Drives config flows through HA's API the way a person clicks through them in the UI."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from .ha import HAError, HomeAssistant
from .settings import Settings
from .spec import Flow

# aborts that mean "this is already set up": a second run drives the same flows again
DONE_ABORTS = frozenset({"already_configured", "single_instance_allowed"})


class FlowError(Exception):
    """A flow ended in a way the demo does not accept."""


def _describe(flow: Flow) -> str:
    what = f"{flow.handler} flow"
    if flow.discovery:
        what = f"{flow.handler} {flow.discovery} discovery of {flow.unique_id}"
    return f"{what} ({flow.title})" if flow.title else what


async def drive(ha: HomeAssistant, flow: Flow, settings: Settings, timeout: float) -> str:
    """Run `flow` to its end; returns what happened ("created", "already set up", ...)."""
    title = settings.render(flow.title)
    if title and await _entry_titled(ha, flow.handler, title):
        return "already set up"
    if flow.discovery:
        result = await _wait_for_discovery(ha, flow, title, timeout)
    else:
        result = await ha.flow_start(flow.handler)
    return await _answer_until_done(ha, flow, settings, result, timeout)


async def _entry_titled(ha: HomeAssistant, domain: str, title: str) -> bool:
    return any(e["title"] == title for e in await ha.entries(domain))


async def _wait_for_discovery(
    ha: HomeAssistant, flow: Flow, title: str, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for progress in await ha.discovery_flows():
            context = progress.get("context", {})
            if (
                progress.get("handler") == flow.handler
                and context.get("source") == flow.discovery
                and context.get("unique_id") == flow.unique_id
            ):
                return await ha.flow_get(progress["flow_id"])
        if title and await _entry_titled(ha, flow.handler, title):
            # set up meanwhile (e.g. a flow HA finished on its own)
            return {"type": "abort", "reason": "already_configured"}
        if time.monotonic() > deadline:
            raise FlowError(
                f"HA started no {_describe(flow)} within {timeout:.0f} s "
                "(is the device running and announcing itself? see .demo/logs/)"
            )
        await asyncio.sleep(1)


async def _answer_until_done(
    ha: HomeAssistant, flow: Flow, settings: Settings, result: dict[str, Any], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        kind = result.get("type")
        if kind == "create_entry":
            return f"created {result.get('title')!r}"
        if kind == "abort":
            if result.get("reason") in DONE_ABORTS:
                return "already set up"
            raise FlowError(f"{_describe(flow)} aborted: {result.get('reason')}")
        if kind == "progress":  # the flow works in the background: poll it like the UI does
            if time.monotonic() > deadline:
                raise FlowError(f"{_describe(flow)} still in progress after {timeout:.0f} s")
            await asyncio.sleep(1)
            result = await ha.flow_get(result["flow_id"])
            continue
        if kind not in ("form", "menu"):
            raise FlowError(f"{_describe(flow)}: unexpected result {result}")
        step = result["step_id"]
        if result.get("errors"):
            raise FlowError(f"{_describe(flow)}: step {step!r} shows errors {result['errors']}")
        if step not in flow.answers:
            await _abort_quietly(ha, result["flow_id"])
            raise FlowError(f"{_describe(flow)} asks step {step!r}, which the demo does not answer")
        answer = settings.render_value(flow.answers[step])
        if kind == "form":
            answer = _with_defaults(result.get("data_schema") or [], answer)
        if kind == "menu" and answer.get("next_step_id") not in result.get("menu_options", []):
            await _abort_quietly(ha, result["flow_id"])
            raise FlowError(
                f"{_describe(flow)}: menu {step!r} offers {result.get('menu_options')}, "
                f"not {answer.get('next_step_id')!r}"
            )
        result = await ha.flow_answer(result["flow_id"], answer)


def _with_defaults(schema: list[dict[str, Any]], answer: dict[str, Any]) -> dict[str, Any]:
    """What the UI sends for this form: the answer's values over the form's defaults and
    suggested values (nested sections too), and only the fields the form has - an answer may
    name a field that another HA version's form lacks (MQTT's other_settings in 2026.2)."""
    filled: dict[str, Any] = {}
    for field in schema:
        name = field.get("name")
        if name is None:
            continue
        if field.get("type") == "expandable":  # a section: a nested form
            given = answer.get(name) or {}
            filled[name] = _with_defaults(field.get("schema") or [], dict(given))
        elif name in answer:
            filled[name] = answer[name]
        elif field.get("default") is not None:
            filled[name] = field["default"]
        elif (field.get("description") or {}).get("suggested_value") is not None:
            filled[name] = field["description"]["suggested_value"]
    return filled


async def _abort_quietly(ha: HomeAssistant, flow_id: str) -> None:
    with contextlib.suppress(HAError):
        await ha.flow_abort(flow_id)


async def menu_options(ha: HomeAssistant, handler: str) -> list[str]:
    """The options of a handler's first step (a menu), without creating anything."""
    result = await ha.flow_start(handler)
    try:
        if result.get("type") != "menu":
            raise FlowError(f"{handler}'s first step is a {result.get('type')}, not a menu")
        return list(result.get("menu_options", []))
    finally:
        if result.get("flow_id") and result.get("type") in ("menu", "form"):
            await _abort_quietly(ha, result["flow_id"])
