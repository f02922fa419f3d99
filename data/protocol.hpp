// The evaluation protocol of a converted dataset (docs/FORMAT.md, "Protocols"), chosen at
// conversion time and recorded in the manifest's "protocol"; the loader applies it, so nothing
// above data/ branches on the kind of dataset.
//   users:          held-out users (the published FINN split): validation and test users'
//                   first t_testsplit steps train, their later steps are evaluated.
//   leave-one-out:  each user's events in time order e_0..e_{n-1}: e_{n-1} is the test event,
//                   e_{n-2} the validation event, the rest train (users with fewer than
//                   kLeaveOneOutMinEvents events only train).
#pragma once

#include <string>

namespace slatetrain {

enum class Protocol { kUsers, kLeaveOneOut };

// A user needs this many events to have a validation and a test event under leave-one-out.
inline constexpr int kLeaveOneOutMinEvents = 3;

inline const char* protocol_name(Protocol protocol) {
  return protocol == Protocol::kUsers ? "users" : "leave-one-out";
}

// "users" or "leave-one-out"; false for anything else.
inline bool parse_protocol(const std::string& name, Protocol& protocol) {
  if (name == "users") {
    protocol = Protocol::kUsers;
    return true;
  }
  if (name == "leave-one-out") {
    protocol = Protocol::kLeaveOneOut;
    return true;
  }
  return false;
}

}  // namespace slatetrain
