// RFC 3339 times: the vector reader for the venues' `…ss.<1-9 digits>Z` form
// must agree with the general reader on every input, valid or not. The
// general reader is the one the TS reference is checked against (through the
// normalizer's differential tests); here the two are compared directly, on
// edge cases and on a million generated and mutated strings.
#include "normalize/time.h"

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using tickwire::norm::parseRfc3339;
using tickwire::norm::TimeStatus;

namespace {

int failures = 0;
long compared = 0;

// Both readers on s, from a buffer holding exactly s (so a read past its end
// is caught by the sanitizers).
void agree(const std::string& s) {
  const std::vector<char> bytes(s.begin(), s.end());
  const std::string_view exact(bytes.data(), bytes.size());
  int64_t fast = -1, general = -1;
  const TimeStatus a = parseRfc3339(exact, fast);
  const TimeStatus b = parseRfc3339(exact, general, true);
  ++compared;
  if (a != b || (a == TimeStatus::Ok && fast != general)) {
    if (++failures <= 20) {
      std::fprintf(stderr, "disagree on \"%s\": status %d/%d, us %lld/%lld\n", s.c_str(), static_cast<int>(a),
                   static_cast<int>(b), static_cast<long long>(fast), static_cast<long long>(general));
    }
  }
}

void expect(const std::string& s, TimeStatus status, int64_t us = 0) {
  int64_t got = -1;
  const TimeStatus st = parseRfc3339(s, got);
  if (st != status || (status == TimeStatus::Ok && got != us)) {
    ++failures;
    std::fprintf(stderr, "\"%s\": status %d, us %lld; expected %d, %lld\n", s.c_str(), static_cast<int>(st),
                 static_cast<long long>(got), static_cast<int>(status), static_cast<long long>(us));
  }
  agree(s);
}

std::string two(uint64_t v) {
  return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
}

}  // namespace

int main() {
  // Known values (the fixtures' forms: 6 and 9 digits, trimmed fractions, none).
  expect("2021-04-17T16:43:30.244075Z", TimeStatus::Ok, 1618677810244075);
  expect("2023-02-09T20:32:50.714964855Z", TimeStatus::Ok, 1675974770714964);
  expect("2021-04-17T16:43:30.2Z", TimeStatus::Ok, 1618677810200000);
  expect("2021-04-17T16:43:30.24407Z", TimeStatus::Ok, 1618677810244070);
  expect("2021-04-17T16:43:30Z", TimeStatus::Ok, 1618677810000000);
  expect("1970-01-01T00:00:00.000001Z", TimeStatus::Ok, 1);
  expect("2024-02-29T23:59:59.999999Z", TimeStatus::Ok, 1709251199999999);
  expect("2023-02-29T00:00:00.000000Z", TimeStatus::Bad);
  expect("2021-13-01T00:00:00.000000Z", TimeStatus::Bad);
  expect("2021-00-01T00:00:00.000000Z", TimeStatus::Bad);
  expect("2021-04-00T00:00:00.000000Z", TimeStatus::Bad);
  expect("2021-04-31T00:00:00.000000Z", TimeStatus::Bad);
  expect("2021-04-17T24:00:00.000000Z", TimeStatus::Bad);
  expect("2021-04-17T23:60:00.000000Z", TimeStatus::Bad);
  expect("2021-04-17T23:59:60.000000Z", TimeStatus::Bad);
  expect("0001-01-01T00:00:00.000000Z", TimeStatus::BeforeEpoch);
  expect("1969-12-31T23:59:59.999999Z", TimeStatus::BeforeEpoch);
  expect("2021-04-17T16:43:30.Z", TimeStatus::Bad);
  expect("2021-04-17T16:43:30.1234567890Z", TimeStatus::Ok, 1618677810123456);
  expect("2021-04-17T16:43:30.244075z", TimeStatus::Bad);
  expect("2021-04-17t16:43:30.244075Z", TimeStatus::Bad);
  expect("2021-04-17T16:43:30,244075Z", TimeStatus::Bad);
  expect("2021-04-17T16:43:30.244075+01:00", TimeStatus::Ok, 1618674210244075);
  expect("2021-04-17T16:43:30.2440/5Z", TimeStatus::Bad);
  expect("2021-04-17T16:43:3:.244075Z", TimeStatus::Bad);
  expect("2021-04-17T16:43:30.24407:Z", TimeStatus::Bad);
  expect("287396-10-12T08:59:00.991Z", TimeStatus::Bad);

  std::mt19937_64 rng(20261127);
  const std::string alphabet = "0123456789-:.TZ+/ :;z\x7f\xff";
  for (int i = 0; i < 1'000'000; ++i) {
    // A time of the venues' form, any field value 0..99 (so out-of-range ones
    // too), 1..10 fraction digits; then, half the time, one to three bytes
    // replaced, one removed or one added.
    const int year = static_cast<int>(rng() % 10000), fraction = 1 + static_cast<int>(rng() % 10);
    std::string s = std::to_string(10000 + year).substr(1) + "-" + two(rng() % 100) + "-" + two(rng() % 100) + "T" +
                    two(rng() % 100) + ":" + two(rng() % 100) + ":" + two(rng() % 100) + ".";
    for (int d = 0; d < fraction; ++d) s += static_cast<char>('0' + rng() % 10);
    s += 'Z';
    switch (rng() % 6) {
      case 0:
        for (int m = 1 + static_cast<int>(rng() % 3); m > 0; --m)
          s[rng() % s.size()] = alphabet[rng() % alphabet.size()];
        break;
      case 1:
        s.erase(rng() % s.size(), 1);
        break;
      case 2:
        s.insert(rng() % (s.size() + 1), 1, alphabet[rng() % alphabet.size()]);
        break;
      default:
        break;
    }
    agree(s);
  }
  // Valid times across the range the venues use, every fraction length.
  for (int i = 0; i < 200'000; ++i) {
    const int year = 1970 + static_cast<int>(rng() % 400), fraction = 1 + static_cast<int>(rng() % 9);
    std::string s = std::to_string(year) + "-" + two(1 + rng() % 12) + "-" + two(1 + rng() % 28) + "T" +
                    two(rng() % 24) + ":" + two(rng() % 60) + ":" + two(rng() % 60) + ".";
    for (int d = 0; d < fraction; ++d) s += static_cast<char>('0' + rng() % 10);
    s += 'Z';
    agree(s);
  }
  std::printf("time_test: %ld strings compared, %d failures\n", compared, failures);
  return failures == 0 ? 0 : 1;
}
