// The C++ encoder against every vector of tests/vectors/beacons.json, byte for byte, and the
// C++ decoders against every invalid vector (the same error names as the Python decoder).
#include <string>
#include <vector>

#include "ack.h"
#include "beacon.h"
#include "hex.h"
#include "tiny_test.h"

namespace {

struct BeaconVector {
  const char* name;
  const char* address;
  const char* key;
  uint32_t goals;
  uint16_t since_goal_ds;
  uint16_t battery_mv;
  uint8_t firmware[3];
  uint8_t packet_id;
  uint8_t flags;
  uint32_t counter;
  const char* payload_hex;
  const char* advert_hex;
};

struct InvalidVector {
  const char* name;
  const char* address;
  const char* key;
  const char* hex;
  const char* error;
};

struct AckVector {
  const char* name;
  const char* address;
  const char* key;
  uint32_t acked_goals;
  uint32_t unix_time;
  uint8_t game_mode;
  uint16_t heartbeat_min;
  uint32_t counter;
  const char* hex;
};

#include "vectors.inc"

template <typename T, size_t N>
constexpr size_t count(const T (&)[N]) {
  return N;
}

}  // namespace

TEST(vectors_are_loaded) {
  CHECK(count(kValidBeacons) >= 6);
  CHECK(count(kInvalidBeacons) >= 10);
  CHECK(count(kValidAcks) >= 4);
  CHECK(count(kInvalidAcks) >= 7);
}

TEST(encoder_matches_every_valid_beacon_vector) {
  for (const BeaconVector& v : kValidBeacons) {
    goal::Beacon b;
    b.goals = v.goals;
    b.since_goal_ds = v.since_goal_ds;
    b.battery_mv = v.battery_mv;
    for (int i = 0; i < 3; ++i) b.firmware[i] = v.firmware[i];
    b.packet_id = v.packet_id;
    b.flags = v.flags;
    b.counter = v.counter;
    const auto mac = mac_from(v.address);
    const auto key = from_hex(v.key);
    uint8_t payload[goal::kEncryptedLen];
    const size_t len = goal::encode_beacon(b, v.key ? key.data() : nullptr, mac.data(), payload);
    CHECK_EQ(to_hex(payload, len), std::string(v.payload_hex));
    uint8_t advert[goal::kMaxAdvertLen];
    const size_t advert_len = goal::build_advert(payload, len, advert, sizeof(advert));
    CHECK_EQ(to_hex(advert, advert_len), std::string(v.advert_hex));
    if (to_hex(payload, len) != v.payload_hex) std::printf("    vector: %s\n", v.name);
  }
}

TEST(decoder_reads_every_valid_beacon_vector) {
  for (const BeaconVector& v : kValidBeacons) {
    const auto mac = mac_from(v.address);
    const auto key = from_hex(v.key);
    const auto payload = from_hex(v.payload_hex);
    goal::Beacon b;
    const auto error = goal::decode_beacon(payload.data(), payload.size(),
                                           v.key ? key.data() : nullptr, mac.data(), &b);
    CHECK_EQ(std::string(goal::error_name(error)), std::string("ok"));
    CHECK_EQ(b.goals, v.goals);
    CHECK_EQ(b.since_goal_ds, v.since_goal_ds);
    CHECK_EQ(b.battery_mv, v.battery_mv);
    CHECK_EQ(b.packet_id, v.packet_id);
    CHECK_EQ(b.flags, v.flags);
    CHECK_EQ(b.counter, v.counter);
    CHECK_EQ(b.firmware[0] * 10000 + b.firmware[1] * 100 + b.firmware[2],
             v.firmware[0] * 10000 + v.firmware[1] * 100 + v.firmware[2]);
  }
}

TEST(decoder_rejects_every_invalid_beacon_vector_with_the_same_reason) {
  for (const InvalidVector& v : kInvalidBeacons) {
    const auto mac = mac_from(v.address);
    const auto key = from_hex(v.key);
    const auto payload = from_hex(v.hex);
    goal::Beacon b;
    const auto error = goal::decode_beacon(payload.data(), payload.size(),
                                           v.key ? key.data() : nullptr, mac.data(), &b);
    CHECK_EQ(std::string(goal::error_name(error)), std::string(v.error));
  }
}

TEST(ack_decoder_matches_every_valid_ack_vector) {
  for (const AckVector& v : kValidAcks) {
    const auto mac = mac_from(v.address);
    const auto key = from_hex(v.key);
    const auto data = from_hex(v.hex);
    goal::Ack ack;
    const auto error = goal::decode_ack(data.data(), data.size(), v.key ? key.data() : nullptr,
                                        mac.data(), 0, &ack);
    CHECK_EQ(std::string(goal::error_name(error)), std::string("ok"));
    CHECK_EQ(ack.acked_goals, v.acked_goals);
    CHECK_EQ(ack.unix_time, v.unix_time);
    CHECK_EQ(ack.game_mode, v.game_mode);
    CHECK_EQ(ack.heartbeat_min, v.heartbeat_min);
    CHECK_EQ(ack.counter, v.counter);
    uint8_t encoded[goal::kAckEncryptedLen];
    const size_t len = goal::encode_ack(ack, v.key ? key.data() : nullptr, mac.data(), encoded);
    CHECK_EQ(to_hex(encoded, len), std::string(v.hex));
  }
}

TEST(ack_decoder_rejects_every_invalid_ack_vector) {
  for (const InvalidVector& v : kInvalidAcks) {
    const auto mac = mac_from(v.address);
    const auto key = from_hex(v.key);
    const auto data = from_hex(v.hex);
    goal::Ack ack;
    const auto error = goal::decode_ack(data.data(), data.size(), v.key ? key.data() : nullptr,
                                        mac.data(), 0, &ack);
    CHECK_EQ(std::string(goal::error_name(error)), std::string(v.error));
  }
}

TEST(encrypted_ack_replay_is_rejected) {
  const AckVector& v = kValidAcks[2];
  REQUIRE(v.key != nullptr);
  const auto mac = mac_from(v.address);
  const auto key = from_hex(v.key);
  const auto data = from_hex(v.hex);
  goal::Ack ack;
  CHECK(goal::decode_ack(data.data(), data.size(), key.data(), mac.data(), v.counter, &ack) ==
        goal::BeaconError::kReplayed);
  CHECK(goal::decode_ack(data.data(), data.size(), key.data(), mac.data(), v.counter - 1, &ack) ==
        goal::BeaconError::kOk);
}

TEST(scan_response_names_the_sensor) {
  const auto mac = mac_from("54:48:E6:8F:80:A5");
  uint8_t out[31];
  const size_t len = goal::build_scan_response(mac.data(), out, sizeof(out));
  REQUIRE(len == 16);
  CHECK_EQ(out[1], 0x09);
  CHECK_EQ(std::string(reinterpret_cast<const char*>(out + 2), 14), std::string("Edge Goal 80A5"));
}
