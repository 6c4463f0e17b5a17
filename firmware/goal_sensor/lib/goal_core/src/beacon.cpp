#include "beacon.h"

#include <cstring>

#include "bytes.h"
#include "ccm.h"

namespace goal {
namespace {

void make_nonce(const uint8_t mac[6], const uint8_t header3[3], uint32_t counter,
                uint8_t nonce[kCcmNonceLen]) {
  std::memcpy(nonce, mac, 6);
  std::memcpy(nonce + 6, header3, 3);
  put_u32le(nonce + 9, counter);
}

void write_body(const Beacon& beacon, uint8_t body[kBodyLen]) {
  put_u32le(body, beacon.goals);
  put_u16le(body + 4, beacon.since_goal_ds);
  put_u16le(body + 6, beacon.battery_mv);
  std::memcpy(body + 8, beacon.firmware, 3);
}

void read_body(const uint8_t body[kBodyLen], Beacon* out) {
  out->goals = get_u32le(body);
  out->since_goal_ds = get_u16le(body + 4);
  out->battery_mv = get_u16le(body + 6);
  std::memcpy(out->firmware, body + 8, 3);
}

}  // namespace

const char* error_name(BeaconError error) {
  switch (error) {
    case BeaconError::kOk: return "ok";
    case BeaconError::kTooShort: return "too_short";
    case BeaconError::kBadMagic: return "bad_magic";
    case BeaconError::kUnknownVersion: return "unknown_version";
    case BeaconError::kBadLength: return "bad_length";
    case BeaconError::kNoKey: return "no_key";
    case BeaconError::kMicFailed: return "mic_failed";
    case BeaconError::kBadField: return "bad_field";
    case BeaconError::kReplayed: return "replayed";
  }
  return "unknown";
}

size_t encode_beacon(const Beacon& beacon, const uint8_t* key, const uint8_t mac[6],
                     uint8_t* out) {
  uint8_t flags = beacon.flags & static_cast<uint8_t>(~kFlagEncrypted);
  if (key) flags |= kFlagEncrypted;
  out[0] = 'E';
  out[1] = 'H';
  out[2] = static_cast<uint8_t>((kVersion << 4) | (flags & 0x0F));
  out[3] = beacon.packet_id;
  uint8_t body[kBodyLen];
  write_body(beacon, body);
  if (!key) {
    std::memcpy(out + 4, body, kBodyLen);
    return kPlainLen;
  }
  uint8_t nonce[kCcmNonceLen];
  make_nonce(mac, out, beacon.counter, nonce);
  // associated data: magic, version/flags and packet id, so none can be altered
  ccm_encrypt(key, nonce, out, 4, body, kBodyLen, out + 4, out + kPlainLen + 4, kMicLen);
  put_u32le(out + kPlainLen, beacon.counter);
  return kEncryptedLen;
}

size_t build_advert(const uint8_t* payload, size_t payload_len, uint8_t* out, size_t out_size) {
  const size_t total = 3 + 2 + 2 + payload_len;
  if (total > kMaxAdvertLen || total > out_size) return 0;
  out[0] = 0x02;  // Flags: LE General Discoverable, BR/EDR not supported
  out[1] = 0x01;
  out[2] = 0x06;
  out[3] = static_cast<uint8_t>(payload_len + 3);  // type + company id + payload
  out[4] = 0xFF;
  put_u16le(out + 5, kCompanyId);
  std::memcpy(out + 7, payload, payload_len);
  return total;
}

size_t build_scan_response(const uint8_t mac[6], uint8_t* out, size_t out_size) {
  static const char kHex[] = "0123456789ABCDEF";
  char name[] = "Edge Goal XXXX";
  name[10] = kHex[mac[4] >> 4];
  name[11] = kHex[mac[4] & 0x0F];
  name[12] = kHex[mac[5] >> 4];
  name[13] = kHex[mac[5] & 0x0F];
  const size_t name_len = sizeof(name) - 1;
  if (name_len + 2 > out_size) return 0;
  out[0] = static_cast<uint8_t>(name_len + 1);
  out[1] = 0x09;  // Complete Local Name
  std::memcpy(out + 2, name, name_len);
  return name_len + 2;
}

BeaconError decode_beacon(const uint8_t* payload, size_t len, const uint8_t* key,
                          const uint8_t mac[6], Beacon* out) {
  // the same checks in the same order as edge_hub_core.beacon.decode
  if (len < kPlainLen) return BeaconError::kTooShort;
  if (payload[0] != 'E' || payload[1] != 'H') return BeaconError::kBadMagic;
  if ((payload[2] >> 4) != kVersion) return BeaconError::kUnknownVersion;
  out->flags = payload[2] & 0x0F;
  out->packet_id = payload[3];
  out->counter = 0;
  if (out->flags & kFlagEncrypted) {
    if (len != kEncryptedLen) return BeaconError::kBadLength;
    if (!key) return BeaconError::kNoKey;
    out->counter = get_u32le(payload + kPlainLen);
    uint8_t nonce[kCcmNonceLen];
    make_nonce(mac, payload, out->counter, nonce);
    uint8_t body[kBodyLen];
    if (!ccm_decrypt(key, nonce, payload, 4, payload + 4, kBodyLen, payload + kPlainLen + 4,
                     kMicLen, body)) {
      return BeaconError::kMicFailed;
    }
    read_body(body, out);
    return BeaconError::kOk;
  }
  if (len != kPlainLen) return BeaconError::kBadLength;
  read_body(payload + 4, out);
  return BeaconError::kOk;
}

}  // namespace goal
