#include "ccm.h"

#include <cstring>

#include "aes128.h"
#include "bytes.h"

namespace goal {
namespace {

constexpr size_t kL = 2;  // length field size: 15 - 13-byte nonce

bool valid_args(size_t aad_len, size_t len, size_t tag_len) {
  return tag_len >= 4 && tag_len <= 16 && tag_len % 2 == 0 && len <= 0xFFFF &&
         aad_len < 0xFF00;  // the 2-byte AAD length encoding
}

// CBC-MAC over B0, the encoded AAD and the message (RFC 3610 §2.2), the raw tag T.
void cbc_mac(const Aes128& aes, const uint8_t nonce[kCcmNonceLen], const uint8_t* aad,
             size_t aad_len, const uint8_t* msg, size_t len, size_t tag_len, uint8_t mac[16]) {
  uint8_t block[16];
  block[0] = static_cast<uint8_t>((aad_len ? 0x40 : 0x00) | (((tag_len - 2) / 2) << 3) | (kL - 1));
  std::memcpy(block + 1, nonce, kCcmNonceLen);
  block[14] = static_cast<uint8_t>(len >> 8);
  block[15] = static_cast<uint8_t>(len);
  aes.encrypt_block(block, mac);

  auto absorb = [&](const uint8_t* data, size_t n, size_t offset) {
    // xor `n` bytes into the running block starting at `offset`, encrypting full blocks
    size_t pos = offset;
    for (size_t i = 0; i < n; ++i) {
      mac[pos++] ^= data[i];
      if (pos == 16) {
        aes.encrypt_block(mac, mac);
        pos = 0;
      }
    }
    return pos;
  };

  if (aad_len) {
    const uint8_t encoded_len[2] = {static_cast<uint8_t>(aad_len >> 8),
                                    static_cast<uint8_t>(aad_len)};
    size_t pos = absorb(encoded_len, 2, 0);
    pos = absorb(aad, aad_len, pos);
    if (pos) aes.encrypt_block(mac, mac);  // zero padding: nothing to xor
  }
  if (len) {
    const size_t pos = absorb(msg, len, 0);
    if (pos) aes.encrypt_block(mac, mac);
  }
}

// CTR keystream block A_i (flags L-1, nonce, counter i) encrypted.
void keystream(const Aes128& aes, const uint8_t nonce[kCcmNonceLen], uint16_t i, uint8_t out[16]) {
  uint8_t a[16];
  a[0] = kL - 1;
  std::memcpy(a + 1, nonce, kCcmNonceLen);
  a[14] = static_cast<uint8_t>(i >> 8);
  a[15] = static_cast<uint8_t>(i);
  aes.encrypt_block(a, out);
}

void ctr_crypt(const Aes128& aes, const uint8_t nonce[kCcmNonceLen], const uint8_t* in,
               size_t len, uint8_t* out) {
  uint8_t stream[16];
  for (size_t offset = 0; offset < len; offset += 16) {
    keystream(aes, nonce, static_cast<uint16_t>(offset / 16 + 1), stream);
    const size_t n = len - offset < 16 ? len - offset : 16;
    for (size_t i = 0; i < n; ++i) out[offset + i] = in[offset + i] ^ stream[i];
  }
}

}  // namespace

bool ccm_encrypt(const uint8_t key[16], const uint8_t nonce[kCcmNonceLen], const uint8_t* aad,
                 size_t aad_len, const uint8_t* msg, size_t len, uint8_t* out, uint8_t* tag,
                 size_t tag_len) {
  if (!valid_args(aad_len, len, tag_len)) return false;
  const Aes128 aes(key);
  uint8_t mac[16];
  cbc_mac(aes, nonce, aad, aad_len, msg, len, tag_len, mac);  // before `out` may overwrite msg
  uint8_t s0[16];
  keystream(aes, nonce, 0, s0);
  for (size_t i = 0; i < tag_len; ++i) tag[i] = mac[i] ^ s0[i];
  ctr_crypt(aes, nonce, msg, len, out);
  return true;
}

bool ccm_decrypt(const uint8_t key[16], const uint8_t nonce[kCcmNonceLen], const uint8_t* aad,
                 size_t aad_len, const uint8_t* cipher, size_t len, const uint8_t* tag,
                 size_t tag_len, uint8_t* out) {
  if (!valid_args(aad_len, len, tag_len)) return false;
  const Aes128 aes(key);
  ctr_crypt(aes, nonce, cipher, len, out);
  uint8_t mac[16];
  cbc_mac(aes, nonce, aad, aad_len, out, len, tag_len, mac);
  uint8_t s0[16];
  keystream(aes, nonce, 0, s0);
  uint8_t expected[16];
  for (size_t i = 0; i < tag_len; ++i) expected[i] = mac[i] ^ s0[i];
  if (!equal_const_time(expected, tag, tag_len)) {
    std::memset(out, 0, len);
    return false;
  }
  return true;
}

}  // namespace goal
