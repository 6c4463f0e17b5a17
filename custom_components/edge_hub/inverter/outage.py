"""A repair issue for an inverter that has stayed unreachable far longer than a night.

edge_hub_core.inverter_outage decides when (24 h outside its learned night, 48 h in all);
this keeps its state in a Store, so an inverter that is already dead when Home Assistant
starts - its entry then only retries its set-up, no coordinator runs - still gets its
issue, and raises or clears the issue.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..edge_hub_core.inverter_outage import OutageTracker
from ..models import EdgeHubConfigEntry

STORE_VERSION = 1
ISSUE_KEY = "inverter_unreachable_long"


def issue_id(entry_id: str) -> str:
    """The repair issue of an entry."""
    return f"{ISSUE_KEY}_{entry_id}"


class OutageWatch:
    """The outage tracker of one inverter entry, stored, and its repair issue."""

    def __init__(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry, host: str, port: int
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.host = host
        self.port = port
        self.tracker = OutageTracker()
        self.raised = False
        self._store: Store[dict[str, object]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.inverter.{entry.entry_id}"
        )

    async def async_load(self) -> None:
        """Read the state stored before the restart (or the last set-up attempt)."""
        self.tracker = OutageTracker.from_dict(await self._store.async_load())
        issues = ir.async_get(self.hass)
        self.raised = issues.async_get_issue(DOMAIN, issue_id(self.entry.entry_id)) is not None

    async def async_offline(self) -> None:
        """The inverter does not answer (an attempt failed): start or continue an outage."""
        # written at once: transitions come twice a day, and the next set-up attempt
        # (a new watch) must find it
        if self.tracker.went_offline(dt_util.now()):
            await self._store.async_save(self.tracker.as_dict())
        self.check()

    async def async_online(self) -> None:
        """The inverter answered: the outage (and its issue) is over."""
        if self.tracker.came_online(dt_util.now()):
            await self._store.async_save(self.tracker.as_dict())
        if self.raised:
            LOGGER.info("%s answers again: its repair issue is cleared", self.entry.title)
        self.clear()

    def check(self) -> None:
        """Raise the issue if the outage has lasted too long."""
        since = self.tracker.offline_since
        if self.raised or since is None or not self.tracker.overdue(dt_util.now()):
            return
        self.raised = True
        LOGGER.warning(
            "%s at %s:%s has not answered since %s: raising a repair issue",
            self.entry.title,
            self.host,
            self.port,
            since.isoformat(timespec="minutes"),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(self.entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_KEY,
            translation_placeholders={
                "name": self.entry.title,
                "host": self.host,
                "port": str(self.port),
                "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
            },
        )

    def clear(self) -> None:
        """Remove the issue (the inverter answers, or its entry is unloaded)."""
        self.raised = False
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(self.entry.entry_id))
