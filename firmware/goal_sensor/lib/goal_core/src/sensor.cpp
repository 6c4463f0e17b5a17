#include "sensor.h"

namespace goal {

GoalSensor::GoalSensor(Hal& hal, RtcState& rtc, const Config& config)
    : hal_(hal), rtc_(rtc), config_(config), debouncer_(config.dead_time_idle_ms, false, 0) {}

uint32_t GoalSensor::dead_time_for(uint8_t game_mode) const {
  return game_mode == kGamePlaying ? config_.dead_time_playing_ms : config_.dead_time_idle_ms;
}

uint16_t GoalSensor::since_goal_ds(uint64_t now) const {
  if (!debouncer_.has_last() || now < debouncer_.last_goal_ms()) return kSinceGoalUnknown;
  const uint64_t ds = (now - debouncer_.last_goal_ms()) / 100;
  return ds >= kSinceGoalUnknown ? kSinceGoalUnknown : static_cast<uint16_t>(ds);
}

void GoalSensor::begin(Wake wake) {
  const bool power_loss = restore_state(rtc_, hal_);
  const uint64_t now = hal_.now_ms();
  session_start_ms_ = now;
  debouncer_ = Debouncer(dead_time_for(rtc_.live.game_mode), rtc_.has_last_goal,
                         rtc_.last_goal_ms);
  awake_ = true;
  if (wake == Wake::kTrigger) {
    rtc_.release_poll_ms = 0;
    if (trigger()) return;
    // a bounce inside the dead time: nothing to send
    awake_ = false;
    return;
  }
  if (wake == Wake::kTimer && !power_loss && now + 1000 < rtc_.next_heartbeat_ms) {
    // woken early only to see whether a held trigger was released
    awake_ = false;
    return;
  }
  // a heartbeat wake, or power-on (say hello at once: batteries were just put in)
  rtc_.release_poll_ms = 0;
  if (!send(true)) awake_ = false;
}

bool GoalSensor::trigger() {
  if (!awake_) return false;
  const uint64_t now = hal_.now_ms();
  if (now - session_start_ms_ >= config_.max_awake_ms) return false;
  if (!debouncer_.accept(now)) return false;
  rtc_.has_last_goal = true;
  rtc_.last_goal_ms = now;
  rtc_.live.goals += 1;
  // durable before it is announced: a power loss never takes back a goal HA has counted
  persist(rtc_, hal_);
  send(false);
  return true;
}

bool GoalSensor::send(bool heartbeat) {
  const uint64_t now = hal_.now_ms();
  const uint8_t* key = config_.has_key ? config_.key : nullptr;
  uint32_t counter = 0;
  if (key && !next_replay_counter(rtc_, hal_, config_.counter_block, &counter)) {
    // no durable counter (NVS failing): better silent than a reused nonce
    return false;
  }
  const uint16_t battery = hal_.battery_mv();
  beacon_ = Beacon();
  beacon_.goals = rtc_.live.goals;
  beacon_.since_goal_ds = since_goal_ds(now);
  beacon_.battery_mv = battery;
  for (int i = 0; i < 3; ++i) beacon_.firmware[i] = config_.firmware[i];
  beacon_.packet_id = ++rtc_.packet_id;  // a new content, a new packet id
  beacon_.flags = kFlagWantsAck;
  if (heartbeat) beacon_.flags |= kFlagHeartbeat;
  if (battery && battery < config_.battery_low_mv) beacon_.flags |= kFlagBatteryLow;
  beacon_.counter = counter;

  uint8_t payload[kEncryptedLen];
  const size_t payload_len = encode_beacon(beacon_, key, config_.mac, payload);
  uint8_t adv[kMaxAdvertLen];
  const size_t adv_len = build_advert(payload, payload_len, adv, sizeof(adv));
  uint8_t scan_rsp[kMaxAdvertLen];
  const size_t scan_rsp_len = build_scan_response(config_.mac, scan_rsp, sizeof(scan_rsp));
  hal_.advertise(adv, adv_len, scan_rsp, scan_rsp_len, true);
  advertising_ = true;
  rtc_.last_tx_ms = now;
  const uint64_t window = heartbeat ? config_.heartbeat_window_ms : config_.ack_window_ms;
  const uint64_t limit = session_start_ms_ + config_.max_awake_ms;
  deadline_ms_ = now + window < limit ? now + window : limit;
  return true;
}

AckResult GoalSensor::ack(const uint8_t* data, size_t len) {
  const uint8_t* key = config_.has_key ? config_.key : nullptr;
  Ack value;
  last_ack_error_ =
      decode_ack(data, len, key, config_.mac, rtc_.live.last_ack_counter, &value);
  if (last_ack_error_ != BeaconError::kOk) return AckResult::kRejected;
  if (key) rtc_.live.last_ack_counter = value.counter;
  rtc_.live.heartbeat_min = value.heartbeat_min;
  rtc_.live.game_mode = value.game_mode;
  debouncer_.set_dead_time(dead_time_for(value.game_mode));
  rtc_.time_synced = true;
  rtc_.unix_offset_ms =
      static_cast<int64_t>(value.unix_time) * 1000 - static_cast<int64_t>(hal_.now_ms());
  if (value.acked_goals < rtc_.live.goals) {
    // HA counted an older goal; the newer one is still being advertised
    return AckResult::kKeepAdvertising;
  }
  stop_advertising();
  deadline_ms_ = hal_.now_ms() + config_.ack_linger_ms;
  return AckResult::kDone;
}

void GoalSensor::tick() {
  if (!awake_) return;
  const uint64_t now = hal_.now_ms();
  if (now >= deadline_ms_ || now - session_start_ms_ >= config_.max_awake_ms) {
    stop_advertising();
    awake_ = false;
  }
}

void GoalSensor::stop_advertising() {
  if (advertising_) hal_.stop_advertising();
  advertising_ = false;
}

SleepPlan GoalSensor::prepare_sleep() {
  stop_advertising();
  awake_ = false;
  persist(rtc_, hal_);  // settings and the ack counter; goals were saved when counted
  const uint64_t now = hal_.now_ms();
  const uint64_t period = static_cast<uint64_t>(rtc_.live.heartbeat_min) * 60000;
  // any beacon proves the sensor alive: the next heartbeat is one period after the last
  rtc_.next_heartbeat_ms = rtc_.last_tx_ms + period;
  if (rtc_.next_heartbeat_ms <= now) rtc_.next_heartbeat_ms = now + period;
  SleepPlan plan{rtc_.next_heartbeat_ms - now, true};
  if (hal_.trigger_active()) {
    // a ball resting on the switch would wake the chip again at once: poll until released
    const uint32_t poll = rtc_.release_poll_ms ? rtc_.release_poll_ms * 2
                                              : config_.release_poll_first_ms;
    rtc_.release_poll_ms = poll < config_.release_poll_max_ms ? poll : config_.release_poll_max_ms;
    plan.wake_on_trigger = false;
    if (rtc_.release_poll_ms < plan.timer_ms) plan.timer_ms = rtc_.release_poll_ms;
  } else {
    rtc_.release_poll_ms = 0;
  }
  return plan;
}

}  // namespace goal
