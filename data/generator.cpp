#include "data/generator.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/finn_format.hpp"
#include "data/generator_world.hpp"
#include "data/npz_writer.hpp"
#include "data/oracle_evaluation.hpp"
#include "data/output_directory.hpp"
#include "data/split.hpp"
#include "data/truth_evaluation.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

constexpr int kSteps = finn::kMaxSteps;
constexpr int kSlots = finn::kSlateSlots;

// A block of users simulated together (on several threads).
struct UserBlock {
  int64_t first_user = 0;
  std::vector<UserSteps> steps;
  std::vector<AnomalyCounts> anomalies;  // per thread
};

// Per-user records of the held-out users, in row order, by split.
struct HeldOutTable {
  std::vector<Split> split;   // [users]
  std::vector<int64_t> slot;  // [users]: index in valid/test below, or -1
  std::vector<HeldOutUser> valid, test;
};

HeldOutTable make_held_out_table(const GeneratorOptions& options) {
  HeldOutTable table;
  table.split = assign_split(options.num_users, options.split);
  table.slot.assign(table.split.size(), -1);
  int64_t valid = 0, test = 0;
  for (size_t u = 0; u < table.split.size(); ++u) {
    if (table.split[u] == Split::kValid) table.slot[u] = valid++;
    if (table.split[u] == Split::kTest) table.slot[u] = test++;
  }
  if (options.write_truth) {
    table.valid.resize(size_t(valid));
    table.test.resize(size_t(test));
  }
  return table;
}

void simulate_block(const GeneratorWorld& world, const GeneratorOptions& options,
                    HeldOutTable& held_out, UserBlock& block, int64_t first_user, int64_t count) {
  block.first_user = first_user;
  block.steps.resize(size_t(count));
  const int threads = static_cast<int>(std::min<int64_t>(options.threads, count));
  block.anomalies.assign(size_t(threads), AnomalyCounts{});
  auto work = [&](int thread) {
    // Contiguous user ranges per thread; each user's draws are its own, so the split of work
    // does not change the data.
    const int64_t begin = count * thread / threads, end = count * (thread + 1) / threads;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t user = first_user + i;
      HeldOutUser* record = nullptr;
      if (options.write_truth && held_out.slot[user] >= 0) {
        auto& records = held_out.split[user] == Split::kValid ? held_out.valid : held_out.test;
        record = &records[size_t(held_out.slot[user])];
      }
      simulate_user(world, options, user, block.steps[size_t(i)], record,
                    block.anomalies[size_t(thread)]);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool) thread.join();
}

// A temporary raw file of one [U, 20] array, written during the simulation pass and copied
// into its npz member afterwards (members are written one after another).
class StepArraySpool {
 public:
  explicit StepArraySpool(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "w+b");
    REQUIRE(file_ != nullptr, path << ": cannot create temporary file");
    std::setvbuf(file_, nullptr, _IOFBF, size_t(1) << 20);
  }
  ~StepArraySpool() {
    if (file_ != nullptr) std::fclose(file_);
    std::remove(path_.c_str());
  }
  void append(const int32_t* values, size_t count) {
    REQUIRE(std::fwrite(values, sizeof(int32_t), count, file_) == count,
            path_ << ": write failed (disk full?)");
  }
  // Copies the spooled values into the writer's current array, widened to int64 if asked.
  void copy_into(NpzWriter& writer, bool int64) {
    REQUIRE(std::fflush(file_) == 0 && std::fseek(file_, 0, SEEK_SET) == 0,
            path_ << ": cannot rewind");
    std::vector<int32_t> values(size_t(1) << 20);
    std::vector<int64_t> wide;
    size_t got;
    while ((got = std::fread(values.data(), sizeof(int32_t), values.size(), file_)) > 0) {
      if (int64) {
        wide.assign(values.begin(), values.begin() + got);
        writer.write(wide.data(), got * sizeof(int64_t));
      } else {
        writer.write(values.data(), got * sizeof(int32_t));
      }
    }
    REQUIRE(!std::ferror(file_), path_ << ": read failed");
  }

 private:
  std::string path_;
  FILE* file_ = nullptr;
};

// Appends int32 values to the writer's current array in the output width.
void write_values(NpzWriter& writer, const int32_t* values, size_t count, bool int64,
                  std::vector<int64_t>& wide) {
  if (int64) {
    wide.assign(values, values + count);
    writer.write(wide.data(), count * sizeof(int64_t));
  } else {
    writer.write(values, count * sizeof(int32_t));
  }
}

