"""Simulated parts for the simulated I2C bus: each answers as its datasheet says, using the
drivers' own encoders in reverse (a BME280's raw counts come from inverting its compensation),
so a driver read through the simulator runs every line a hardware read does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import struct

from edge_agent.drivers import bme280, sensirion

from .i2c import CRC, SimDevice, stretch
from .signals import Fixed, Signal

# --- Atlas Scientific EZO -----------------------------------------------------------------

_EZO_READ_S = {"PH": 0.9, "OR": 0.9, "EC": 0.6, "DO": 0.6, "RTD": 0.6}
_EZO_CAL_S = {"PH": 0.9, "OR": 0.9, "EC": 0.6, "DO": 1.3, "RTD": 0.6}
_EZO_PARAMS = {"EC": ["EC", "TDS", "S", "SG"], "DO": ["MG", "%"]}
_EZO_DEFAULT_OUTPUTS = {"EC": {"EC"}, "DO": {"MG"}}
_EZO_MAX_POINTS = {"PH": 3, "OR": 1, "EC": 2, "DO": 2, "RTD": 1}


class SimEzo(SimDevice):
    """An EZO circuit in I2C mode: answers 254 until its processing time has passed."""

    def __init__(
        self,
        address: int,
        kind: str,
        signals: Mapping[str, Signal] | None = None,
        firmware: str = "2.16",
    ) -> None:
        super().__init__(address)
        self.kind = kind.upper()
        self.title = f"EZO-{self.kind}"
        self.firmware = firmware
        # parameter code ("PH", "EC", "TDS", "MG", "%"...) -> value source
        self.signals: dict[str, Signal] = dict(signals or {self.kind: Fixed(7.0)})
        self.commands: list[str] = []
        self.reset()

    def reset(self) -> None:
        self.outputs = set(_EZO_DEFAULT_OUTPUTS.get(self.kind, ()))
        self.scale = "c"
        self.temperature: float | None = None
        self.cal_points = 0
        self._pending: tuple[int, str] | None = None
        self._ready_at = 0.0

    def on_write(self, data: bytes, now: float) -> None:
        command = data.rstrip(b"\x00").decode("ascii", "replace")
        if not command:
            return  # a scanner's quick write
        self.commands.append(command)
        code, text, wait = self._answer(command, now)
        self._pending = (code, text)
        self._ready_at = now + (wait + self.slow_s) * self.time_scale

    def on_read(self, length: int, now: float) -> bytes:
        if self._pending is None:
            return bytes([255]) + bytes(length - 1)
        if now < self._ready_at:
            return bytes([254]) + bytes(length - 1)
        code, text = self._pending
        self._pending = None
        if self.fault == CRC and text:
            # a corrupted transfer: some characters arrive wrong (EZO frames carry no CRC)
            text = text.replace(".", "#", 1) if "." in text else text[:-1] + "#"
        body = text.encode("ascii")[: length - 2] + b"\x00"
        return bytes([code]) + body + bytes(length - 1 - len(body))

    def _value(self, code: str, now: float) -> float:
        return self.signals[code](now) if code in self.signals else 0.0

    def _answer(self, command: str, now: float) -> tuple[int, str, float]:
        parts = command.split(",")
        head = parts[0].upper()
        if head == "I" and len(parts) == 1:
            return 1, f"?I,{'pH' if self.kind == 'PH' else self.kind},{self.firmware}", 0.3
        if head == "R" and len(parts) == 1:
            return 1, self._reading(now), _EZO_READ_S[self.kind]
        if head == "T" and len(parts) == 2 and self.kind in ("PH", "EC", "DO"):
            if parts[1] == "?":
                return 1, f"?T,{self.temperature or 25.0:.2f}", 0.3
            try:
                self.temperature = float(parts[1])
            except ValueError:
                return 2, "", 0.3
            return 1, "", 0.3
        if head == "O" and self.kind in _EZO_PARAMS:
            return self._output_command(parts)
        if head == "S" and self.kind == "RTD" and len(parts) == 2:
            if parts[1] == "?":
                return 1, f"?S,{self.scale}", 0.3
            if parts[1].lower() in ("c", "k", "f"):
                self.scale = parts[1].lower()
                return 1, "", 0.3
        if head == "CAL":
            return self._calibrate(parts[1:])
        return 2, "", 0.3

    def _reading(self, now: float) -> str:
        if self.kind == "PH":
            return f"{self._value('PH', now):.3f}"
        if self.kind == "OR":
            return f"{self._value('OR', now):.1f}"
        if self.kind == "RTD":
            celsius = self._value("RTD", now)
            value = {"c": celsius, "k": celsius + 273.15, "f": celsius * 9 / 5 + 32}[self.scale]
            return f"{value:.3f}"
        formats = {"EC": "{:.0f}", "TDS": "{:.0f}", "S": "{:.2f}", "SG": "{:.3f}"}
        formats |= {"MG": "{:.2f}", "%": "{:.1f}"}
        codes = [code for code in _EZO_PARAMS[self.kind] if code in self.outputs]
        return ",".join(formats[code].format(self._value(code, now)) for code in codes)

    def _output_command(self, parts: list[str]) -> tuple[int, str, float]:
        if len(parts) == 2 and parts[1] == "?":
            codes = [code for code in _EZO_PARAMS[self.kind] if code in self.outputs]
            return 1, "?O," + ",".join(codes) if codes else "?O,No output", 0.3
        if len(parts) == 3 and parts[1].upper() in _EZO_PARAMS[self.kind] and parts[2] in "01":
            (self.outputs.add if parts[2] == "1" else self.outputs.discard)(parts[1].upper())
            return 1, "", 0.3
        return 2, "", 0.3

    def _calibrate(self, args: list[str]) -> tuple[int, str, float]:
        wait = _EZO_CAL_S[self.kind]
        if args == ["?"]:
            return 1, f"?CAL,{self.cal_points}", 0.3
        if args == ["clear"]:
            self.cal_points = 0
            return 1, "", 0.3
        step: Callable[[], None] = self._add_point
        if self.kind == "PH" and len(args) == 2 and args[0] in ("mid", "low", "high"):
            if not _is_number(args[1]) or not 0 <= float(args[1]) <= 14:
                return 2, "", wait
            if args[0] == "mid":  # the datasheet: a mid point clears the others

                def step() -> None:
                    self.cal_points = 1

        elif self.kind == "EC" and args == ["dry"]:

            def step() -> None:
                self.cal_points = 0

        elif self.kind == "EC" and len(args) == 2 and args[0] in ("low", "high"):
            if not _is_number(args[1]) or float(args[1]) <= 0:
                return 2, "", wait
        elif (self.kind == "DO" and args in ([], ["0"])) or (
            self.kind in ("OR", "RTD", "EC") and len(args) == 1 and _is_number(args[0])
        ):
            pass
        else:
            return 2, "", wait
        step()
        return 1, "", wait

    def _add_point(self) -> None:
        self.cal_points = min(self.cal_points + 1, _EZO_MAX_POINTS[self.kind])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- register-based parts --------------------------------------------------------------------


class _RegisterDevice(SimDevice):
    """A part with an 8-bit register pointer (BME280, ADS1115)."""

    def __init__(self, address: int) -> None:
        super().__init__(address)
        self.pointer = 0

    def on_write(self, data: bytes, now: float) -> None:
        stretch(self)
        if data:
            self.pointer = data[0]
            if len(data) > 1:
                self.write_registers(self.pointer, data[1:], now)

    def on_read(self, length: int, now: float) -> bytes:
        stretch(self)
        return self.read_registers(self.pointer, length, now)

    def write_registers(self, register: int, data: bytes, now: float) -> None: ...

    def read_registers(self, register: int, length: int, now: float) -> bytes:
        return bytes(length)


# typical factory trimming: the datasheet's T and P example (BMP280 datasheet §3.12) and
# humidity values of the kind real BME280s carry
BME280_CALIBRATION = bme280.Calibration(
    t1=27504, t2=26435, t3=-1000,
    p1=36477, p2=-10685, p3=3024, p4=2855, p5=140, p6=-7, p7=15500, p8=-14600, p9=6000,
    h1=75, h2=362, h3=0, h4=333, h5=0, h6=30,
)  # fmt: skip


def _invert(fn: Callable[[int], float], target: float, low: int, high: int) -> int:
    """The raw count whose compensated value is closest to `target` (fn is monotonic)."""
    increasing = fn(high) > fn(low)
    while high - low > 1:
        mid = (low + high) // 2
        if (fn(mid) < target) == increasing:
            low = mid
        else:
            high = mid
    return low if abs(fn(low) - target) <= abs(fn(high) - target) else high


class SimBme280(_RegisterDevice):
    title = "BME280"

    def __init__(
        self,
        address: int = 0x76,
        temperature: Signal | None = None,
        humidity: Signal | None = None,
        pressure_hpa: Signal | None = None,
        calibration: bme280.Calibration = BME280_CALIBRATION,
    ) -> None:
        super().__init__(address)
        self.temperature = temperature or Fixed(25.0)
        self.humidity = humidity or Fixed(50.0)
        self.pressure_hpa = pressure_hpa or Fixed(1013.25)
        self.calibration = calibration
        self.tp, self.h = bme280.encode_calibration(calibration)
        self.reset()

    def reset(self) -> None:
        self.data = bytes([0x80, 0, 0, 0x80, 0, 0, 0x80, 0])  # skipped-measurement pattern
        self.ctrl_hum = 0

    def write_registers(self, register: int, data: bytes, now: float) -> None:
        if register == bme280.CTRL_HUM:
            self.ctrl_hum = data[0]
        elif register == bme280.CTRL_MEAS and data[0] & 0b11 == 0b01 and self.fault != CRC:
            self.data = self._measure(now)

    def _measure(self, now: float) -> bytes:
        cal = self.calibration
        adc_t = _invert(
            lambda a: bme280.compensate_temperature(cal, a)[0], self.temperature(now), 0, 0xFFFFF
        )
        _, t_fine = bme280.compensate_temperature(cal, adc_t)
        adc_p = _invert(
            lambda a: bme280.compensate_pressure(cal, a, t_fine) / 100.0,
            self.pressure_hpa(now),
            0,
            0xFFFFF,
        )
        adc_h = _invert(
            lambda a: bme280.compensate_humidity(cal, a, t_fine), self.humidity(now), 0, 0xFFFF
        )
        return bytes(
            [adc_p >> 12, (adc_p >> 4) & 0xFF, (adc_p & 0xF) << 4,
             adc_t >> 12, (adc_t >> 4) & 0xFF, (adc_t & 0xF) << 4,
             adc_h >> 8, adc_h & 0xFF]
        )  # fmt: skip

    def read_registers(self, register: int, length: int, now: float) -> bytes:
        if register == bme280.CHIP_ID_REG:
            return bytes([bme280.CHIP_ID]) + bytes(length - 1)
        if register == bme280.CALIB_TP_REG:
            return self.tp[:length]
        if register == bme280.CALIB_H_REG:
            return self.h[:length]
        if register == bme280.STATUS:
            return bytes(length)
        if register == bme280.DATA:
            return self.data[:length]
        return bytes(length)


class SimAds1115(_RegisterDevice):
    title = "ADS1115"

    def __init__(self, address: int = 0x48, volts: Mapping[int, Signal] | None = None) -> None:
        super().__init__(address)
        self.volts: dict[int, Signal] = dict(volts or {})
        self.reset()

    def reset(self) -> None:
        self.config = 0x8583
        self.conversion = 0
        self._done_at = 0.0

    def write_registers(self, register: int, data: bytes, now: float) -> None:
        if register != 0x01 or len(data) != 2:
            return
        word = int.from_bytes(data, "big")
        self.config = word & 0x7FFF
        if word & 0x8000:
            mux = (word >> 12) & 0b111
            full_scale = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256][
                (word >> 9) & 0b111
            ]
            rate = [8, 16, 32, 64, 128, 250, 475, 860][(word >> 5) & 0b111]
            volts = self.volts[mux & 0b11](now) if mux & 0b100 and mux & 0b11 in self.volts else 0.0
            code = round(volts / full_scale * 32768)
            self.conversion = max(-32768, min(32767, code))
            self._done_at = now + self.time_scale / rate

    def read_registers(self, register: int, length: int, now: float) -> bytes:
        if register == 0x00:
            return struct.pack(">h", self.conversion)[:length]
        if register == 0x01:
            done = 0x8000 if now >= self._done_at else 0
            return struct.pack(">H", self.config | done)[:length]
        return bytes(length)


# --- Sensirion ------------------------------------------------------------------------------


class _SimSensirion(SimDevice):
    """Command-based parts: a read returns the answer to the last command, or NACKs."""

    commands: dict[bytes, float] = {}

    def __init__(self, address: int, temperature: Signal | None, humidity: Signal | None) -> None:
        super().__init__(address)
        self.temperature = temperature or Fixed(25.0)
        self.humidity = humidity or Fixed(50.0)
        self.reset()

    def reset(self) -> None:
        self._answer: bytes | None = None
        self._ready_at = 0.0

    def on_write(self, data: bytes, now: float) -> None:
        stretch(self)
        if not data:
            return
        if bytes(data) not in self.commands:
            raise self.nack(self.address)  # an unknown command is not acknowledged
        self._answer = self.answer(bytes(data), now)
        self._ready_at = now + self.commands[bytes(data)] * self.time_scale

    def on_read(self, length: int, now: float) -> bytes:
        stretch(self)
        if self._answer is None or now < self._ready_at:
            raise self.nack(self.address)  # nothing measured yet: the header is not acked
        answer, self._answer = self._answer, None
        if self.fault == CRC:
            answer = answer[:2] + bytes([answer[2] ^ 0x5A]) + answer[3:]
        return answer[:length]

    def answer(self, command: bytes, now: float) -> bytes:
        raise NotImplementedError

    def raw(self, now: float, rh_offset: float, rh_span: float) -> list[int]:
        raw_t = round((self.temperature(now) + 45.0) / 175.0 * 65535)
        raw_rh = round((self.humidity(now) - rh_offset) / rh_span * 65535)
        return [max(0, min(65535, raw_t)), max(0, min(65535, raw_rh))]


class SimSht3x(_SimSensirion):
    title = "SHT3x"
    commands = {bytes([0x24, 0x00]): 0.0155, bytes([0xF3, 0x2D]): 0.0, bytes([0x30, 0xA2]): 0.0015}

    def __init__(
        self, address: int = 0x44, temperature: Signal | None = None, humidity: Signal | None = None
    ) -> None:
        super().__init__(address, temperature, humidity)

    def answer(self, command: bytes, now: float) -> bytes:
        if command == bytes([0x24, 0x00]):
            return sensirion.encode_words(self.raw(now, 0.0, 100.0))
        if command == bytes([0xF3, 0x2D]):
            return sensirion.encode_words([0x8010])
        return b""


class SimSht4x(_SimSensirion):
    title = "SHT4x"
    commands = {bytes([0xFD]): 0.0083, bytes([0x89]): 0.0002, bytes([0x94]): 0.001}

    def __init__(
        self,
        address: int = 0x44,
        temperature: Signal | None = None,
        humidity: Signal | None = None,
        serial: int = 0x0BADC0DE,
    ) -> None:
        super().__init__(address, temperature, humidity)
        self.serial = serial

    def answer(self, command: bytes, now: float) -> bytes:
        if command == bytes([0xFD]):
            return sensirion.encode_words(self.raw(now, -6.0, 125.0))
        if command == bytes([0x89]):
            return sensirion.encode_words([self.serial >> 16, self.serial & 0xFFFF])
        return b""
