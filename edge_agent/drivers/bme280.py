"""Bosch BME280 temperature, humidity and pressure sensor (I2C 0x76 or 0x77).

Registers (BME280 datasheet rev 1.6, §5): chip id 0xD0 = 0x60; calibration 0x88-0xA1 and
0xE1-0xE7; ctrl_hum 0xF2 (written before ctrl_meas to take effect); status 0xF3;
ctrl_meas 0xF4; config 0xF5; data 0xF7-0xFE (pressure, temperature: 20 bits; humidity: 16).
We use forced mode with 1x oversampling: one conversion per read, ~9.3 ms (§9.1), then sleep.
The compensation formulas are the datasheet's (§4.2.3 integer, §8.1 double precision).
"""

from __future__ import annotations

from dataclasses import dataclass
import struct
from typing import Final

from edge_agent.backends.i2c import I2CDevice

from .base import Driver, Measurement, SensorDataError

CHIP_ID_REG: Final = 0xD0
CHIP_ID: Final = 0x60
CHIP_ID_BMP280: Final = 0x58
CALIB_TP_REG: Final = 0x88  # 26 bytes: T1..T3, P1..P9, (0xA0 unused), H1 at 0xA1
CALIB_H_REG: Final = 0xE1  # 7 bytes: H2..H6
CTRL_HUM: Final = 0xF2
STATUS: Final = 0xF3
CTRL_MEAS: Final = 0xF4
CONFIG: Final = 0xF5
DATA: Final = 0xF7
# osrs_t = x1, osrs_p = x1, mode = forced (01)
CTRL_MEAS_FORCED_X1: Final = 0b001_001_01
CTRL_HUM_X1: Final = 0b001
MEASURE_S: Final = 0.0095  # §9.1: 1.25 + 2.3 + 2.875 + 2.875 ms at x1 oversampling
STATUS_MEASURING: Final = 0x08
SKIPPED_20: Final = 0x80000  # what a 20-bit channel reads when it was skipped
SKIPPED_16: Final = 0x8000


@dataclass(frozen=True, slots=True)
class Calibration:
    """The trimming parameters dig_T1... (datasheet table 16)."""

    t1: int
    t2: int
    t3: int
    p1: int
    p2: int
    p3: int
    p4: int
    p5: int
    p6: int
    p7: int
    p8: int
    p9: int
    h1: int
    h2: int
    h3: int
    h4: int
    h5: int
    h6: int


def _s12(value: int) -> int:
    return value - 0x1000 if value & 0x800 else value


def parse_calibration(tp: bytes, h: bytes) -> Calibration:
    """From the 26 bytes at 0x88 and the 7 at 0xE1."""
    if len(tp) != 26 or len(h) != 7:
        raise SensorDataError("short BME280 calibration read")
    t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9 = struct.unpack_from("<HhhHhhhhhhhh", tp)
    (h2,) = struct.unpack_from("<h", h, 0)
    h4 = _s12((h[3] << 4) | (h[4] & 0x0F))
    h5 = _s12((h[5] << 4) | (h[4] >> 4))
    h6 = struct.unpack_from("<b", h, 6)[0]
    cal = Calibration(t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9, tp[25], h2, h[2], h4, h5, h6)
    if cal.t1 == 0 or cal.p1 == 0:
        raise SensorDataError("BME280 calibration is blank")
    return cal


def encode_calibration(cal: Calibration) -> tuple[bytes, bytes]:
    """The register bytes holding `cal` (the simulator's side of parse_calibration)."""
    tp = struct.pack(
        "<HhhHhhhhhhhhBB",
        cal.t1, cal.t2, cal.t3, cal.p1, cal.p2, cal.p3, cal.p4, cal.p5, cal.p6, cal.p7,
        cal.p8, cal.p9, 0, cal.h1,
    )  # fmt: skip
    h4, h5 = cal.h4 & 0xFFF, cal.h5 & 0xFFF
    h = struct.pack("<hB", cal.h2, cal.h3) + bytes(
        [h4 >> 4, (h4 & 0x0F) | ((h5 & 0x0F) << 4), h5 >> 4]
    ) + struct.pack("<b", cal.h6)  # fmt: skip
    return tp, h


def parse_data(data: bytes) -> tuple[int, int, int]:
    """(adc_P, adc_T, adc_H) from the 8 bytes at 0xF7."""
    if len(data) != 8:
        raise SensorDataError("short BME280 data read")
    adc_p = (data[0] << 12) | (data[1] << 4) | (data[2] >> 4)
    adc_t = (data[3] << 12) | (data[4] << 4) | (data[5] >> 4)
    adc_h = (data[6] << 8) | data[7]
    return adc_p, adc_t, adc_h


# --- compensation, double precision (datasheet §8.1) -----------------------------------------


def compensate_temperature(cal: Calibration, adc_t: int) -> tuple[float, int]:
    """(°C, t_fine)."""
    var1 = (adc_t / 16384.0 - cal.t1 / 1024.0) * cal.t2
    var2 = (adc_t / 131072.0 - cal.t1 / 8192.0) ** 2 * cal.t3
    return (var1 + var2) / 5120.0, int(var1 + var2)


