// Debounce, reserve-ahead counters and the wake -> advertise -> ack -> sleep state machine.
#include <set>
#include <vector>

#include "ack.h"
#include "beacon.h"
#include "counters.h"
#include "debounce.h"
#include "fake_hal.h"
#include "hex.h"
#include "sensor.h"
#include "tiny_test.h"

using goal::AckResult;
using goal::GoalSensor;
using goal::RtcState;
using goal::Wake;

namespace {

const char* kKeyHex = "231d39c1d7cc1ab1aee224cd096db932";
const char* kAddress = "54:48:E6:8F:80:A5";

goal::Config make_config(bool with_key) {
  goal::Config config;
  const auto mac = mac_from(kAddress);
  for (int i = 0; i < 6; ++i) config.mac[i] = mac[i];
  if (with_key) {
    const auto key = from_hex(kKeyHex);
    config.has_key = true;
    for (int i = 0; i < 16; ++i) config.key[i] = key[i];
  }
  return config;
}

goal::Beacon decode_last(const FakeHal& hal, const goal::Config& config) {
  const auto payload = hal.last_payload();
  goal::Beacon beacon;
  const auto error = goal::decode_beacon(payload.data(), payload.size(),
                                         config.has_key ? config.key : nullptr, config.mac,
                                         &beacon);
  CHECK(error == goal::BeaconError::kOk);
  return beacon;
}

std::vector<uint8_t> make_ack(const goal::Config& config, uint32_t acked, uint16_t heartbeat,
                              uint8_t mode, uint32_t counter) {
  goal::Ack ack;
  ack.acked_goals = acked;
  ack.unix_time = 1763798400;
  ack.game_mode = mode;
  ack.heartbeat_min = heartbeat;
  ack.counter = counter;
  uint8_t out[goal::kAckEncryptedLen];
  const size_t len =
      goal::encode_ack(ack, config.has_key ? config.key : nullptr, config.mac, out);
  return std::vector<uint8_t>(out, out + len);
}

// one wake-up session driven to its end; returns the sleep plan
goal::SleepPlan run_until_asleep(GoalSensor& sensor, FakeHal& hal, uint64_t step_ms = 100) {
  for (int i = 0; i < 1000 && sensor.awake(); ++i) {
    sensor.tick();
    if (sensor.awake()) hal.clock_ms += step_ms;
  }
  return sensor.prepare_sleep();
}

}  // namespace

// --- debounce ---------------------------------------------------------------------------

TEST(debounce_rejects_edges_inside_the_dead_time) {
  goal::Debouncer debouncer(1000, false, 0);
  CHECK(debouncer.accept(5000));
  CHECK(!debouncer.accept(5001));
  CHECK(!debouncer.accept(5999));
  CHECK(debouncer.accept(6000));
  debouncer.set_dead_time(300);
  CHECK(debouncer.accept(6300));
}

TEST(debounce_remembers_the_last_goal_across_deep_sleep) {
  goal::Debouncer debouncer(1000, true, 10000);  // restored from RTC memory
  CHECK(!debouncer.accept(10500));
  CHECK(debouncer.accept(11000));
}

// --- reserve-ahead replay counter --------------------------------------------------------

TEST(replay_counter_writes_nvs_once_per_block) {
  FakeHal hal;
  RtcState rtc;
  goal::restore_state(rtc, hal);
  std::set<uint32_t> used;
  for (int i = 0; i < 200; ++i) {
    uint32_t counter = 0;
    REQUIRE(goal::next_replay_counter(rtc, hal, 64, &counter));
    CHECK(used.insert(counter).second);
  }
  CHECK_EQ(hal.nvs_writes, 4);  // blocks at 0, 64, 128, 192
  CHECK_EQ(hal.nvs.counter_reserved, 256u);
}

TEST(replay_counter_never_repeats_across_power_loss_at_any_point) {
  FakeHal hal;
  std::set<uint32_t> used;
  // lose power after every possible number of packets, many times over
  for (int run = 0; run < 150; ++run) {
    RtcState rtc;  // power loss: RTC memory gone, NVS kept
    goal::restore_state(rtc, hal);
    const int packets = (run * 7) % 23;
    for (int i = 0; i < packets; ++i) {
      uint32_t counter = 0;
      REQUIRE(goal::next_replay_counter(rtc, hal, 8, &counter));
      CHECK(used.insert(counter).second);
    }
  }
  CHECK(used.size() > 1000);
}

TEST(replay_counter_refuses_when_nvs_cannot_reserve) {
  FakeHal hal;
  RtcState rtc;
  goal::restore_state(rtc, hal);
  hal.nvs_fails = true;
  uint32_t counter = 0;
  CHECK(!goal::next_replay_counter(rtc, hal, 64, &counter));
  hal.nvs_fails = false;
  CHECK(goal::next_replay_counter(rtc, hal, 64, &counter));
  CHECK_EQ(counter, 0u);
}

// --- the session state machine -------------------------------------------------------------

