#include "ack.h"

#include <cstring>

#include "bytes.h"
#include "ccm.h"

namespace goal {
namespace {

const uint8_t kNonceHeader[3] = {'E', 'H', 0xA1};

void make_nonce(const uint8_t mac[6], uint32_t counter, uint8_t nonce[kCcmNonceLen]) {
  std::memcpy(nonce, mac, 6);
  std::memcpy(nonce + 6, kNonceHeader, 3);
  put_u32le(nonce + 9, counter);
}

}  // namespace

BeaconError decode_ack(const uint8_t* data, size_t len, const uint8_t* key, const uint8_t mac[6],
                       uint32_t last_counter, Ack* out) {
  uint8_t body[kAckLen];
  out->counter = 0;
  if (key) {
    if (len != kAckEncryptedLen) return BeaconError::kBadLength;
    const uint32_t counter = get_u32le(data + kAckLen);
    uint8_t nonce[kCcmNonceLen];
    make_nonce(mac, counter, nonce);
    if (!ccm_decrypt(key, nonce, nullptr, 0, data, kAckLen, data + kAckLen + 4, kMicLen, body)) {
      return BeaconError::kMicFailed;
    }
    // only after the tag verified: an unauthenticated counter proves nothing
    if (counter <= last_counter) return BeaconError::kReplayed;
    out->counter = counter;
  } else {
    if (len != kAckLen) return BeaconError::kBadLength;
    std::memcpy(body, data, kAckLen);
  }
  if (body[0] != kAckVersion) return BeaconError::kUnknownVersion;
  const uint16_t heartbeat = get_u16le(body + 10);
  if (heartbeat < kHeartbeatMinMin || heartbeat > kHeartbeatMinMax) return BeaconError::kBadField;
  out->acked_goals = get_u32le(body + 1);
  out->unix_time = get_u32le(body + 5);
  out->game_mode = body[9];
  out->heartbeat_min = heartbeat;
  return BeaconError::kOk;
}

size_t encode_ack(const Ack& ack, const uint8_t* key, const uint8_t mac[6], uint8_t* out) {
  uint8_t body[kAckLen];
  body[0] = kAckVersion;
  put_u32le(body + 1, ack.acked_goals);
  put_u32le(body + 5, ack.unix_time);
  body[9] = ack.game_mode;
  put_u16le(body + 10, ack.heartbeat_min);
  if (!key) {
    std::memcpy(out, body, kAckLen);
    return kAckLen;
  }
  uint8_t nonce[kCcmNonceLen];
  make_nonce(mac, ack.counter, nonce);
  ccm_encrypt(key, nonce, nullptr, 0, body, kAckLen, out, out + kAckLen + 4, kMicLen);
  put_u32le(out + kAckLen, ack.counter);
  return kAckEncryptedLen;
}

}  // namespace goal
