#include "data/verify.hpp"

#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/checksum.hpp"
#include "data/converter_source.hpp"
#include "data/finn_checks.hpp"
#include "data/manifest.hpp"
#include "data/session_verify.hpp"
#include "data/shard_items.hpp"
#include "data/shard_reader.hpp"
#include "data/split.hpp"
#include "data/verify_files.hpp"

namespace slatetrain {

namespace {

namespace fs = std::filesystem;

// The shard's users turned back into dense source-shaped arrays (zeros where nothing is stored).
struct DenseUsers {
  std::vector<int64_t> click, click_idx, slate_lengths, interaction_type, slate;
};

class Verifier {
 public:
  explicit Verifier(const VerifyOptions& options) : options_(options) {}

  VerifyReport run() {
    manifest_ = Manifest::load(options_.output);
    check_output_files();
    FinnSource source(options_.input);
    check_source_files(source);
    check_sizes(source);
    checker_ = std::make_unique<FinnChecker>(finn_check_rules(source, false));
    check_items(source);
    check_arrays(source);
    return std::move(report_);
  }

 private:
  void problem(const std::string& text) { report_.problems.push_back(text); }

  void check_output_files() {
    slatetrain::check_output_files(manifest_, options_.output, report_.problems);
  }

  void check_source_files(const FinnSource& source) {
    for (const std::string& path :
         {source.data_path(), source.item_attributes_path(), source.index_to_value_path()})
      check_source_file(manifest_, fs::path(path).filename().string(), path, report_.problems);
  }

  template <typename T>
  void expect_equal(const char* what, const T& actual, const T& recorded) {
    if (actual == recorded) return;
    std::ostringstream text;
    text << kManifestFile << ": " << what << " is " << recorded << ", the source has " << actual;
    problem(text.str());
  }

  void check_sizes(const FinnSource& source) {
    expect_equal("num_users", source.num_users(), manifest_.num_users);
    expect_equal("num_items", source.num_items(), manifest_.num_items);
    expect_equal("max_steps", source.max_steps(), manifest_.max_steps);
    expect_equal("slate_slots", source.slate_slots(), manifest_.slate_slots);
    expect_equal("source int_dtype", source.int_dtype(), manifest_.source.int_dtype);
    expect_equal("source compressed", source.compressed(), manifest_.source.compressed);
    if (source.ind2val() != manifest_.ind2val)
      problem(std::string(kManifestFile) + ": ind2val differs from " +
              source.index_to_value_path());
    expect_equal("num_item_groups", static_cast<int64_t>(source.ind2val().at("category").size()),
                 manifest_.num_item_groups);
  }

  void check_items(const FinnSource& source) {
    const std::vector<double> expected = source.read_categories();
    const std::string path = manifest_.items_path(options_.output);
    const std::vector<double> actual = read_item_categories(path);
    if (actual.size() != expected.size()) {
      return problem(path + ": /items/category has " + std::to_string(actual.size()) +
                     " items, itemattr.npz 'category' has " + std::to_string(expected.size()));
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      // Bitwise: the conversion must keep every float exactly (NaN payloads and -0 included).
      if (std::memcmp(&actual[i], &expected[i], sizeof(double)) != 0) {
        std::ostringstream text;
        text.precision(17);
        text << path << ": /items/category[" << i << "] = " << actual[i]
             << ", itemattr.npz 'category' has " << expected[i];
        return problem(text.str());
      }
    }
    checker_->check_categories(expected, source.ind2val(), source.item_attributes_path());
  }

  // Rebuilds the dense arrays of `block` from the shard's users; a problem if the ragged data
  // cannot be placed (steps out of order or beyond the row, slates wider than the slots).
  bool densify(const UserBlock& users, int T, int S, const std::string& where, DenseUsers& dense) {
    const size_t steps = static_cast<size_t>(users.num_users() * T);
    for (auto* array :
         {&dense.click, &dense.click_idx, &dense.slate_lengths, &dense.interaction_type})
      array->assign(steps, 0);
    dense.slate.assign(steps * S, 0);
    for (int64_t u = 0; u < users.num_users(); ++u) {
      int previous_t = -1;
      for (int64_t i = users.step_offsets[u]; i < users.step_offsets[u + 1]; ++i) {
        const int t = users.t[i];
        const int64_t width = users.slate_offsets[i + 1] - users.slate_offsets[i];
        if (t <= previous_t || t >= T || width < 0 || width > S) {
          problem(where + ": user row " + std::to_string(users.row[u]) + " stored step " +
                  std::to_string(i) + " has t " + std::to_string(t) + " and slate width " +
                  std::to_string(width) + ", which do not fit the source's [" + std::to_string(T) +
                  ", " + std::to_string(S) + "] rows");
          return false;
        }
        previous_t = t;
        const size_t step = static_cast<size_t>(u * T + t);
        dense.click[step] = users.click[i];
        dense.click_idx[step] = users.click_idx[i];
        dense.slate_lengths[step] = users.slate_length[i];
        dense.interaction_type[step] = users.interaction_type[i];
        for (int64_t j = 0; j < width; ++j)
          dense.slate[step * S + j] = users.slate_item[users.slate_offsets[i] + j];
      }
    }
    return true;
  }