GeneratorReport write_data_npz(const GeneratorWorld& world, const GeneratorOptions& options,
                               HeldOutTable& held_out, const fs::path& directory) {
  GeneratorReport report;
  report.users = options.num_users;
  const NpyDtype dtype = options.int64 ? NpyDtype::kInt64 : NpyDtype::kInt32;
  const int64_t U = options.num_users;
  NpzWriter writer((directory / finn::kDataFile).string(), options.compress, options.deflate_level);
  std::vector<int64_t> wide;

  // userId: the row, as in the published file's ordering.
  writer.begin_array(finn::kUserIdArray, dtype, {U});
  {
    std::vector<int32_t> ids;
    for (int64_t first = 0; first < U; first += options.users_per_block) {
      const int64_t count = std::min(options.users_per_block, U - first);
      ids.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i) ids[size_t(i)] = static_cast<int32_t>(first + i);
      write_values(writer, ids.data(), ids.size(), options.int64, wide);
    }
  }
  writer.end_array();

  // One simulation pass: slate goes straight into its member, the [U, 20] arrays to spools.
  const char* step_arrays[] = {finn::kClickArray, finn::kClickIndexArray, finn::kSlateLengthsArray,
                               finn::kInteractionTypeArray};
  std::vector<std::unique_ptr<StepArraySpool>> spools;
  for (const char* name : step_arrays)
    spools.push_back(
        std::make_unique<StepArraySpool>((directory / (std::string(name) + ".spool")).string()));
  writer.begin_array(finn::kSlateArray, dtype, {U, kSteps, kSlots});
  Progress progress("synth", U, "users");
  const int64_t blocks = (U + options.users_per_block - 1) / options.users_per_block;
  UserBlock current, next;
  simulate_block(world, options, held_out, current, 0, std::min(options.users_per_block, U));
  std::vector<int32_t> column(size_t(options.users_per_block) * kSteps);
  for (int64_t b = 0; b < blocks; ++b) {
    // Simulate the next block while this one is compressed and written.
    std::future<void> ahead;
    if (b + 1 < blocks) {
      const int64_t first = (b + 1) * options.users_per_block;
      const int64_t count = std::min(options.users_per_block, U - first);
      ahead = std::async(std::launch::async, [&, first, count] {
        simulate_block(world, options, held_out, next, first, count);
      });
    }
    const size_t count = current.steps.size();
    for (const UserSteps& user : current.steps)
      write_values(writer, &user.slate[0][0], size_t(kSteps) * kSlots, options.int64, wide);
    for (size_t a = 0; a < spools.size(); ++a) {
      for (size_t i = 0; i < count; ++i) {
        const UserSteps& user = current.steps[i];
        const int32_t* row = a == 0   ? user.click
                             : a == 1 ? user.click_idx
                             : a == 2 ? user.slate_length
                                      : user.interaction_type;
        std::copy(row, row + kSteps, &column[i * kSteps]);
      }
      spools[a]->append(column.data(), count * kSteps);
    }
    for (const UserSteps& user : current.steps) {
      for (int t = 0; t < kSteps; ++t) {
        if (user.click[t] == 0) continue;
        ++report.real_steps;
        report.no_click_steps += user.click_idx[t] == 0 && user.click[t] == finn::kNoClickId;
        report.recommendation_steps += user.interaction_type[t] == finn::kInteractionRecommendation;
        report.slate_length_sum += user.slate_length[t];
      }
    }
    for (const auto& counts : current.anomalies) report.anomalies.add(counts);
    progress.update(static_cast<int64_t>(current.first_user + count));
    if (ahead.valid()) {
      ahead.get();
      std::swap(current, next);
    }
  }
  writer.end_array();
  progress.finish();
  for (size_t a = 0; a < spools.size(); ++a) {
    writer.begin_array(step_arrays[a], dtype, {U, kSteps});
    spools[a]->copy_into(writer, options.int64);
    writer.end_array();
    spools[a].reset();
  }
  writer.close();
  return report;
}

void write_item_attributes(const GeneratorWorld& world, const GeneratorOptions& options,
                           const fs::path& directory) {
  NpzWriter writer((directory / finn::kItemAttributesFile).string(), options.compress,
                   options.deflate_level);
  writer.begin_array(finn::kCategoryArray, NpyDtype::kFloat64, {world.num_items()});
  std::vector<double> block;
  for (int64_t first = 0; first < world.num_items(); first += 1 << 16) {
    const int64_t last = std::min<int64_t>(world.num_items(), first + (1 << 16));
    block.resize(size_t(last - first));
    for (int64_t i = first; i < last; ++i) block[size_t(i - first)] = world.item_category(i);
    writer.write(block.data(), block.size() * sizeof(double));
  }
  writer.end_array();
  writer.close();
}

void write_json(const fs::path& path, const nlohmann::json& value) {
  std::ofstream out(path);
  out << value.dump(1) << "\n";
  REQUIRE(out.good(), path.string() << ": write failed");
}

nlohmann::json index_to_value(const GeneratorWorld& world) {
  nlohmann::json category = nlohmann::json::object();
  category["0"] = "PAD";
  category["1"] = "noClick";
  category["2"] = "<UNK>";
  for (int g = 0; g < world.num_groups(); ++g)
    category[std::to_string(3 + g)] = world.group_name(g);
  return nlohmann::json{{"category", category},
                        {"interaction_type", {{"0", "<UNK>"}, {"1", "search"}, {"2", "rec"}}}};
}

