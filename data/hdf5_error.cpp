#include "data/hdf5_error.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "core/error.hpp"

namespace slatetrain {

namespace {

struct StackEntries {
  std::vector<std::string> functions, descriptions;
};

herr_t collect_entry(unsigned, const H5E_error2_t* entry, void* client_data) {
  auto* entries = static_cast<StackEntries*>(client_data);
  entries->functions.push_back(entry->func_name != nullptr ? entry->func_name : "?");
  entries->descriptions.push_back(entry->desc != nullptr ? entry->desc : "");
  return 0;
}

// The operating system's words in a driver entry ("... error message = 'No space left on
// device', ..."), or "".
std::string system_error_of(const std::string& description) {
  const std::string key = "error message = '";
  const size_t start = description.find(key);
  if (start == std::string::npos) return "";
  const size_t end = description.find('\'', start + key.size());
  if (end == std::string::npos) return "";
  return description.substr(start + key.size(), end - start - key.size());
}

// A driver entry carries a long list of values after its first clause: keep the clause.
std::string first_clause(const std::string& description) {
  size_t end = description.size();
  for (const char* stop : {", ", ": time =", "\n"}) end = std::min(end, description.find(stop));
  return description.substr(0, end);
}

StackEntries current_stack() {
  StackEntries entries;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_entry, &entries);  // innermost first
  return entries;
}

std::string system_error_in(const StackEntries& entries) {
  for (const auto& description : entries.descriptions) {
    const std::string found = system_error_of(description);
    if (!found.empty()) return found;
  }
  return "";
}

// "innermost: what; outermost: what" (the most specific entry and the call the program made).
std::string condensed(const StackEntries& entries) {
  const size_t count = entries.functions.size();
  if (count == 0) return "";
  std::string message = entries.functions[0] + ": " + first_clause(entries.descriptions[0]);
  if (count > 1) {
    message +=
        "; " + entries.functions[count - 1] + ": " + first_clause(entries.descriptions[count - 1]);
  }
  return message;
}

}  // namespace

void silence_hdf5_errors() {
  // The thread-safe HDF5 keeps the automatic printing per thread: switch it off once in every
  // thread that calls HDF5 (the loader's thread and the main thread both do).
  thread_local bool silenced = false;
  if (silenced) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  silenced = true;
}

std::string hdf5_error_stack_message() {
  return condensed(current_stack());
}

void throw_hdf5_error(const char* file, int line, const char* expression,
                      const std::string& context) {
  // The cause first (the operating system's, when HDF5 reports one), then HDF5's stack in
  // one line: its full dump runs to hundreds of lines for one failed write.
  const StackEntries entries = current_stack();
  const std::string system_error = system_error_in(entries);
  const std::string stack = condensed(entries);
  std::ostringstream message;
  if (!system_error.empty()) {
    message << context << ": " << system_error << " (HDF5: " << expression << " [" << stack << "])";
  } else {
    message << context << ": HDF5 call failed: " << expression;
    if (!stack.empty()) message << " [" << stack << "]";
  }
  H5Eclear2(H5E_DEFAULT);
  throw_error(file, line, message.str());
}

}  // namespace slatetrain
