// The goal sensor's wake -> advertise -> ack -> sleep cycle (docs/protocol.md part 2).
//
// Each wake-up is one short session: the Arduino glue calls begin() with the wake cause, then
// trigger() for goal edges, ack() for GATT writes and tick() in its loop, until awake() is
// false; then it sleeps as sleep_plan() says. Everything needed across sessions lives in
// RtcState (deep sleep) and Persisted (power loss).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ack.h"
#include "beacon.h"
#include "counters.h"
#include "debounce.h"
#include "hal.h"

namespace goal {

enum class Wake : uint8_t { kPowerOn, kTrigger, kTimer };

struct Config {
  uint8_t mac[6] = {0, 0, 0, 0, 0, 0};
  bool has_key = false;
  uint8_t key[16] = {0};
  uint8_t firmware[3] = {1, 0, 0};
  uint32_t ack_window_ms = 3000;        // connectable advertising after a goal (§2.5)
  uint32_t heartbeat_window_ms = 3000;  // after a heartbeat (time sync and settings)
  uint32_t max_awake_ms = 15000;        // a rattling trigger never keeps the radio on longer
  uint32_t ack_linger_ms = 150;         // after an ack: let the write response go out
  uint32_t dead_time_idle_ms = 1000;    // debounce between goals, game_mode idle
  uint32_t dead_time_playing_ms = 400;  // and while a game is played
  uint16_t battery_low_mv = 2200;       // 2xAA through a boost: ~1.1 V per cell is empty
  uint32_t release_poll_first_ms = 1000;  // trigger held at sleep time: poll until released,
  uint32_t release_poll_max_ms = 64000;   // backing off to this
  uint32_t counter_block = kDefaultCounterBlock;
};

struct SleepPlan {
  uint64_t timer_ms;      // wake by the timer after this long
  bool wake_on_trigger;   // also wake on the trigger pin (not while it is held active)
};

enum class AckResult : uint8_t { kDone, kKeepAdvertising, kRejected };

class GoalSensor {
 public:
  GoalSensor(Hal& hal, RtcState& rtc, const Config& config);

  // Starts the session: counts the goal that woke the chip, sends a heartbeat after a
  // timer or power-on wake, or goes straight back to sleep (a bounce, a release poll).
  void begin(Wake wake);
  // An active edge of the trigger while awake; true if it was counted as a goal.
  bool trigger();
  // A write to the ack characteristic.
  AckResult ack(const uint8_t* data, size_t len);
  // Timeouts; call often from the loop.
  void tick();

  bool awake() const { return awake_; }
  bool advertising() const { return advertising_; }
  // Call once awake() is false: saves what changed and says how to sleep.
  SleepPlan prepare_sleep();

  // for diagnostics and tests
  uint32_t goals() const { return rtc_.live.goals; }
  const Beacon& last_beacon() const { return beacon_; }
  BeaconError last_ack_error() const { return last_ack_error_; }
  uint32_t dead_time_ms() const { return debouncer_.dead_time_ms(); }

 private:
  bool send(bool heartbeat);
  void stop_advertising();
  uint32_t dead_time_for(uint8_t game_mode) const;
  uint16_t since_goal_ds(uint64_t now) const;

  Hal& hal_;
  RtcState& rtc_;
  const Config& config_;
  Debouncer debouncer_;
  Beacon beacon_;
  bool awake_ = false;
  bool advertising_ = false;
  uint64_t session_start_ms_ = 0;
  uint64_t deadline_ms_ = 0;
  BeaconError last_ack_error_ = BeaconError::kOk;
};

}  // namespace goal