  // The first differing value of one [users, ...] array, as a problem naming row and step.
  bool compare(const char* array, const std::vector<int64_t>& source,
               const std::vector<int64_t>& shards, int64_t first_row, int64_t per_user, int T,
               const std::string& shard_path) {
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == shards[i]) continue;
      const int64_t user = static_cast<int64_t>(i) / per_user;
      std::ostringstream text;
      text << "data.npz array '" << array << "' user row " << first_row + user;
      const int64_t within = static_cast<int64_t>(i) % per_user;
      if (per_user > 1) {
        const int64_t per_step = per_user / T;
        text << " step " << within / per_step;
        if (per_step > 1) text << " position " << within % per_step;
      }
      text << ": source " << source[i] << ", shards " << shards[i] << " (" << shard_path << ")";
      problem(text.str());
      return false;
    }
    return true;
  }

  void check_arrays(FinnSource& source) {
    const int T = source.max_steps(), S = source.slate_slots();
    const std::vector<Split> split = assign_split(source.num_users(), manifest_.split);
    int64_t split_users[3] = {0, 0, 0};
    for (Split value : split) ++split_users[static_cast<int>(value)];
    expect_equal("split users train", split_users[0], manifest_.split.train_users);
    expect_equal("split users valid", split_users[1], manifest_.split.valid_users);
    expect_equal("split users test", split_users[2], manifest_.split.test_users);

    Progress progress("verify", source.num_users(), "users");
    progress.set_enabled(options_.show_progress);
    FinnSourceBlock block;
    DenseUsers dense;
    bool data_equal = true;
    for (size_t s = 0; s < manifest_.shards.size() && data_equal; ++s) {
      const ShardInfo& info = manifest_.shards[s];
      const std::string path = manifest_.shard_path(options_.output, s);
      ShardReader reader(path);
      if (reader.first_row() != info.first_row || reader.num_users() != info.users ||
          reader.num_steps() != info.steps || reader.num_slate_items() != info.slate_items ||
          reader.shard_index() != static_cast<int>(s) ||
          reader.shard_count() != static_cast<int>(manifest_.shards.size())) {
        problem(path + ": its header or sizes differ from manifest.json's shard entry");
        data_equal = false;
        break;
      }
      for (int64_t local = 0; local < info.users && data_equal;) {
        const int64_t count = std::min(options_.block_users, info.users - local);
        if (source.read_block(count, block) != count) {
          problem(source.data_path() + ": ended before the shards' users did");
          data_equal = false;
          break;
        }
        checker_->check(block);
        const UserBlock users = reader.read_users(local, local + count);
        const int64_t first_row = block.first_row;
        for (int64_t u = 0; u < count && data_equal; ++u) {
          const int64_t row = first_row + u;
          if (users.row[u] != row || users.user_id[u] != block.user_id[u] ||
              users.split[u] != static_cast<uint8_t>(split[static_cast<size_t>(row)])) {
            problem(path + ": user row " + std::to_string(row) + ": stored row " +
                    std::to_string(users.row[u]) + ", userId " + std::to_string(users.user_id[u]) +
                    " (source " + std::to_string(block.user_id[u]) + "), split " +
                    std::to_string(users.split[u]) + " (expected " +
                    std::to_string(static_cast<int>(split[static_cast<size_t>(row)])) + ")");
            data_equal = false;
          }
        }
        data_equal =
            data_equal && densify(users, T, S, path, dense) &&
            compare("click", block.click, dense.click, first_row, T, T, path) &&
            compare("click_idx", block.click_idx, dense.click_idx, first_row, T, T, path) &&
            compare("slate_lengths", block.slate_lengths, dense.slate_lengths, first_row, T, T,
                    path) &&
            compare("interaction_type", block.interaction_type, dense.interaction_type, first_row,
                    T, T, path) &&
            compare("slate", block.slate, dense.slate, first_row, int64_t{T} * S, T, path);
        if (data_equal) {
          report_.users_compared += count;
          report_.steps_compared += count * T;
          report_.slate_values_compared += count * T * S;
        }
        local += count;
        progress.update(source.rows_read());
      }
    }
    if (!data_equal) return;  // counts would only repeat the first mismatch
    progress.finish();
    if (source.rows_read() != source.num_users()) {
      problem("the shards hold " + std::to_string(source.rows_read()) + " users, data.npz has " +
              std::to_string(source.num_users()));
      return;
    }
    const FinnStatistics& statistics = checker_->statistics();
    expect_equal("num_stored_steps", statistics.stored_steps, manifest_.num_stored_steps);
    expect_equal("num_interactions", statistics.interactions, manifest_.num_interactions);
    expect_equal("num_slate_items", statistics.slate_items, manifest_.num_slate_items);
    if (statistics.histogram_vector() != manifest_.slate_length_histogram)
      problem(std::string(kManifestFile) + ": slate_length_histogram differs from the source's");
    for (const auto& [kind, count] : checker_->anomalies().counts) {
      const auto recorded = manifest_.anomalies.counts.find(kind);
      expect_equal(("anomalies " + kind).c_str(), count,
                   recorded == manifest_.anomalies.counts.end() ? int64_t{-1} : recorded->second);
    }
  }

  VerifyOptions options_;
  Manifest manifest_;
  VerifyReport report_;
  std::unique_ptr<FinnChecker> checker_;
};

}  // namespace

VerifyReport verify_conversion(const VerifyOptions& options) {
  if (Manifest::load(options.output).dataset != "finn") return verify_session_conversion(options);
  return Verifier(options).run();
}

}  // namespace slatetrain
