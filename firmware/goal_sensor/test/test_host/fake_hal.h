// A fake board for the host tests: a settable clock, an NVS that can fail, a recorded radio.
#pragma once

#include <cstdint>
#include <vector>

#include "beacon.h"
#include "hal.h"

struct FakeHal : goal::Hal {
  uint64_t clock_ms = 1000;
  uint16_t battery = 2900;
  bool trigger = false;
  bool nvs_present = false;
  bool nvs_fails = false;
  goal::Persisted nvs;
  int nvs_writes = 0;
  bool connectable = false;
  bool on_air = false;
  std::vector<std::vector<uint8_t>> adverts;  // every advertisement started

  uint64_t now_ms() override { return clock_ms; }
  uint16_t battery_mv() override { return battery; }
  bool trigger_active() override { return trigger; }
  bool load(goal::Persisted* out) override {
    if (!nvs_present) return false;
    *out = nvs;
    return true;
  }
  bool save(const goal::Persisted& value) override {
    if (nvs_fails) return false;
    nvs = value;
    nvs_present = true;
    ++nvs_writes;
    return true;
  }
  void advertise(const uint8_t* adv, size_t adv_len, const uint8_t*, size_t,
                 bool is_connectable) override {
    adverts.emplace_back(adv, adv + adv_len);
    connectable = is_connectable;
    on_air = true;
  }
  void stop_advertising() override { on_air = false; }

  // the manufacturer payload of the last advert (after flags AD, length, type, company id)
  std::vector<uint8_t> last_payload() const {
    const auto& adv = adverts.back();
    return std::vector<uint8_t>(adv.begin() + 7, adv.end());
  }
};
