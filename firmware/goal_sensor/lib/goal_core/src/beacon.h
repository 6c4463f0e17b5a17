// The goal beacon of docs/protocol.md §2.1-2.3: the manufacturer-data payload (company id
// 0xFFFF, magic "EH") and the whole legacy advertisement. Byte-for-byte the same as the
// Python core (edge_hub_core/beacon.py); both are checked against tests/vectors/beacons.json.
#pragma once

#include <cstddef>
#include <cstdint>

namespace goal {

constexpr uint16_t kCompanyId = 0xFFFF;
constexpr uint8_t kVersion = 1;
constexpr uint8_t kFlagEncrypted = 0x01;
constexpr uint8_t kFlagHeartbeat = 0x02;
constexpr uint8_t kFlagBatteryLow = 0x04;
constexpr uint8_t kFlagWantsAck = 0x08;
constexpr size_t kBodyLen = 11;
constexpr size_t kPlainLen = 4 + kBodyLen;          // 15
constexpr size_t kEncryptedLen = kPlainLen + 4 + 4;  // 23
constexpr size_t kMicLen = 4;
constexpr size_t kMaxAdvertLen = 31;
constexpr uint16_t kSinceGoalUnknown = 0xFFFF;

struct Beacon {
  uint32_t goals = 0;
  uint16_t since_goal_ds = kSinceGoalUnknown;
  uint16_t battery_mv = 0;
  uint8_t firmware[3] = {0, 0, 0};
  uint8_t packet_id = 0;
  uint8_t flags = 0;     // kFlag*; kFlagEncrypted is set by encode_beacon from `key`
  uint32_t counter = 0;  // the replay counter (encrypted only)
};

// Errors named as the Python decoder's BeaconError reasons (the vectors' "error" field).
enum class BeaconError : uint8_t {
  kOk,
  kTooShort,
  kBadMagic,
  kUnknownVersion,
  kBadLength,
  kNoKey,
  kMicFailed,
  kBadField,
  kReplayed,
};
const char* error_name(BeaconError error);

// The manufacturer payload (after the company id) into `out` (kEncryptedLen bytes room).
// With `key` (16 bytes, or nullptr for plain) and the device `mac` (6 bytes, most significant
// first) the body is encrypted with `beacon.counter`. Returns the length (15 or 23).
size_t encode_beacon(const Beacon& beacon, const uint8_t* key, const uint8_t mac[6],
                     uint8_t* out);

// The whole advertisement: Flags AD (02 01 06) + manufacturer AD with company id 0xFFFF.
// Returns its length (22 or 30), 0 if it would not fit `out_size`.
size_t build_advert(const uint8_t* payload, size_t payload_len, uint8_t* out, size_t out_size);

// The scan response: Complete Local Name "Edge Goal XXXX" (the MAC's last two bytes).
size_t build_scan_response(const uint8_t mac[6], uint8_t* out, size_t out_size);

// Decodes a payload as Home Assistant does (the tests use it to check the encoder).
BeaconError decode_beacon(const uint8_t* payload, size_t len, const uint8_t* key,
                          const uint8_t mac[6], Beacon* out);

}  // namespace goal