def compensate_pressure(cal: Calibration, adc_p: int, t_fine: int) -> float:
    """Pa."""
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * cal.p6 / 32768.0
    var2 = var2 + var1 * cal.p5 * 2.0
    var2 = var2 / 4.0 + cal.p4 * 65536.0
    var1 = (cal.p3 * var1 * var1 / 524288.0 + cal.p2 * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * cal.p1
    if var1 == 0:
        raise SensorDataError("BME280 pressure compensation divides by zero")
    p = 1048576.0 - adc_p
    p = (p - var2 / 4096.0) * 6250.0 / var1
    var1 = cal.p9 * p * p / 2147483648.0
    var2 = p * cal.p8 / 32768.0
    return p + (var1 + var2 + cal.p7) / 16.0


def compensate_humidity(cal: Calibration, adc_h: int, t_fine: int) -> float:
    """%RH, clipped to 0..100 as the datasheet does."""
    h = t_fine - 76800.0
    h = (adc_h - (cal.h4 * 64.0 + cal.h5 / 16384.0 * h)) * (
        cal.h2 / 65536.0 * (1.0 + cal.h6 / 67108864.0 * h * (1.0 + cal.h3 / 67108864.0 * h))
    )
    h = h * (1.0 - cal.h1 * h / 524288.0)
    return min(100.0, max(0.0, h))


# --- compensation, integer (datasheet §4.2.3), kept to cross-check the above -----------------


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def compensate_temperature_int(cal: Calibration, adc_t: int) -> tuple[int, int]:
    """(0.01 °C, t_fine): BME280_compensate_T_int32."""
    var1 = (((adc_t >> 3) - (cal.t1 << 1)) * cal.t2) >> 11
    var2 = (((((adc_t >> 4) - cal.t1) * ((adc_t >> 4) - cal.t1)) >> 12) * cal.t3) >> 14
    t_fine = var1 + var2
    return (t_fine * 5 + 128) >> 8, t_fine


def compensate_pressure_int(cal: Calibration, adc_p: int, t_fine: int) -> int:
    """Pa in Q24.8: BME280_compensate_P_int64."""
    var1 = t_fine - 128000
    var2 = var1 * var1 * cal.p6
    var2 = var2 + ((var1 * cal.p5) << 17)
    var2 = var2 + (cal.p4 << 35)
    var1 = ((var1 * var1 * cal.p3) >> 8) + ((var1 * cal.p2) << 12)
    var1 = (((1 << 47) + var1) * cal.p1) >> 33
    if var1 == 0:
        return 0
    p = 1048576 - adc_p
    p = _cdiv(((p << 31) - var2) * 3125, var1)
    var1 = (cal.p9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (cal.p8 * p) >> 19
    return ((p + var1 + var2) >> 8) + (cal.p7 << 4)


def compensate_humidity_int(cal: Calibration, adc_h: int, t_fine: int) -> int:
    """%RH in Q22.10: bme280_compensate_H_int32."""
    v = t_fine - 76800
    a = (((adc_h << 14) - (cal.h4 << 20) - (cal.h5 * v)) + 16384) >> 15
    b = (((v * cal.h6) >> 10) * (((v * cal.h3) >> 11) + 32768)) >> 10
    h = a * (((b + 2097152) * cal.h2 + 8192) >> 14)
    h = h - (((((h >> 15) * (h >> 15)) >> 7) * cal.h1) >> 4)
    return min(max(h, 0), 419430400) >> 12


def convert(cal: Calibration, data: bytes) -> dict[str, float]:
    """The 8 data bytes -> °C, %RH, hPa."""
    adc_p, adc_t, adc_h = parse_data(data)
    if SKIPPED_20 in (adc_t, adc_p) or adc_h == SKIPPED_16:
        raise SensorDataError("BME280 returned its reset value (no measurement ran)")
    temperature, t_fine = compensate_temperature(cal, adc_t)
    return {
        "temperature": temperature,
        "humidity": compensate_humidity(cal, adc_h, t_fine),
        "pressure": compensate_pressure(cal, adc_p, t_fine) / 100.0,
    }


class Bme280(Driver[I2CDevice]):
    name = "bme280"
    title = "Bosch BME280"
    addresses = (0x76, 0x77)
    read_seconds = 0.02

    def __init__(self, options: dict[str, object] | None = None) -> None:
        super().__init__(options)
        self._cal: Calibration | None = None

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return (
            Measurement("temperature", "temperature", "Temperature", "°C", "temperature", 1),
            Measurement("humidity", "humidity", "Humidity", "%", "humidity", 1),
            Measurement("pressure", "pressure", "Pressure", "hPa", "pressure", 1),
        )

    @classmethod
    async def identify(cls, dev: I2CDevice) -> str | None:
        chip = (await dev.write_read(bytes([CHIP_ID_REG]), 1))[0]
        if chip == CHIP_ID:
            return cls.title
        if chip == CHIP_ID_BMP280:
            return "Bosch BMP280 (no humidity; not supported)"
        return None

    async def setup(self, dev: I2CDevice) -> None:
        chip = (await dev.write_read(bytes([CHIP_ID_REG]), 1))[0]
        if chip != CHIP_ID:
            raise SensorDataError(f"chip id 0x{chip:02x} at 0x{dev.address:02x} is not a BME280")
        tp = await dev.write_read(bytes([CALIB_TP_REG]), 26)
        h = await dev.write_read(bytes([CALIB_H_REG]), 7)
        self._cal = parse_calibration(tp, h)
        await dev.write(bytes([CONFIG, 0x00]))  # no IIR filter, no standby (forced mode)
        await dev.write(bytes([CTRL_HUM, CTRL_HUM_X1]))

    async def read(self, dev: I2CDevice, temperature: float | None = None) -> dict[str, float]:
        if self._cal is None:
            raise SensorDataError("BME280 not set up")
        await dev.write(bytes([CTRL_MEAS, CTRL_MEAS_FORCED_X1]))
        await dev.sleep(MEASURE_S)
        for _ in range(5):
            if not (await dev.write_read(bytes([STATUS]), 1))[0] & STATUS_MEASURING:
                break
            await dev.sleep(0.002)
        else:
            raise SensorDataError("BME280 conversion did not finish")
        return convert(self._cal, await dev.write_read(bytes([DATA]), 8))


DRIVER = Bme280
