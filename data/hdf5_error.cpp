#include "data/hdf5_error.hpp"

#include <mutex>
#include <sstream>

#include "core/error.hpp"

namespace slatetrain {

namespace {

herr_t collect_message(unsigned position, const H5E_error2_t* entry, void* client_data) {
  auto* message = static_cast<std::string*>(client_data);
  // The innermost entries (position 0 first) are the most specific; keep the first few.
  if (position >= 4) return 0;
  if (!message->empty()) *message += "; ";
  *message += entry->func_name != nullptr ? entry->func_name : "?";
  *message += ": ";
  *message += entry->desc != nullptr ? entry->desc : "";
  return 0;
}

}  // namespace

void silence_hdf5_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::string hdf5_error_stack_message() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_message, &message);
  return message;
}

void throw_hdf5_error(const char* file, int line, const char* expression,
                      const std::string& context) {
  std::ostringstream message;
  message << context << ": HDF5 call failed: " << expression;
  const std::string stack = hdf5_error_stack_message();
  if (!stack.empty()) message << " [" << stack << "]";
  H5Eclear2(H5E_DEFAULT);
  throw_error(file, line, message.str());
}

}  // namespace slatetrain
