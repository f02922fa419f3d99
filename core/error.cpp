#include "core/error.hpp"

namespace slatetrain {

void throw_error(const char* file, int line, const std::string& message) {
  std::ostringstream full;
  full << message << " (" << file << ":" << line << ")";
  throw Error(full.str());
}

}  // namespace slatetrain
