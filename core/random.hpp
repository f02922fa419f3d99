// Deterministic random numbers. Two kinds:
//  - hash_mix(seed, counter): a stateless, counter-based value, so that what a user or step
//    draws does not depend on how work is split over ranks or threads;
//  - Random: a small stateful generator (xoshiro256**) whose state fits in a checkpoint.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

// The hash is also evaluated in CUDA kernels (dropout masks), so these three are host and
// device functions there: one definition on both sides.
#ifdef __CUDACC__
#define SLATETRAIN_HOST_DEVICE __host__ __device__
#else
#define SLATETRAIN_HOST_DEVICE
#endif

namespace slatetrain {

// The SplitMix64 finaliser: a bijective mix of 64 bits.
SLATETRAIN_HOST_DEVICE inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// hash_mix in two parts, for loops over counters: the key of (seed, stream) once, then one mix
// per counter. hash_with_key(hash_key(seed, stream), counter) == hash_mix(seed, stream, counter).
SLATETRAIN_HOST_DEVICE inline uint64_t hash_key(uint64_t seed, uint64_t stream) {
  return mix64(seed ^ mix64(stream));
}
SLATETRAIN_HOST_DEVICE inline uint64_t hash_with_key(uint64_t key, uint64_t counter) {
  return mix64(key + counter);
}

// A well-spread 64-bit value for (seed, stream, counter).
SLATETRAIN_HOST_DEVICE inline uint64_t hash_mix(uint64_t seed, uint64_t stream,
                                                uint64_t counter = 0) {
  return hash_with_key(hash_key(seed, stream), counter);
}

// Uniform in [0, 1) from 64 random bits (53 bits of mantissa).
SLATETRAIN_HOST_DEVICE inline double to_unit_double(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// The smallest 64-bit value whose to_unit_double is >= probability, for probability in [0, 1):
// to_unit_double(bits) >= probability exactly when bits >= unit_double_threshold(probability),
// so inner loops (dropout masks) compare integers instead of converting every value.
// (floor(bits / 2^11) >= p 2^53 holds iff floor(bits / 2^11) >= ceil(p 2^53); p 2^53 is exact.)
inline uint64_t unit_double_threshold(double probability) {
  return static_cast<uint64_t>(std::ceil(probability * 0x1.0p53)) << 11;
}

class Random {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Random(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& word : state_) {
      x = mix64(x);
      word = x;
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  double uniform() { return to_unit_double(next()); }

  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method).
  uint64_t below(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Standard normal (Box-Muller; one value per call keeps the state simple to save).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  State state_{};
};

}  // namespace slatetrain