TEST(goal_wake_advertises_connectable_until_acked) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);  // batteries in: a hello heartbeat
  CHECK(decode_last(hal, config).flags & goal::kFlagHeartbeat);
  run_until_asleep(sensor, hal);

  hal.clock_ms += 60000;
  GoalSensor woken(hal, rtc, config);
  woken.begin(Wake::kTrigger);
  REQUIRE(woken.awake());
  CHECK(hal.on_air);
  CHECK(hal.connectable);
  const auto beacon = decode_last(hal, config);
  CHECK_EQ(beacon.goals, 1u);
  CHECK_EQ(beacon.since_goal_ds, 0);
  CHECK(beacon.flags & goal::kFlagWantsAck);
  CHECK(!(beacon.flags & goal::kFlagHeartbeat));
  CHECK_EQ(hal.nvs.goals, 1u);  // durable before it was announced

  hal.clock_ms += 800;
  const auto ack = make_ack(config, 1, 30, 0, 0);
  CHECK(woken.ack(ack.data(), ack.size()) == AckResult::kDone);
  CHECK(!hal.on_air);
  hal.clock_ms += 200;  // the write response went out
  woken.tick();
  CHECK(!woken.awake());
  const auto plan = woken.prepare_sleep();
  CHECK(plan.wake_on_trigger);
  CHECK_EQ(plan.timer_ms, 30ull * 60000 - 1000);  // heartbeat 30 min after the last beacon
}

TEST(unacknowledged_goal_stops_after_three_seconds) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  run_until_asleep(sensor, hal);
  GoalSensor woken(hal, rtc, config);
  hal.clock_ms += 5000;
  const uint64_t start = hal.clock_ms;
  woken.begin(Wake::kTrigger);
  run_until_asleep(woken, hal, 50);
  CHECK(!hal.on_air);
  CHECK(hal.clock_ms - start >= 3000);
  CHECK(hal.clock_ms - start <= 3050);
}

TEST(each_goal_gets_a_new_packet_id_and_counter) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(true);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  const auto hello = decode_last(hal, config);
  run_until_asleep(sensor, hal);
  hal.clock_ms += 10000;
  GoalSensor woken(hal, rtc, config);
  woken.begin(Wake::kTrigger);
  const auto first = decode_last(hal, config);
  hal.clock_ms += 200;
  CHECK(!woken.trigger());  // a bounce inside the dead time
  hal.clock_ms += 1500;
  CHECK(woken.trigger());  // a second goal while still awake
  const auto second = decode_last(hal, config);
  CHECK_EQ(first.goals, 1u);
  CHECK_EQ(second.goals, 2u);
  CHECK(second.packet_id == static_cast<uint8_t>(first.packet_id + 1));
  CHECK(first.packet_id == static_cast<uint8_t>(hello.packet_id + 1));
  CHECK(second.counter > first.counter);
  CHECK(first.counter > hello.counter);
  CHECK(second.flags & goal::kFlagEncrypted);
  // an ack for the first goal only: keep advertising the second
  const auto old_ack = make_ack(config, 1, 30, 0, 100);
  CHECK(woken.ack(old_ack.data(), old_ack.size()) == AckResult::kKeepAdvertising);
  CHECK(hal.on_air);
  // the same ack again is a replay
  CHECK(woken.ack(old_ack.data(), old_ack.size()) == AckResult::kRejected);
  CHECK(woken.last_ack_error() == goal::BeaconError::kReplayed);
  const auto ack = make_ack(config, 2, 30, 0, 101);
  CHECK(woken.ack(ack.data(), ack.size()) == AckResult::kDone);
}

TEST(keyed_sensor_rejects_plain_and_forged_acks) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(true);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  const auto plain = make_ack(make_config(false), 0, 5, 1, 0);
  CHECK(sensor.ack(plain.data(), plain.size()) == AckResult::kRejected);
  CHECK(sensor.last_ack_error() == goal::BeaconError::kBadLength);
  auto forged = make_ack(config, 0, 5, 1, 7);
  forged[3] ^= 0x40;
  CHECK(sensor.ack(forged.data(), forged.size()) == AckResult::kRejected);
  CHECK(sensor.last_ack_error() == goal::BeaconError::kMicFailed);
  CHECK(hal.on_air);
  const auto plan = run_until_asleep(sensor, hal);
  CHECK_EQ(plan.timer_ms / 60000, 29ull);  // settings untouched: still 30 min
}

TEST(ack_changes_heartbeat_and_game_mode_and_they_survive_power_loss) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  const auto ack = make_ack(config, 0, 5, goal::kGamePlaying, 0);
  CHECK(sensor.ack(ack.data(), ack.size()) == AckResult::kDone);
  CHECK_EQ(sensor.dead_time_ms(), config.dead_time_playing_ms);
  const auto plan = run_until_asleep(sensor, hal);
  CHECK_EQ(plan.timer_ms / 1000, 5ull * 60 - 1);
  CHECK_EQ(hal.nvs.heartbeat_min, 5);
  CHECK_EQ(hal.nvs.game_mode, 1);

  RtcState after_power_loss;
  GoalSensor rebooted(hal, after_power_loss, config);
  rebooted.begin(Wake::kPowerOn);
  CHECK_EQ(rebooted.dead_time_ms(), config.dead_time_playing_ms);
  const auto plan2 = run_until_asleep(rebooted, hal);
  CHECK_EQ(plan2.timer_ms / 1000, 5ull * 60 - 3);
}

