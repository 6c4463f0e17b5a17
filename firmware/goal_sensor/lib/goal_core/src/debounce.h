// Goal trigger debounce: a microswitch or flap bounces, and a ball may rattle in the chute.
// An edge is a new goal only when at least `dead_time_ms` passed since the last counted goal
// (shorter while a game is played: the ack's game_mode). The last goal's time lives in RTC
// memory, so a bounce that re-wakes the chip from deep sleep is rejected too.
#pragma once

#include <cstdint>

namespace goal {

class Debouncer {
 public:
  Debouncer(uint32_t dead_time_ms, bool has_last, uint64_t last_goal_ms)
      : dead_time_ms_(dead_time_ms), has_last_(has_last), last_goal_ms_(last_goal_ms) {}

  // An active edge at `now_ms`: true if it is a new goal (and remembered as the last one).
  bool accept(uint64_t now_ms) {
    if (has_last_ && now_ms >= last_goal_ms_ && now_ms - last_goal_ms_ < dead_time_ms_) {
      return false;
    }
    has_last_ = true;
    last_goal_ms_ = now_ms;
    return true;
  }

  void set_dead_time(uint32_t dead_time_ms) { dead_time_ms_ = dead_time_ms; }
  uint32_t dead_time_ms() const { return dead_time_ms_; }
  bool has_last() const { return has_last_; }
  uint64_t last_goal_ms() const { return last_goal_ms_; }

 private:
  uint32_t dead_time_ms_;
  bool has_last_;
  uint64_t last_goal_ms_;
};

}  // namespace goal
