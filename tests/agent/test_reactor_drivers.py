"""Each driver's pure conversions against the figures printed in its datasheet."""

from __future__ import annotations

import pytest

from edge_agent.drivers import (
    ads1115,
    bme280,
    ds18b20,
    ezo,
    ezo_do,
    ezo_ec,
    ezo_orp,
    ezo_ph,
    ezo_rtd,
    sensirion,
    sht3x,
    sht4x,
)
from edge_agent.drivers.base import CalibrationError, SensorDataError
from edge_agent.sim.i2c_devices import BME280_CALIBRATION

# --- BME280 (BMP280 datasheet §3.12 worked example; the BME280 shares the T and P formulas) ---


def test_bme280_temperature_matches_the_datasheet_example() -> None:
    celsius, t_fine = bme280.compensate_temperature(BME280_CALIBRATION, 519888)
    assert t_fine == 128422
    assert celsius == pytest.approx(25.08, abs=0.005)
    assert bme280.compensate_temperature_int(BME280_CALIBRATION, 519888) == (2508, 128422)


def test_bme280_pressure_matches_the_datasheet_example() -> None:
    pa = bme280.compensate_pressure(BME280_CALIBRATION, 415148, 128422)
    assert pa == pytest.approx(100653.27, abs=0.02)
    # the 64-bit integer formula: the datasheet prints 25767236 (Q24.8); executing it gives
    # 25767233 (3/256 Pa apart, integer rounding): both are 100653.27 Pa within 0.02 Pa
    q24_8 = bme280.compensate_pressure_int(BME280_CALIBRATION, 415148, 128422)
    assert abs(q24_8 - 25767236) <= 4
    assert q24_8 / 256 == pytest.approx(100653.27, abs=0.02)


@pytest.mark.parametrize("adc_h", [26000, 28000, 30000, 33000, 36000])
def test_bme280_humidity_float_and_integer_formulas_agree(adc_h: int) -> None:
    # the datasheet gives no humidity example: its two published formulas must agree instead
    _, t_fine = bme280.compensate_temperature(BME280_CALIBRATION, 519888)
    double = bme280.compensate_humidity(BME280_CALIBRATION, adc_h, t_fine)
    integer = bme280.compensate_humidity_int(BME280_CALIBRATION, adc_h, t_fine) / 1024
    assert 0 < double < 100
    assert double == pytest.approx(integer, abs=0.01)


def test_bme280_humidity_is_clipped() -> None:
    assert bme280.compensate_humidity(BME280_CALIBRATION, 0, 128422) == 0.0
    assert bme280.compensate_humidity(BME280_CALIBRATION, 0xFFFF, 128422) == 100.0


def test_bme280_calibration_registers_round_trip_with_signed_12_bit_fields() -> None:
    cal = bme280.Calibration(
        27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000,
        75, 362, 0, -333, -50, -30,
    )  # fmt: skip
    tp, h = bme280.encode_calibration(cal)
    assert len(tp) == 26
    assert len(h) == 7
    assert bme280.parse_calibration(tp, h) == cal
    # dig_H4 = 0xE4[7:0] << 4 | 0xE5[3:0]; dig_H5 = 0xE6[7:0] << 4 | 0xE5[7:4] (table 16)
    parsed = bme280.parse_calibration(tp, bytes([0x6A, 0x01, 0, 0x14, 0x2D, 0x03, 0x1E]))
    assert (parsed.h2, parsed.h4, parsed.h5, parsed.h6) == (362, (0x14 << 4) | 0xD, 0x32, 30)


def test_bme280_data_layout_and_reset_pattern() -> None:
    assert bme280.parse_data(bytes([0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00, 0x6B, 0x2C])) == (
        0x655AC,
        0x7EED0,
        0x6B2C,
    )
    with pytest.raises(SensorDataError, match="reset value"):
        bme280.convert(BME280_CALIBRATION, bytes([0x80, 0, 0, 0x80, 0, 0, 0x80, 0]))


# --- Sensirion -----------------------------------------------------------------------------------


def test_sensirion_crc_matches_the_datasheet_example() -> None:
    assert sensirion.crc8(bytes([0xBE, 0xEF])) == 0x92  # SHT3x datasheet §4.12
    assert sensirion.crc8(bytes([0x00, 0x00])) == 0x81
    assert sensirion.decode_words(bytes([0xBE, 0xEF, 0x92, 0x00, 0x00, 0x81]), 2) == [0xBEEF, 0]
    with pytest.raises(SensorDataError, match="CRC mismatch"):
        sensirion.decode_words(bytes([0xBE, 0xEF, 0x93]), 1)
    with pytest.raises(SensorDataError):
        sensirion.decode_words(bytes([0xBE, 0xEF]), 1)