// truth.json's oracle section: both splits, and how the figures were made.
nlohmann::json oracle_json(const GeneratorWorld& world, const GeneratorOptions& options,
                           const HeldOutTable& held_out, double& seconds) {
  OracleOptions oracle;
  oracle.rollouts = options.oracle_rollouts;
  oracle.seed = options.seed;
  oracle.max_ranked_users = options.truth_users;
  oracle.threads = options.threads;
  const OracleMetrics valid = evaluate_oracle(world, held_out.valid, oracle);
  const OracleMetrics test = evaluate_oracle(world, held_out.test, oracle);
  seconds = valid.seconds + test.seconds;
  return nlohmann::json{
      {"valid", oracle_metrics_json(valid)},
      {"test", oracle_metrics_json(test)},
      {"rollouts", oracle.rollouts},
      {"rollout_batches", std::min<int64_t>(oracle.batches, oracle.rollouts)},
      {"bootstrap_replicates", oracle.bootstrap_replicates},
      {"conditions_on",
       "the user's true state after t_testsplit steps (taste, groups of the last three clicks, "
       "the last clicked group) and number of remaining real steps; anomalies off"},
      {"ranking",
       "hitrate@k and ndcg@k: ids >= 3 (earlier clicks excluded) by the estimated probability "
       "of a click in the remaining steps; hits@k: by the estimated expected number of clicks; "
       "ties and never-shown items to the lower id"},
      {"estimator",
       "mean over rollouts of the generator's own process; per step each slate slot's choice "
       "probability (first-click probability for clicked@least once) instead of the drawn "
       "click"},
      {"standard_error",
       "monte_carlo: bootstrap over each user's rollout batches, per-user variances pooled; "
       "user_sampling: spread of the per-user figures over sqrt(users)"}};
}

}  // namespace

GeneratorReport generate_finn_dataset(const GeneratorOptions& options,
                                      const std::string& output_dir, bool force) {
  check_generator_options(options);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(!output_dir.empty(), "--output is empty");
  // Checks (before any work) that an existing output_dir is one synth wrote (--force).
  OutputDirectory output(output_dir, force, OutputKind::kSynthDataset);
  const fs::path temporary_path = output.temporary_path();

  const GeneratorWorld world(options);
  HeldOutTable held_out = make_held_out_table(options);
  GeneratorReport report = write_data_npz(world, options, held_out, temporary_path);
  write_item_attributes(world, options, temporary_path);
  write_json(temporary_path / finn::kIndexToValueFile, index_to_value(world));

  nlohmann::json generator{
      {"seed", options.seed},
      {"users", options.num_users},
      {"items", options.num_items},
      {"groups", world.num_groups()},
      {"int_dtype", options.int64 ? "int64" : "int32"},
      {"compressed", options.compress},
      {"anomaly_rate", options.anomaly_rate},
      {"real_steps", report.real_steps},
      {"steps_per_user", double(report.real_steps) / double(options.num_users)},
      {"no_click_ratio",
       double(report.no_click_steps) / double(std::max<int64_t>(1, report.real_steps))},
      {"rec_share",
       double(report.recommendation_steps) / double(std::max<int64_t>(1, report.real_steps))},
      {"mean_slate_length",
       double(report.slate_length_sum) / double(std::max<int64_t>(1, report.real_steps))},
      {"anomalies",
       {{"slate_length_over_slots", report.anomalies.slate_length_over_slots},
        {"click_not_in_slate", report.anomalies.click_not_in_slate},
        {"unknown_in_slate", report.anomalies.unknown_in_slate}}}};
  write_json(temporary_path / "generator.json", generator);

  if (options.write_truth) {
    nlohmann::json truth;
    truth["valid"] = truth_metrics_json(evaluate_truth(
        world, held_out.valid, options.split.t_testsplit, options.truth_users, options.threads));
    truth["test"] = truth_metrics_json(evaluate_truth(
        world, held_out.test, options.split.t_testsplit, options.truth_users, options.threads));
    truth["split"] = {{"seed", options.split.seed},
                      {"valid_fraction", options.split.valid_fraction},
                      {"test_fraction", options.split.test_fraction},
                      {"t_testsplit", options.split.t_testsplit}};
    truth["truth_users_cap"] =
        options.truth_users == 0 ? nlohmann::json(nullptr) : nlohmann::json(options.truth_users);
    truth["ranking"] =
        "true state after t_testsplit steps ranks ids >= 3 (earlier clicks excluded) by "
        "scale*u.e + (popularity_weight+1)*log w; users without a later click not counted";
    truth["oracle"] = nullptr;
    if (options.write_oracle) {
      truth["oracle"] = oracle_json(world, options, held_out, report.oracle_seconds);
    }
    write_json(temporary_path / "truth.json", truth);
  }

  output.commit();  // appears atomically; a replaced output is removed only now
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace slatetrain
