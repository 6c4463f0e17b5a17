// The GATT acknowledgement and time sync of docs/protocol.md §2.5, as the sensor decodes it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "beacon.h"

namespace goal {

constexpr const char* kServiceUuid = "e0f1a000-5d3c-4f0a-9b8e-6a1d2c3b4a50";
constexpr const char* kAckCharUuid = "e0f1a001-5d3c-4f0a-9b8e-6a1d2c3b4a50";
constexpr uint8_t kAckVersion = 1;
constexpr size_t kAckLen = 12;
constexpr size_t kAckEncryptedLen = kAckLen + 4 + kMicLen;  // 20
constexpr uint16_t kHeartbeatMinMin = 1;
constexpr uint16_t kHeartbeatMinMax = 1440;
constexpr uint8_t kGameIdle = 0;
constexpr uint8_t kGamePlaying = 1;

struct Ack {
  uint32_t acked_goals = 0;
  uint32_t unix_time = 0;
  uint8_t game_mode = kGameIdle;
  uint16_t heartbeat_min = 30;
  uint32_t counter = 0;  // HA's replay counter (encrypted acks only)
};

// With `key` only the encrypted 20-byte form is accepted, and its counter must be greater
// than `last_counter` (kReplayed otherwise). Without a key only the plain 12-byte form.
BeaconError decode_ack(const uint8_t* data, size_t len, const uint8_t* key, const uint8_t mac[6],
                       uint32_t last_counter, Ack* out);

// What Home Assistant writes (the tests use it; the sensor never sends an ack).
size_t encode_ack(const Ack& ack, const uint8_t* key, const uint8_t mac[6], uint8_t* out);

}  // namespace goal
