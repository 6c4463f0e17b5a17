"""The devices of the demo, one Family each: what to start, which flows to drive, what must
be live. A family plugs in by adding (or correcting) its entry here and its section in
demo/dashboard.yaml; nothing else in the demo needs to change.

A family whose modules (`requires`) are not on this branch yet is skipped with a notice.
Once they are, everything it declares must work: its probes must pass, its processes must keep
running, its flows must end in an entry and its `live` entities must show states, or the demo
(and `--check`) fails naming it.

Placeholders ($mqtt_port, $modbus_port, $state, ...) are listed in settings.Settings.values.
The agent config files under demo/agents/ are templates rendered into .demo/run/.
"""

from __future__ import annotations

from .spec import Action, Family, Flow, Process

# Always: the MQTT integration, set up through its own config flow like a user would.
MQTT_FLOW = Flow(
    handler="mqtt",
    title="$mqtt_host",
    answers={
        "broker": {
            "broker": "$mqtt_host",
            "port": "$mqtt_port",
            "protocol": "$mqtt_protocol",
            # plain TCP on loopback: no client certificate, no broker certificate to verify
            "other_settings": {"set_client_cert": False, "set_ca_cert": "off"},
        }
    },
)


def _agent(name: str, template: str) -> tuple[Process, tuple[str, ...]]:
    """An edge agent run from a config template: its process and its config check."""
    config = f"$run/agents/{name}.yaml"
    return (
        Process(
            name=name,
            argv=("edge-agent", "run", "--config", config),
            files=((template, config),),
        ),
        ("edge-agent", "check-config", "--config", config),
    )


# a SunSpec inverter whose day starts at 9:00 and runs 12 times faster than the clock (a day in
# two hours: power rises, peaks at noon, falls; at night it sleeps and its entities go
# unavailable until the morning)
_INVERTER_SIM = Process(
    name="inverter-sim",
    argv=(
        "edge-agent", "simulate", "inverter",
        "--profile", "sunspec", "--host", "$host", "--port", "$modbus_port", "--unit", "1",
        "--start", "09:00", "--speed", "12",
    ),
    wait_port="modbus_port",
)  # fmt: skip

_TRACK, _TRACK_CHECK = _agent("track", "demo/agents/track.yaml")
_REACTOR_1, _REACTOR_1_CHECK = _agent("reactor-1", "demo/agents/reactor-1.yaml")
_REACTOR_2, _REACTOR_2_CHECK = _agent("reactor-2", "demo/agents/reactor-2.yaml")
_TABLE, _TABLE_CHECK = _agent("table", "demo/agents/table.yaml")


def _agent_flow(agent_id: str, title: str) -> Flow:
    """An edge agent found by MQTT discovery (its retained announce) and confirmed."""
    return Flow(
        handler="edge_hub",
        discovery="mqtt",
        unique_id=agent_id,
        title=title,
        answers={"mqtt_confirm": {}},
    )


def _goal_flow(address: str, side: str, team: str) -> Flow:
    """A goal sensor heard through the table agent's Bluetooth scanner, discovered by HA's
    Bluetooth stack; the beacons of the demo are unencrypted (no goal_key step)."""
    return Flow(
        handler="edge_hub",
        discovery="bluetooth",
        unique_id=address,
        title=team,
        answers={"goal_side": {"side": side, "team": team}},
    )


FAMILIES: tuple[Family, ...] = (
    Family(
        name="inverter",
        summary="a simulated SunSpec solar inverter over Modbus TCP",
        requires=("edge_agent.commands.simulate",),
        processes=(_INVERTER_SIM,),
        flows=(
            Flow(
                handler="edge_hub",
                # named by what the probe identified; once it exists the flow is not driven
                # again: the probe would find the inverter busy with the entry's own connection
                title="Edge Hub Sim SunSpec 103",
                answers={
                    "user": {"next_step_id": "inverter"},
                    "inverter": {"host": "$host", "port": "$modbus_port", "unit_id": 1},
                },
            ),
        ),
        # the device is named after what the probe identified: "Edge Hub Sim SunSpec 103"
        live=(
            "sensor.edge_hub_sim_sunspec_103_ac_power",
            "sensor.edge_hub_sim_sunspec_103_pv_power",
            "sensor.edge_hub_sim_sunspec_103_energy_today",
            "sensor.edge_hub_sim_sunspec_103_lifetime_energy",
        ),
    ),
    Family(
        name="laps",
        summary="a simulated 4-car slot-car track racing (an edge agent with the laps feature)",
        requires=(
            "edge_agent.commands.run",
            "edge_agent.features.laps",
            "custom_components.edge_hub.laps",
        ),
        processes=(_TRACK,),
        probes=(_TRACK_CHECK,),
        flows=(_agent_flow("track", "Slot-car track"),),
        # a race to watch: 100 laps (the simulated cars lap in 1.5-3 s), after a countdown
        actions=(Action("edge_hub", "start_race", {"mode": "laps", "laps": 100, "countdown": 5}),),
        live=(
            "sensor.slot_car_track_race_status",
            "sensor.car_1_laps",
            "sensor.car_2_laps",
            "sensor.car_3_laps",
            "sensor.car_4_laps",
        ),
    ),
    Family(
        name="reactor",
        summary="two simulated bioreactor boards (edge agents with the reactor feature)",
        requires=(
            "edge_agent.commands.run",
            "edge_agent.features.reactor",
            "custom_components.edge_hub.reactor",
        ),
        processes=(_REACTOR_1, _REACTOR_2),
        probes=(_REACTOR_1_CHECK, _REACTOR_2_CHECK),
        flows=(_agent_flow("reactor-1", "Reactor 1"), _agent_flow("reactor-2", "Reactor 2")),
        live=(
            "sensor.reactor_1_ph",
            "sensor.reactor_1_temperature",
            "sensor.reactor_2_ph",
            "sensor.reactor_2_temperature",
        ),
    ),
    Family(
        name="goal",
        summary=(
            "a foosball table: an edge agent forwarding two goal sensors' beacons to HA's "
            "Bluetooth stack, the sensors paired into a table keeping the score"
        ),
        requires=(
            "edge_agent.commands.run",
            "edge_agent.features.ble",
            "custom_components.edge_hub.goal.scanner",
            "custom_components.edge_hub.goal.table",
        ),
        processes=(_TABLE,),
        probes=(_TABLE_CHECK,),
        flows=(
            _agent_flow("table", "Foosball table"),
            _goal_flow("D8:3A:DD:00:0A:01", "home", "Blue"),
            _goal_flow("D8:3A:DD:00:0A:02", "away", "Red"),
            # the table entry, from the menu: its form's defaults pick the sensors by side
            Flow(
                handler="edge_hub",
                title="Foosball",
                answers={
                    "user": {"next_step_id": "table"},
                    "table": {"name": "Foosball", "goals_to_win": 10},
                },
            ),
        ),
        actions=(Action("button", "press", {"entity_id": "button.foosball_start_game"}),),
        live=(
            "sensor.blue_goals",
            "sensor.red_goals",
            "sensor.foosball_home_score",
            "sensor.foosball_away_score",
            "sensor.foosball_game",
        ),
    ),
)