def test_sht3x_conversion() -> None:
    # T = -45 + 175 * S / (2^16 - 1); RH = 100 * S / (2^16 - 1)
    assert sht3x.convert(0, 0) == {"temperature": -45.0, "humidity": 0.0}
    assert sht3x.convert(0xFFFF, 0xFFFF) == {"temperature": 130.0, "humidity": 100.0}
    values = sht3x.convert(0x6666, 0x8000)
    assert values["temperature"] == pytest.approx(25.0, abs=0.001)
    assert values["humidity"] == pytest.approx(50.0, abs=0.001)


def test_sht4x_conversion_crops_humidity() -> None:
    # RH = -6 + 125 * S / (2^16 - 1), cropped to 0-100 %
    assert sht4x.convert(0x6666, 0x8000)["humidity"] == pytest.approx(56.5, abs=0.01)
    assert sht4x.convert(0x6666, 0)["humidity"] == 0.0
    assert sht4x.convert(0x6666, 0xFFFF)["humidity"] == 100.0
    assert sht4x.convert(0xFFFF, 0)["temperature"] == 130.0


# --- ADS1115 ---------------------------------------------------------------------------------


def test_ads1115_config_words() -> None:
    # the datasheet's power-on default: OS=1, AIN0/AIN1, ±2.048 V, single-shot, 128 SPS, no comp
    assert ads1115.POWER_ON_CONFIG == 0x8583
    assert ads1115.config_word(0) == 0xC583  # MUX 100: AIN0 vs GND
    assert ads1115.config_word(0, 4.096) == 0xC383
    assert ads1115.config_word(3, 6.144, 860) == 0xF1E3
    with pytest.raises(ValueError):
        ads1115.config_word(4)


@pytest.mark.parametrize(
    ("full_scale", "lsb_uv"),
    [
        (6.144, 187.5),
        (4.096, 125.0),
        (2.048, 62.5),
        (1.024, 31.25),
        (0.512, 15.625),
        (0.256, 7.8125),
    ],
)
def test_ads1115_lsb_sizes(full_scale: float, lsb_uv: float) -> None:
    assert ads1115.to_volts(b"\x00\x01", full_scale) * 1e6 == pytest.approx(lsb_uv)
    # the code range: 0x7FFF = +FS - 1 LSB, 0x8000 = -FS
    assert ads1115.to_volts(b"\x7f\xff", full_scale) == pytest.approx(full_scale - lsb_uv / 1e6)
    assert ads1115.to_volts(b"\x80\x00", full_scale) == -full_scale


def test_ads1115_linear_calibration_to_any_unit() -> None:
    transducer = ads1115.Linear.through((0.5, 0.0), (4.5, 2.0))  # 0.5-4.5 V -> 0-2 bar
    assert transducer(0.5) == 0.0
    assert transducer(2.5) == pytest.approx(1.0)
    assert transducer(4.5) == pytest.approx(2.0)
    assert ads1115.Linear(2.0, -1.0)(1.5) == 2.0
    with pytest.raises(ValueError):
        ads1115.Linear.through((1.0, 0.0), (1.0, 5.0))


# --- DS18B20 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "celsius"),
    [
        (0x07D0, 125.0),
        (0x0191, 25.0625),
        (0x00A2, 10.125),
        (0x0008, 0.5),
        (0x0000, 0.0),
        (0xFFF8, -0.5),
        (0xFF5E, -10.125),
        (0xFE6F, -25.0625),
        (0xFC90, -55.0),
    ],
)
def test_ds18b20_temperature_table(raw: int, celsius: float) -> None:
    assert ds18b20.raw_to_celsius(raw) == celsius  # DS18B20 datasheet table 1


def test_ds18b20_w1_slave_file() -> None:
    text = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"
    assert ds18b20.crc8_maxim(bytes.fromhex("72014b467fff0e10")) == 0x57
    assert ds18b20.parse_w1_slave(text) == 23.125
    assert ds18b20.format_w1_slave(bytes.fromhex("72014b467fff0e1057")) == text


def test_ds18b20_rejects_what_the_kernel_lets_through() -> None:
    with pytest.raises(SensorDataError, match="CRC"):
        ds18b20.parse_w1_slave("72 01 4b 46 7f ff 0e 10 58 : crc=58 NO\n72 ... t=23125\n")
    zeros = ds18b20.format_w1_slave(bytes(9))
    assert "YES" in zeros  # the kernel calls an all-zero scratchpad valid...
    with pytest.raises(SensorDataError, match="all-zero"):
        ds18b20.parse_w1_slave(zeros)
    body = bytes([0x50, 0x05, 0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10])
    with pytest.raises(SensorDataError, match="power-on"):
        ds18b20.parse_scratchpad(body + bytes([ds18b20.crc8_maxim(body)]))
    with pytest.raises(SensorDataError):
        ds18b20.parse_w1_slave("garbage")


