// Hex helpers for the tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

inline std::vector<uint8_t> from_hex(const char* text) {
  std::vector<uint8_t> out;
  if (!text) return out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; text[i] && text[i + 1]; i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(text[i]) << 4 | nibble(text[i + 1])));
  }
  return out;
}

inline std::string to_hex(const uint8_t* data, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0x0F];
  }
  return out;
}

inline std::vector<uint8_t> mac_from(const char* address) {
  std::string hex;
  for (const char* p = address; *p; ++p) {
    if (*p != ':') hex += *p;
  }
  return from_hex(hex.c_str());
}
