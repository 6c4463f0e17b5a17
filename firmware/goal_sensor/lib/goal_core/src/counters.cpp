#include "counters.h"

namespace goal {
namespace {

bool same(const Persisted& a, const Persisted& b) {
  return a.goals == b.goals && a.counter_reserved == b.counter_reserved &&
         a.last_ack_counter == b.last_ack_counter && a.heartbeat_min == b.heartbeat_min &&
         a.game_mode == b.game_mode;
}

}  // namespace

bool restore_state(RtcState& rtc, Hal& hal) {
  if (rtc.magic == kRtcMagic) return false;
  Persisted stored;
  if (!hal.load(&stored)) stored = Persisted();
  rtc = RtcState();
  rtc.magic = kRtcMagic;
  rtc.saved = stored;
  rtc.live = stored;
  // every counter below the stored bound may have been used before the power went
  rtc.counter_next = stored.counter_reserved;
  return true;
}

bool next_replay_counter(RtcState& rtc, Hal& hal, uint32_t block, uint32_t* out) {
  if (rtc.counter_next >= rtc.live.counter_reserved) {
    const uint32_t bound = rtc.counter_next + (block ? block : 1);
    if (bound < rtc.counter_next) return false;  // 2^32 counters used: the key must change
    rtc.live.counter_reserved = bound;
    if (!persist(rtc, hal)) {
      // not reserved durably: using it could repeat after a power loss
      rtc.live.counter_reserved = rtc.saved.counter_reserved;
      return false;
    }
  }
  *out = rtc.counter_next++;
  return true;
}

bool persist(RtcState& rtc, Hal& hal) {
  if (same(rtc.live, rtc.saved)) return true;
  if (!hal.save(rtc.live)) return false;
  rtc.saved = rtc.live;
  return true;
}

}  // namespace goal