TEST(heartbeat_wakes_report_alive_with_the_heartbeat_flag) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  auto plan = run_until_asleep(sensor, hal);
  hal.clock_ms += plan.timer_ms;
  GoalSensor woken(hal, rtc, config);
  woken.begin(Wake::kTimer);
  REQUIRE(woken.awake());
  const auto beacon = decode_last(hal, config);
  CHECK(beacon.flags & goal::kFlagHeartbeat);
  CHECK(beacon.flags & goal::kFlagWantsAck);
  CHECK_EQ(beacon.since_goal_ds, goal::kSinceGoalUnknown);
  CHECK_EQ(beacon.goals, 0u);
}

TEST(low_battery_sets_the_flag) {
  FakeHal hal;
  hal.battery = 2100;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  CHECK(decode_last(hal, config).flags & goal::kFlagBatteryLow);
  CHECK_EQ(decode_last(hal, config).battery_mv, 2100);
}

TEST(held_trigger_polls_until_released_instead_of_rewaking) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  run_until_asleep(sensor, hal);
  hal.clock_ms += 10000;
  hal.trigger = true;  // a ball rests on the switch
  GoalSensor woken(hal, rtc, config);
  woken.begin(Wake::kTrigger);
  auto plan = run_until_asleep(woken, hal);
  CHECK(!plan.wake_on_trigger);
  CHECK_EQ(plan.timer_ms, 1000ull);
  size_t adverts = hal.adverts.size();
  // polls back off while it stays held, and never count or send anything
  uint64_t last_poll = plan.timer_ms;
  for (int i = 0; i < 8; ++i) {
    hal.clock_ms += plan.timer_ms;
    GoalSensor poll(hal, rtc, config);
    poll.begin(Wake::kTimer);
    CHECK(!poll.awake());
    plan = poll.prepare_sleep();
    CHECK(plan.timer_ms >= last_poll);
    last_poll = plan.timer_ms;
  }
  CHECK_EQ(plan.timer_ms, 64000ull);
  CHECK_EQ(hal.adverts.size(), adverts);
  CHECK_EQ(rtc.live.goals, 1u);
  hal.trigger = false;  // released
  hal.clock_ms += plan.timer_ms;
  GoalSensor released(hal, rtc, config);
  released.begin(Wake::kTimer);
  plan = released.prepare_sleep();
  CHECK(plan.wake_on_trigger);
}

TEST(bounce_wake_inside_the_dead_time_goes_back_to_sleep_silently) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  run_until_asleep(sensor, hal);
  GoalSensor goal1(hal, rtc, config);
  hal.clock_ms += 10000;
  goal1.begin(Wake::kTrigger);
  const auto ack = make_ack(config, 1, 30, 0, 0);
  goal1.ack(ack.data(), ack.size());
  run_until_asleep(goal1, hal);
  const size_t adverts = hal.adverts.size();
  hal.clock_ms += 100;  // the switch bounced after the chip went to sleep
  GoalSensor bounce(hal, rtc, config);
  bounce.begin(Wake::kTrigger);
  CHECK(!bounce.awake());
  CHECK_EQ(hal.adverts.size(), adverts);
  CHECK_EQ(bounce.goals(), 1u);
}

TEST(goals_survive_power_loss_and_counters_do_not_repeat) {
  FakeHal hal;
  const auto config = make_config(true);
  std::set<uint32_t> counters;
  uint32_t goals = 0;
  for (int boot = 0; boot < 20; ++boot) {
    RtcState rtc;  // every boot is a power loss
    GoalSensor hello(hal, rtc, config);
    hello.begin(Wake::kPowerOn);
    CHECK(counters.insert(decode_last(hal, config).counter).second);
    run_until_asleep(hello, hal);
    for (int g = 0; g < boot % 4; ++g) {
      hal.clock_ms += 5000;
      GoalSensor woken(hal, rtc, config);
      woken.begin(Wake::kTrigger);
      ++goals;
      const auto beacon = decode_last(hal, config);
      CHECK_EQ(beacon.goals, goals);
      CHECK(counters.insert(beacon.counter).second);
      run_until_asleep(woken, hal);
    }
  }
  CHECK_EQ(hal.nvs.goals, goals);
}

TEST(a_rattling_trigger_never_keeps_the_radio_on_past_the_limit) {
  FakeHal hal;
  RtcState rtc;
  const auto config = make_config(false);
  GoalSensor sensor(hal, rtc, config);
  sensor.begin(Wake::kPowerOn);
  run_until_asleep(sensor, hal);
  hal.clock_ms += 10000;
  const uint64_t start = hal.clock_ms;
  GoalSensor woken(hal, rtc, config);
  woken.begin(Wake::kTrigger);
  while (woken.awake()) {
    hal.clock_ms += 1100;
    woken.trigger();
    woken.tick();
  }
  CHECK(hal.clock_ms - start <= config.max_awake_ms + 1100);
  CHECK(woken.goals() <= 15u);
}
