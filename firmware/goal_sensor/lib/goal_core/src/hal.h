// What the goal-sensor logic needs from the board. The Arduino glue (src/main.cpp)
// implements it with NimBLE, NVS and the ESP32's deep-sleep clock; the host tests with fakes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace goal {

// Survives power loss (NVS). Written only when something in it changes, and never more than
// once per goal, per setting change or per block of replay counters.
struct Persisted {
  uint32_t goals = 0;             // the goal counter of the beacon
  uint32_t counter_reserved = 0;  // replay counters below this may have been used
  uint32_t last_ack_counter = 0;  // the highest accepted encrypted-ack counter
  uint16_t heartbeat_min = 30;
  uint8_t game_mode = 0;
};

// Survives deep sleep but not power loss (RTC slow memory, RTC_DATA_ATTR).
struct RtcState {
  uint32_t magic = 0;  // kRtcMagic when valid: otherwise the chip lost power
  Persisted saved;     // what NVS holds (to know when a write is needed)
  Persisted live;      // the current values
  uint32_t counter_next = 0;
  uint8_t packet_id = 0;
  bool has_last_goal = false;
  uint64_t last_goal_ms = 0;
  uint64_t last_tx_ms = 0;       // when the last beacon was sent (heartbeats count from it)
  uint64_t next_heartbeat_ms = 0;
  uint32_t release_poll_ms = 0;  // while the trigger is held: timer polls until released
  bool time_synced = false;
  int64_t unix_offset_ms = 0;    // unix time in ms = now_ms + offset, after an ack
};

constexpr uint32_t kRtcMagic = 0x45484731;  // "EHG1"

class Hal {
 public:
  virtual ~Hal() = default;
  // A millisecond clock that keeps running in deep sleep (the RTC timer), never set.
  virtual uint64_t now_ms() = 0;
  virtual uint16_t battery_mv() = 0;  // 0 when unknown
  virtual bool trigger_active() = 0;
  virtual bool load(Persisted* out) = 0;  // false when nothing was saved yet
  virtual bool save(const Persisted& value) = 0;
  virtual void advertise(const uint8_t* adv, size_t adv_len, const uint8_t* scan_rsp,
                         size_t scan_rsp_len, bool connectable) = 0;
  virtual void stop_advertising() = 0;
};

}  // namespace goal
