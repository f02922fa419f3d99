#include "data/inspect.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "data/file_crc32.hpp"
#include "data/manifest.hpp"
#include "data/shard_integrity.hpp"

namespace slatetrain {

namespace {

std::string format(const char* pattern, double a, double b = 0, double c = 0) {
  char text[160];
  std::snprintf(text, sizeof text, pattern, a, b, c);
  return text;
}

double percent(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// The shard table and items file lines, the same for both kinds, each file checked; returns
// the problems.
std::vector<std::string> print_files(const std::string& directory, const Manifest& m,
                                     std::ostream& out);

// A session conversion: what was read, what the filters removed, the protocol's users.
std::vector<std::string> inspect_sessions(const std::string& directory, const Manifest& m,
                                          std::ostream& out) {
  out << directory << ": " << m.dataset << " sessions (" << m.format << ", schema "
      << m.schema_version << ", " << m.created_by << ")\n";
  out << "  users         " << m.num_users << "\n";
  out << "  items         " << m.num_items - m.ids.first_item << " (ids " << m.ids.first_item
      << ".." << m.num_items - 1 << "; " << m.num_item_groups << " item groups)\n";
  out << "  events        " << m.num_interactions << " ("
      << format("%.2f", m.num_users ? static_cast<double>(m.num_interactions) / m.num_users : 0)
      << " per user, longest history " << m.max_steps << "; no slates)\n";
  out << "  per step      item, interaction_type";
  for (const std::string& name : m.step_datasets) out << ", " << name;
  out << "\n";
  if (m.interaction_types.size() > 1) {
    out << "  types        ";
    for (size_t t = 0; t < m.interaction_types.size(); ++t)
      out << " " << t << "=" << m.interaction_types[t];
    out << "\n";
  }
  if (m.item_groups.size() > 1) {
    out << "  item groups  ";
    for (size_t g = 1; g < m.item_groups.size() && g <= 12; ++g) out << " " << m.item_groups[g];
    if (m.item_groups.size() > 13) out << " ... (" << m.item_groups.size() - 1 << ")";
    out << "\n";
  }
  const nlohmann::json& conversion = m.conversion;
  out << "source        " << conversion.value("format", std::string("?")) << ":";
  for (const auto& file : m.source.files) out << " " << file.name << " " << file.bytes << " B";
  out << "\n";
  if (conversion.contains("counts")) {
    const nlohmann::json& counts = conversion["counts"];
    const nlohmann::json& filters = conversion["filters"];
    auto count = [&](const char* group, const char* key) {
      return counts.contains(group) && counts[group].contains(key) ? counts[group][key].dump()
                                                                   : std::string("?");
    };
    out << "  read          " << count("source", "records") << " records, "
        << count("source", "events") << " events, " << count("source", "users") << " users, "
        << count("source", "items") << " items";
    if (counts["source"].contains("records_skipped_by_locale"))
      out << " (" << count("source", "records_skipped_by_locale") << " records of other locales)";
    out << "\n";
    out << "  --min-rating  " << filters["min_rating"].dump() << ": "
        << count("min_rating", "removed_events") << " events removed\n";
    out << "  duplicates    "
        << (filters["remove_consecutive_duplicates"].get<bool>() ? "on" : "off") << ": "
        << count("consecutive_duplicates", "removed_events")
        << " consecutive duplicate events removed\n";
    out << "  k-core        users >= " << filters["min_user_interactions"].dump()
        << ", items >= " << filters["min_item_interactions"].dump() << ": "
        << count("k_core", "removed_events") << " events, " << count("k_core", "removed_users")
        << " users, " << count("k_core", "removed_items") << " items removed in "
        << count("k_core", "iterations") << " iterations\n";
  }
  out << "protocol " << protocol_name(m.protocol) << "\n";
  if (m.protocol == Protocol::kLeaveOneOut) {
    out << "  every user trains; " << m.leave_one_out.evaluated
        << " users have validation and test events, " << m.leave_one_out.train_only
        << " with fewer than " << kLeaveOneOutMinEvents << " events only train\n";
  } else {
    out << "  seed " << m.split.seed << ", t_testsplit " << m.split.t_testsplit << ": train "
        << m.split.train_users << "  valid " << m.split.valid_users << "  test "
        << m.split.test_users << "\n";
  }
  return print_files(directory, m, out);
}

}  // namespace

std::vector<std::string> inspect_directory(const std::string& directory, std::ostream& out) {
  const Manifest m = Manifest::load(directory);
  if (m.dataset != "finn") return inspect_sessions(directory, m, out);
  out << directory << ": " << m.dataset << " (" << m.format << ", schema " << m.schema_version
      << ", " << m.created_by << ")\n";
  out << "  users         " << m.num_users << "\n";
  out << "  items         " << m.num_items << " (" << m.num_item_groups << " item groups)\n";
  out << "  interactions  " << m.num_interactions << " ("
      << format("%.2f", m.num_users ? static_cast<double>(m.num_interactions) / m.num_users : 0)
      << " per user; " << m.num_stored_steps << " stored steps of " << m.max_steps
      << " per user)\n";
  out << "  slate items   " << m.num_slate_items << " ("
      << format("%.2f", m.num_stored_steps ? static_cast<double>(m.num_slate_items) /
                                                 static_cast<double>(m.num_stored_steps)
                                           : 0)
      << " per step, " << m.slate_slots << " slots)\n";
  out << "  source        " << m.source.int_dtype << ", "
      << (m.source.compressed ? "compressed" : "stored") << ";";
  for (const auto& file : m.source.files) out << " " << file.name << " " << file.bytes << " B";
  out << "\n";
  out << "split (seed " << m.split.seed << ", t_testsplit " << m.split.t_testsplit << ")\n";
  out << "  train " << m.split.train_users
      << format(" (%.2f%%)", percent(m.split.train_users, m.num_users)) << "  valid "
      << m.split.valid_users << format(" (%.2f%%)", percent(m.split.valid_users, m.num_users))
      << "  test " << m.split.test_users
      << format(" (%.2f%%)", percent(m.split.test_users, m.num_users)) << "\n";

  out << "slate_length histogram (stored steps)\n";
  const int64_t largest =
      m.slate_length_histogram.empty()
          ? 0
          : *std::max_element(m.slate_length_histogram.begin(), m.slate_length_histogram.end());
  for (size_t length = 0; length < m.slate_length_histogram.size(); ++length) {
    const int64_t count = m.slate_length_histogram[length];
    if (count == 0) continue;
    const int bar = largest > 0 ? static_cast<int>(40.0 * count / largest + 0.5) : 0;
    out << format("  %3.0f %12.0f %6.2f%% ", static_cast<double>(length),
                  static_cast<double>(count), percent(count, m.num_stored_steps))
        << std::string(static_cast<size_t>(bar), '#') << "\n";
  }

  out << "anomalies (" << m.anomalies.total() << ", kept as published)\n";
  for (const auto& [kind, count] : m.anomalies.counts) {
    out << "  " << kind << " " << count;
    for (const auto& example : m.anomalies.examples) {
      if (example.value("kind", "") == kind) {
        out << "  e.g. " << example.dump();
        break;
      }
    }
    out << "\n";
  }

  return print_files(directory, m, out);
}

namespace {

std::vector<std::string> print_files(const std::string& directory, const Manifest& m,
                                     std::ostream& out) {
  std::vector<std::string> problems;
  if (!m.conversion_id.empty()) out << "conversion " << m.conversion_id << "\n";
  out << "shards (" << m.shards.size() << ")\n";
  out << "  file                          first_row      users      steps  slate_items"
         "        bytes  crc32\n";
  for (size_t i = 0; i < m.shards.size(); ++i) {
    const ShardInfo& shard = m.shards[i];
    const std::string problem = check_shard(directory, m, i, ShardContentCheck::kCrc);
    if (!problem.empty()) problems.push_back(problem);
    char line[256];
    std::snprintf(line, sizeof line, "  %-28s %10lld %10lld %10lld %12lld %12lld  %s  %s\n",
                  shard.file.c_str(), static_cast<long long>(shard.first_row),
                  static_cast<long long>(shard.users), static_cast<long long>(shard.steps),
                  static_cast<long long>(shard.slate_items), static_cast<long long>(shard.bytes),
                  shard.crc32.c_str(), problem.empty() ? "ok" : "FAILED");
    out << line;
  }
  const std::string items = m.items_path(directory);
  std::string items_problem;
  std::error_code error;
  if (!std::filesystem::is_regular_file(items, error)) {
    items_problem = items + ": missing";
  } else if (static_cast<int64_t>(std::filesystem::file_size(items)) != m.items_file.bytes) {
    items_problem = items + ": " + std::to_string(std::filesystem::file_size(items)) +
                    " bytes, the manifest says " + std::to_string(m.items_file.bytes);
  } else if (crc32_file(items) != m.items_file.crc32) {
    items_problem = items + ": CRC-32 differs from the manifest's " + m.items_file.crc32;
  }
  if (!items_problem.empty()) problems.push_back(items_problem);
  out << "  " << m.items_file.file << " " << m.items_file.bytes << " B, crc32 "
      << m.items_file.crc32 << (items_problem.empty() ? "  ok" : "  FAILED") << "\n";
  return problems;
}

}  // namespace

}  // namespace slatetrain
