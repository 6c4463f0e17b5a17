// Arduino glue of the goal sensor: wake cause, NimBLE advertising and the ack characteristic,
// NVS, the deep-sleep clock and the sleep itself. All decisions are made by goal::GoalSensor
// (lib/goal_core, tested on the host); this file only connects it to the ESP32.
#include <Arduino.h>
#include <NimBLEDevice.h>
#include <Preferences.h>
#include <esp_sleep.h>
#include <esp_system.h>
#if __has_include(<esp_mac.h>)
#include <esp_mac.h>  // esp_read_mac moved here in ESP-IDF 5 (Arduino-ESP32 3.x)
#endif
#include <sys/time.h>

#include <cstring>

#include "ack.h"
#include "hal.h"
#include "sensor.h"

#ifndef GOAL_TRIGGER_PIN
#error "GOAL_TRIGGER_PIN must be set (see platformio.ini)"
#endif
#ifndef GOAL_DEVICE_KEY
#define GOAL_DEVICE_KEY ""
#endif

namespace {

// Survives deep sleep (RTC slow memory), lost with the power.
RTC_DATA_ATTR goal::RtcState rtc_state;

constexpr char kNvsNamespace[] = "goal";
constexpr char kNvsState[] = "state";

volatile bool trigger_edge = false;
portMUX_TYPE ack_lock = portMUX_INITIALIZER_UNLOCKED;
uint8_t ack_buffer[goal::kAckEncryptedLen + 4];
size_t ack_len = 0;
volatile bool ack_pending = false;

void IRAM_ATTR on_trigger_edge() { trigger_edge = true; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The compiled-in key (GOAL_DEVICE_KEY, 32 hex characters), or none for plain beacons.
bool parse_key(const char* text, uint8_t key[16]) {
  if (std::strlen(text) != 32) return false;
  for (int i = 0; i < 16; ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    key[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

class AckCallbacks : public NimBLECharacteristicCallbacks {
  // NimBLE's task: copy the write and let the loop decide (the core is not thread-safe)
  void onWrite(NimBLECharacteristic* characteristic, NimBLEConnInfo&) override {
    const NimBLEAttValue value = characteristic->getValue();
    portENTER_CRITICAL(&ack_lock);
    ack_len = value.size() <= sizeof(ack_buffer) ? value.size() : sizeof(ack_buffer);
    std::memcpy(ack_buffer, value.data(), ack_len);
    ack_pending = true;
    portEXIT_CRITICAL(&ack_lock);
  }
};

class EspHal : public goal::Hal {
 public:
  uint64_t now_ms() override {
    // gettimeofday runs on the RTC timer through deep sleep; it is never set (the unix
    // time from the ack is kept as an offset), so it never jumps
    timeval tv;
    gettimeofday(&tv, nullptr);
    return static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec) / 1000;
  }

  uint16_t battery_mv() override {
#ifdef GOAL_BATTERY_PIN
    const uint32_t mv = analogReadMilliVolts(GOAL_BATTERY_PIN);
    return static_cast<uint16_t>(static_cast<float>(mv) * GOAL_BATTERY_DIVIDER);
#else
    return 0;
#endif
  }

  bool trigger_active() override { return digitalRead(GOAL_TRIGGER_PIN) == LOW; }

  bool load(goal::Persisted* out) override {
    Preferences prefs;
    if (!prefs.begin(kNvsNamespace, true)) return false;
    const bool ok = prefs.getBytesLength(kNvsState) == sizeof(goal::Persisted) &&
                    prefs.getBytes(kNvsState, out, sizeof(goal::Persisted)) ==
                        sizeof(goal::Persisted);
    prefs.end();
    return ok;
  }

  bool save(const goal::Persisted& value) override {
    Preferences prefs;
    if (!prefs.begin(kNvsNamespace, false)) return false;
    const bool ok = prefs.putBytes(kNvsState, &value, sizeof(value)) == sizeof(value);
    prefs.end();
    return ok;
  }

  void advertise(const uint8_t* adv, size_t adv_len, const uint8_t* scan_rsp,
                 size_t scan_rsp_len, bool connectable) override {
    start_ble();
    NimBLEAdvertising* advertising = NimBLEDevice::getAdvertising();
    advertising->stop();
    NimBLEAdvertisementData data;
    data.addData(adv, adv_len);
    NimBLEAdvertisementData response;
    response.addData(scan_rsp, scan_rsp_len);
    advertising->setAdvertisementData(data);
    advertising->setScanResponseData(response);
    advertising->setConnectableMode(connectable ? BLE_GAP_CONN_MODE_UND : BLE_GAP_CONN_MODE_NON);
    // fast: 20-30 ms (units of 0.625 ms), so a scanner hears it within a few packets
    advertising->setMinInterval(32);
    advertising->setMaxInterval(48);
    advertising->start();
  }

  void stop_advertising() override {
    if (ble_started_) NimBLEDevice::getAdvertising()->stop();
  }

 private:
  void start_ble() {
    if (ble_started_) return;
    // NimBLE starts only when there is something to send (~50-100 ms and a few mA saved on
    // bounce wakes and release polls)
    NimBLEDevice::init("");
    NimBLEServer* server = NimBLEDevice::createServer();
    NimBLEService* service = server->createService(goal::kServiceUuid);
    NimBLECharacteristic* ack =
        service->createCharacteristic(goal::kAckCharUuid, NIMBLE_PROPERTY::WRITE);
    ack->setCallbacks(&ack_callbacks_);
    service->start();
    server->start();
    ble_started_ = true;
  }

  AckCallbacks ack_callbacks_;
  bool ble_started_ = false;
};

EspHal hal;
goal::Config config;

goal::Wake wake_cause() {
  switch (esp_sleep_get_wakeup_cause()) {
    case ESP_SLEEP_WAKEUP_TIMER:
      return goal::Wake::kTimer;
    case ESP_SLEEP_WAKEUP_EXT0:
    case ESP_SLEEP_WAKEUP_EXT1:
    case ESP_SLEEP_WAKEUP_GPIO:
      return goal::Wake::kTrigger;
    default:
      return goal::Wake::kPowerOn;
  }
}

void enable_trigger_wake() {
#if CONFIG_IDF_TARGET_ESP32C3
  // the C3 has no ext0/ext1: GPIO wake, GPIO0-5 only
  esp_deep_sleep_enable_gpio_wakeup(1ULL << GOAL_TRIGGER_PIN, ESP_GPIO_WAKEUP_GPIO_LOW);
#else
  esp_sleep_enable_ext0_wakeup(static_cast<gpio_num_t>(GOAL_TRIGGER_PIN), 0);
#endif
}

}  // namespace

void setup() {
  // the trigger pulls the pin low against an external pull-up (1 MOhm: no current while open)
  pinMode(GOAL_TRIGGER_PIN, INPUT);
  esp_read_mac(config.mac, ESP_MAC_BT);  // most significant byte first, as HA prints it
  config.has_key = parse_key(GOAL_DEVICE_KEY, config.key);
  config.firmware[0] = GOAL_FIRMWARE_VERSION_MAJOR;
  config.firmware[1] = GOAL_FIRMWARE_VERSION_MINOR;
  config.firmware[2] = GOAL_FIRMWARE_VERSION_PATCH;

  goal::GoalSensor sensor(hal, rtc_state, config);
  attachInterrupt(digitalPinToInterrupt(GOAL_TRIGGER_PIN), on_trigger_edge, FALLING);
  sensor.begin(wake_cause());
  while (sensor.awake()) {
    if (trigger_edge) {
      trigger_edge = false;
      sensor.trigger();
    }
    if (ack_pending) {
      uint8_t data[sizeof(ack_buffer)];
      size_t len;
      portENTER_CRITICAL(&ack_lock);
      len = ack_len;
      std::memcpy(data, ack_buffer, len);
      ack_pending = false;
      portEXIT_CRITICAL(&ack_lock);
      sensor.ack(data, len);
    }
    sensor.tick();
    delay(5);  // FreeRTOS idle (and automatic light sleep where enabled) between checks
  }
  const goal::SleepPlan plan = sensor.prepare_sleep();
  detachInterrupt(digitalPinToInterrupt(GOAL_TRIGGER_PIN));
  esp_sleep_enable_timer_wakeup(plan.timer_ms * 1000ULL);
  if (plan.wake_on_trigger) enable_trigger_wake();
  esp_deep_sleep_start();
}

void loop() {
  // never reached: every session ends in deep sleep, and a wake-up starts at setup() again
}
