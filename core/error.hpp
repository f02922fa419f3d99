// Errors: one exception type for the whole program, thrown with the place it came from.
// Each library gets its own check macro next to where it is used (CHECK_MPI in dist/,
// CHECK_HDF5 in data/, CHECK_CUDA and friends in core/cuda_error.hpp); all of them end here.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace slatetrain {

// A failure the user can act on: bad input, a failed library call, a dead rank.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error("message (file:line)").
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);

}  // namespace slatetrain

// RAISE(a << b << c): throw an Error built from a stream expression.
#define RAISE(stream_expression)                                 \
  do {                                                          \
    std::ostringstream fail_message_;                           \
    fail_message_ << stream_expression;                         \
    ::slatetrain::throw_error(__FILE__, __LINE__, fail_message_.str()); \
  } while (0)

// REQUIRE(condition, a << b): RAISE unless the condition holds.
#define REQUIRE(condition, stream_expression) \
  do {                                        \
    if (!(condition)) RAISE(stream_expression); \
  } while (0)
