// Counters that survive deep sleep (RTC memory) and power loss (NVS), written sparingly.
//
// The replay counter must never repeat for a key (docs/protocol.md §2.3), yet writing NVS
// for every packet would cost energy and flash wear. Reserve-ahead: NVS holds
// `counter_reserved`, an upper bound of every counter ever used. Counters are taken from RTC
// memory; when they reach the bound, a new block is reserved in NVS *before* the next one is
// used. After a power loss the sensor resumes at the stored bound, skipping at most one
// block, and never reuses a counter.
#pragma once

#include <cstdint>

#include "hal.h"

namespace goal {

constexpr uint32_t kDefaultCounterBlock = 64;

// Called at every wake-up. When the RTC memory is not valid (a power loss, or the first
// boot) loads NVS into it; returns true in that case.
bool restore_state(RtcState& rtc, Hal& hal);

// The next replay counter, never returned before even across power loss. False (and no
// counter) when a new block could not be reserved: the caller must not send encrypted.
bool next_replay_counter(RtcState& rtc, Hal& hal, uint32_t block, uint32_t* out);

// Writes NVS if the live values differ from what it holds; false if the write failed.
bool persist(RtcState& rtc, Hal& hal);

}  // namespace goal
