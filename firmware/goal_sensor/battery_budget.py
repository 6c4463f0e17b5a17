#!/usr/bin/env python3
"""Battery budget of the goal sensor on 2xAA: how long it lasts, from cited current figures.

Pure Python (no dependencies), so the README's table and the benchmark (bench/bench_goals.py)
compute from the very same figures. Run it to print the table:

    python3 firmware/goal_sensor/battery_budget.py

Every figure carries its source; "[est]" marks an estimate of ours. Currents of the board and
the trigger are at the 3.3 V rail; the boost converter turns them into battery current.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Board:
    name: str
    sleep_ua: float  # deep sleep of the whole board at 3.3 V, trigger excluded
    awake_ma: float  # average while booting and advertising (CPU on, radio bursts)
    boot_s: float  # wake-up to first advertisement
    source: str


@dataclass(frozen=True)
class Trigger:
    name: str
    average_ua: float  # what the goal detector itself draws, on average
    needs: str  # what it needs from the board
    source: str


@dataclass(frozen=True)
class Battery:
    name: str
    capacity_mah: float  # rated capacity of one cell (2 in series: same mAh, double volts)
    average_v: float  # average voltage of the pack over the discharge
    boost_efficiency: float  # battery power in -> 3.3 V power out, at these light loads
    boost_iq_ua: float  # converter quiescent current, at its 3.3 V output
    self_discharge_per_year: float  # fraction of the capacity lost on the shelf per year
    source: str


@dataclass(frozen=True)
class Usage:
    goals_per_day: float
    heartbeats_per_day: float = 48.0  # every 30 minutes (the default heartbeat)
    goal_advertise_s: float = 1.0  # until HA's ack arrives (3.0 without a connectable path)
    heartbeat_advertise_s: float = 1.0  # heartbeats also want an ack (time sync, settings)


RAIL_V = 3.3

BOARDS: dict[str, Board] = {
    "esp32c3_custom": Board(
        "ESP32-C3 module on a low-Iq board (no USB-UART, no LDO, no LED)",
        sleep_ua=7.0,
        awake_ma=30.0,
        boot_s=0.25,
        source=(
            "sleep: 7 µA measured on a bare ESP32-C3 board incl. a 2 MΩ battery divider "
            "(blog.sarine.nl/2022/12/12/esp32-c3.html; datasheet chip figure 5 µA); awake: "
            "4 s deep sleep + 100 ms advertising averaged 2.5 mA, i.e. ≈30 mA while awake for "
            "~0.3 s (esp32.com viewtopic.php?t=46435), CPU loop alone 20-27 mA "
            "(robdobson.com 2023, ESP32-C3 power); boot: ~200 ms from deep sleep "
            "(esp32.com t=46435) + NimBLE start ~50 ms [est]"
        ),
    ),
    "xiao_esp32c3": Board(
        "Seeed XIAO ESP32C3 (battery pads)",
        sleep_ua=45.0,
        awake_ma=30.0,
        boot_s=0.25,
        source=(
            "sleep: ~45 µA on the battery pads, the XC6210 LDO dominates (Seeed forum "
            "t/276444, t/284207); awake and boot as the C3 module"
        ),
    ),
    "esp32_custom": Board(
        "classic ESP32 module on a low-Iq board",
        sleep_ua=12.0,
        awake_ma=45.0,
        boot_s=0.32,
        source=(
            "sleep: 10 µA deep sleep with RTC timer and memory (Espressif ESP32 datasheet, "
            "power consumption by power modes) + 1.5 µA divider; awake: modem-sleep 80 MHz "
            "20-31 mA (ESP32 datasheet) plus BLE TX bursts, ≈45 mA [est]; boot: ~270 ms "
            "Arduino start-up from deep sleep (TvE, 2018) + NimBLE ~50 ms [est]"
        ),
    ),
    "esp32_devkitc": Board(
        "classic ESP32 DevKitC (USB-UART, AMS1117 LDO, power LED removed)",
        sleep_ua=1700.0,
        awake_ma=50.0,
        boot_s=0.32,
        source="sleep: 1.7 mA measured after removing the LED (OpenMQTTGateway docs) ",
    ),
}

TRIGGERS: dict[str, Trigger] = {
    "microswitch": Trigger(
        "microswitch or flap in the ball return (normally open, 1 MΩ pull-up)",
        average_ua=0.0,
        needs="GPIO deep-sleep wake (C3: GPIO0-5; ESP32: ext0/ext1)",
        source="no current while open; 3.3 µA through the pull-up only while pressed [est]",
    ),
    "piezo": Trigger(
        "piezo disc on the goal back (clamped into the wake pin)",
        average_ua=0.0,
        needs="GPIO deep-sleep wake; a clamp (zener or series resistor) [est]",
        source="a piezo element generates its own pulse: no supply current [est]",
    ),
    "pulsed_beam": Trigger(
        "IR beam pulsed 20 µs at 1 kHz (a 35 mm ball at 15 m/s blocks it for ~2.3 ms)",
        average_ua=450.0,
        needs="a ULP (ESP32-S3/C6) or an external timer: the C3 has no ULP",
        source=(
            "20 mA x 2% duty = 0.4 mA + receiver/timer ~50 µA [est] "
            "(sizing from shot speed; edge_firmware research notes)"
        ),
    ),
    "ir_beam": Trigger(
        "always-on IR break beam (LED + LM393 receiver module)",
        average_ua=15000.0,
        needs="nothing: it simply never sleeps",
        source=(
            "10-20 mA: LM393 IR modules draw ~5 mA + ~15 mA for the IR LED (yl105 module "
            "notes), 20 mA @ 5 V (All Electronics ST-1140)"
        ),
    ),
}

BATTERY = Battery(
    "2 x AA alkaline through a low-Iq boost converter to 3.3 V",
    capacity_mah=2500.0,
    average_v=2.5,
    boost_efficiency=0.85,
    boost_iq_ua=5.7,
    self_discharge_per_year=0.03,
    source=(
        "capacity: ~2,900 mAh at 50 mA for a Duracell Procell AA (rightbattery.com), taken as "
        "2,500 mAh for the end voltage of ~0.9-1.0 V per cell [est]; boost: TPS61291, 0.9-5 V "
        "in, 5.7 µA quiescent in boost mode, 15 nA in bypass (TI datasheet SLVSBX9A); "
        "efficiency 85% [est]; self-discharge ~3%/year [est] (Energizer alkaline handbook: "
        "shelf life)"
    ),
)

RECOMMENDED_BOARD = "esp32c3_custom"
RECOMMENDED_TRIGGER = "microswitch"


def _battery_ma(rail_ma: float, battery: Battery) -> float:
    """Battery current for a load at the 3.3 V rail."""
    return rail_ma * RAIL_V / (battery.average_v * battery.boost_efficiency)


def daily_mah(
    board: Board, trigger: Trigger, usage: Usage, battery: Battery = BATTERY
) -> dict[str, float]:
    """Charge taken from the battery per day, by item (mAh/day)."""
    sleep_rail_ma = (board.sleep_ua + trigger.average_ua + battery.boost_iq_ua) / 1000
    goal_mas = usage.goals_per_day * (board.boot_s + usage.goal_advertise_s) * board.awake_ma
    heartbeat_mas = (
        usage.heartbeats_per_day * (board.boot_s + usage.heartbeat_advertise_s) * board.awake_ma
    )
    items = {
        "sleep_and_trigger": _battery_ma(sleep_rail_ma, battery) * HOURS_PER_DAY,
        "goals": _battery_ma(goal_mas / 3600, battery),
        "heartbeats": _battery_ma(heartbeat_mas / 3600, battery),
        "self_discharge": battery.capacity_mah * battery.self_discharge_per_year / DAYS_PER_YEAR,
    }
    items["total"] = sum(items.values())
    return items


def life_days(board: Board, trigger: Trigger, usage: Usage, battery: Battery = BATTERY) -> float:
    return battery.capacity_mah / daily_mah(board, trigger, usage, battery)["total"]


def life_years(board: Board, trigger: Trigger, usage: Usage, battery: Battery = BATTERY) -> float:
    return life_days(board, trigger, usage, battery) / DAYS_PER_YEAR


def recommended_life_years(goals_per_day: float = 50, *, acked: bool = True) -> float:
    """2xAA at `goals_per_day` with the recommended board and trigger (the bench's figure)."""
    advertise = 1.0 if acked else 3.0
    usage = Usage(goals_per_day, goal_advertise_s=advertise, heartbeat_advertise_s=advertise)
    return life_years(BOARDS[RECOMMENDED_BOARD], TRIGGERS[RECOMMENDED_TRIGGER], usage)


def _human(days: float) -> str:
    if days < 60:
        return f"{days:.0f} days"
    if days < 2 * DAYS_PER_YEAR:
        return f"{days / 30.4:.0f} months"
    return f"{days / DAYS_PER_YEAR:.1f} years"


def table() -> str:
    """The README's table: expected life on 2xAA, 50 and 200 goals a day."""
    lines = [
        "| board | trigger | ack | 50 goals/day | 200 goals/day |",
        "|---|---|---|---|---|",
    ]
    rows = [
        (RECOMMENDED_BOARD, "microswitch", True),
        (RECOMMENDED_BOARD, "microswitch", False),
        (RECOMMENDED_BOARD, "piezo", True),
        (RECOMMENDED_BOARD, "pulsed_beam", True),
        (RECOMMENDED_BOARD, "ir_beam", True),
        ("xiao_esp32c3", "microswitch", True),
        ("esp32_custom", "microswitch", True),
        ("esp32_devkitc", "microswitch", True),
    ]
    for board_key, trigger_key, acked in rows:
        board, trigger = BOARDS[board_key], TRIGGERS[trigger_key]
        advertise = 1.0 if acked else 3.0
        cells = []
        for goals in (50, 200):
            usage = Usage(goals, goal_advertise_s=advertise, heartbeat_advertise_s=advertise)
            cells.append(_human(life_days(board, trigger, usage)))
        ack = "acked in ~1 s" if acked else "none (3 s)"
        lines.append(f"| {board_key} | {trigger_key} | {ack} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def breakdown(goals_per_day: float = 50) -> str:
    items = daily_mah(
        BOARDS[RECOMMENDED_BOARD], TRIGGERS[RECOMMENDED_TRIGGER], Usage(goals_per_day)
    )
    return "\n".join(f"  {name:18} {value:7.3f} mAh/day" for name, value in items.items())


if __name__ == "__main__":
    print(table())
    print()
    print(f"recommended ({RECOMMENDED_BOARD} + {RECOMMENDED_TRIGGER}), 50 goals/day:")
    print(breakdown(50))
    print(f"  life: {recommended_life_years(50):.2f} years")
