// A tiny self-registering test framework (no dependencies, works offline with plain g++).
// TEST(name) { CHECK(cond); CHECK_EQ(a, b); REQUIRE(cond); }  -- run_all() runs them all.
#pragma once

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace tiny {

struct Case {
  const char* name;
  void (*fn)();
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

struct Failed {};

inline int& failures() {
  static int count = 0;
  return count;
}

inline bool& current_failed() {
  static bool failed = false;
  return failed;
}

struct Register {
  Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline void report(const char* file, int line, const std::string& what) {
  std::printf("    %s:%d: %s\n", file, line, what.c_str());
  current_failed() = true;
}

template <typename T>
std::string show(const T& value) {
  return std::to_string(value);
}
inline std::string show(const std::string& value) { return "\"" + value + "\""; }
inline std::string show(const char* value) { return value ? show(std::string(value)) : "null"; }
inline std::string show(bool value) { return value ? "true" : "false"; }

inline int run_all(const char* filter) {
  int passed = 0, failed = 0;
  for (const Case& c : registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    current_failed() = false;
    try {
      c.fn();
    } catch (const Failed&) {
    }
    if (current_failed()) {
      std::printf("FAIL %s\n", c.name);
      ++failed;
    } else {
      ++passed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace tiny

#define TINY_CAT2(a, b) a##b
#define TINY_CAT(a, b) TINY_CAT2(a, b)
#define TEST(name)                                                         \
  static void TINY_CAT(test_, name)();                                     \
  static tiny::Register TINY_CAT(reg_, name)(#name, &TINY_CAT(test_, name)); \
  static void TINY_CAT(test_, name)()

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) tiny::report(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define REQUIRE(cond)                                                    \
  do {                                                                   \
    if (!(cond)) {                                                       \
      tiny::report(__FILE__, __LINE__, "REQUIRE(" #cond ")");            \
      throw tiny::Failed();                                              \
    }                                                                    \
  } while (0)

#define CHECK_EQ(a, b)                                                                    \
  do {                                                                                    \
    const auto& tiny_a = (a);                                                             \
    const auto& tiny_b = (b);                                                             \
    if (!(tiny_a == tiny_b)) {                                                            \
      tiny::report(__FILE__, __LINE__,                                                    \
                   "CHECK_EQ(" #a ", " #b "): " + tiny::show(tiny_a) + " != " + tiny::show(tiny_b)); \
    }                                                                                     \
  } while (0)