def test_ds18b20_clears_undefined_bits_at_lower_resolution() -> None:
    body = bytes([0x97, 0x01, 0x4B, 0x46, 0x1F, 0xFF, 0x0C, 0x10])  # 9-bit: 0.5 °C steps
    assert ds18b20.parse_scratchpad(body + bytes([ds18b20.crc8_maxim(body)])) == 25.0


# --- Atlas Scientific EZO ----------------------------------------------------------------------


def test_ezo_framing() -> None:
    assert ezo.encode_command("Cal,mid,7.00") == b"Cal,mid,7.00\x00"
    assert ezo.decode_response(b"\x017.002\x00\x00\x00") == (1, "7.002")
    # some firmware sets bit 7 on characters: Atlas masks it off
    assert ezo.decode_response(bytes([1, 0xB7, 0x2E, 0xB0, 0]) + bytes(5)) == (1, "7.0")
    assert ezo.decode_response(b"\xfe" + bytes(30))[0] == ezo.STATUS_PENDING
    assert ezo.decode_response(b"\xff" + bytes(30))[0] == ezo.STATUS_NO_DATA
    with pytest.raises(SensorDataError):
        ezo.decode_response(b"")


def test_ezo_answers() -> None:
    assert ezo.parse_info("?I,pH,2.16") == ("PH", "2.16")
    assert ezo.parse_info("?I,OR,2.10") == ("OR", "2.10")
    assert ezo.parse_info("garbage") is None
    assert ezo.parse_query("?CAL,2", "CAL") == ["2"]
    assert ezo.parse_query("?O,EC,TDS,S,SG", "O") == ["EC", "TDS", "S", "SG"]
    assert ezo_ec.enabled_codes("?O,EC,TDS") == ["EC", "TDS"]
    with pytest.raises(SensorDataError):
        ezo.parse_query("?T,25.0", "CAL")
    assert ezo.parse_floats("1413,763,0.71,1.000") == [1413.0, 763.0, 0.71, 1.0]
    with pytest.raises(SensorDataError):
        ezo.parse_floats("7.0#2")
    assert ezo.temperature_command(19.54) == "T,19.5"


def test_ezo_ph_readings_and_calibration_commands() -> None:
    ph = ezo_ph.EzoPh()
    assert ph.convert([7.002]) == {"ph": 7.002}
    with pytest.raises(SensorDataError):
        ph.convert([14.5])
    assert ph.calibration_command("mid", 7.0) == "Cal,mid,7.00"
    assert ph.calibration_command("low", 4.0) == "Cal,low,4.00"
    assert ph.calibration_command("high", 10.0) == "Cal,high,10.00"
    assert ph.calibration_command("low", 4.01) == "Cal,low,4.01"
    assert ph.calibration_command("clear", None) == "Cal,clear"
    ph.check_calibration("mid", 7.0)
    with pytest.raises(CalibrationError) as err:
        ph.check_calibration("mid", None)
    assert err.value.code == "invalid_args"
    with pytest.raises(CalibrationError):
        ph.check_calibration("mid", 15.0)
    with pytest.raises(CalibrationError) as err:
        ph.check_calibration("dry", None)
    assert err.value.code == "unsupported_action"


def test_ezo_ec_parameters_and_calibration() -> None:
    ec = ezo_ec.EzoEc({"outputs": ["tds", "conductivity", "salinity", "specific_gravity"]})
    assert [m.key for m in ec.measurements] == [
        "conductivity",
        "tds",
        "salinity",
        "specific_gravity",
    ]
    assert ec.convert([1413, 763, 0.71, 1.0]) == {
        "conductivity": 1413,
        "tds": 763,
        "salinity": 0.71,
        "specific_gravity": 1.0,
    }
    with pytest.raises(SensorDataError):
        ec.convert([1413])
    assert ec.calibration_command("dry", None) == "Cal,dry"
    assert ec.calibration_command("mid", 1413) == "Cal,1413.00"
    assert ec.calibration_command("low", 12880) == "Cal,low,12880.00"
    ec.check_calibration("dry", None)  # dry needs no value


def test_ezo_do_orp_rtd() -> None:
    do = ezo_do.EzoDo({"outputs": ["mg", "percent"]})
    assert do.convert([8.48, 94.3]) == {"dissolved_oxygen": 8.48, "saturation": 94.3}
    assert do.calibration_command("high", None) == "Cal"  # in air
    assert do.calibration_command("low", None) == "Cal,0"  # zero solution
    do.check_calibration("high", None)
    orp = ezo_orp.EzoOrp()
    assert orp.convert([225.3]) == {"orp": 225.3}
    assert orp.calibration_command("mid", 225) == "Cal,225.00"
    with pytest.raises(SensorDataError):
        orp.convert([2000.0])
    rtd = ezo_rtd.EzoRtd()
    assert rtd.convert([25.104]) == {"temperature": 25.104}
    with pytest.raises(SensorDataError, match="no temperature probe"):
        rtd.convert([-1023.0])
    assert rtd.calibration_command("mid", 100.0) == "Cal,100.00"
