#include "launch/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/slate_loader.hpp"
#include "launch/rank_gather.hpp"
#include "models/model_batch.hpp"
#include "models/ranking_metrics.hpp"

namespace slatetrain {

namespace {

// The metrics of every rank added together, means taken.
MetricMap finish_metrics(Communicator& host, RankingMetrics& metrics) {
  auto sums = metrics.sums();
  host.allreduce(sums.data(), sums.size(), ElementType::kFloat64, ReduceOp::kSum);
  metrics.set_sums(sums);
  auto& flags = metrics.recommended_flags();
  host.allreduce(flags.data(), flags.size(), ElementType::kUInt8, ReduceOp::kMax);
  return metrics.results();
}

}  // namespace

LoaderOptions Evaluator::loader_options(LoaderPhase phase) const {
  // Evaluation and click counting read every user once, in source order.
  LoaderOptions options;
  options.directory = options_.directory;
  options.phase = phase;
  options.batch_users = options_.batch_users;
  options.shuffle = false;
  options.prefetch_batches = options_.prefetch_batches;
  options.window_steps = options_.window_steps;
  return options;
}

Evaluator::Evaluator(Communicator& host, Communicator& device_communicator, Backend& backend,
                     ShardedEmbedding& embedding, EvaluationOptions options)
    : host_(host),
      device_communicator_(device_communicator),
      backend_(backend),
      embedding_(embedding),
      options_(std::move(options)),
      ranker_(std::make_unique<CatalogueRanker>(host_, device_communicator_, backend_, embedding_,
                                                options_.ids, options_.score_budget_floats)) {
  REQUIRE(!options_.ks.empty(), "evaluation needs at least one cut-off k");
  std::sort(options_.ks.begin(), options_.ks.end());
}

std::vector<Evaluator::RankedUser> Evaluator::users_to_rank(const SequenceBatch& batch,
                                                            std::vector<int64_t>& rows) const {
  const IdConventions& ids = options_.ids;
  const bool has_earlier = !batch.earlier_offsets.empty();
  std::vector<RankedUser> users;
  rows.clear();
  for (int64_t b = 0; b < batch.valid_users; ++b) {
    RankedUser user;
    int first_evaluated = -1;
    for (int t = 0; t < batch.max_steps; ++t) {
      const int64_t i = batch.step_index(b, t);
      if (!batch.step_mask[static_cast<size_t>(i)]) continue;
      if (first_evaluated < 0) first_evaluated = t;
      const int64_t item = batch.item[static_cast<size_t>(i)];
      if (ids.is_item(item)) user.targets.push_back(item);
    }
    if (user.targets.empty()) continue;  // nothing to find: not ranked, not counted
    user.steps_seen = first_evaluated;
    if (options_.exclude_seen) {
      for (int t = 0; t < first_evaluated; ++t) {
        const int64_t item = batch.item[static_cast<size_t>(batch.step_index(b, t))];
        if (ids.is_item(item)) user.excluded.push_back(item);
      }
      if (has_earlier) {
        for (int64_t e = batch.earlier_offsets[b]; e < batch.earlier_offsets[b + 1]; ++e) {
          user.excluded.push_back(batch.earlier_items[static_cast<size_t>(e)]);
        }
      }
      std::sort(user.excluded.begin(), user.excluded.end());
      user.excluded.erase(std::unique(user.excluded.begin(), user.excluded.end()),
                          user.excluded.end());
    }
    users.push_back(std::move(user));
    rows.push_back(b);
  }
  return users;
}

int64_t Evaluator::keep_within_cap(std::vector<RankedUser>& users, std::vector<int64_t>& rows,
                                   int64_t evaluated) const {
  const auto counts = gather_counts(host_, static_cast<int64_t>(users.size()));
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  if (options_.max_users <= 0) return total;
  const int64_t remaining = std::max<int64_t>(0, options_.max_users - evaluated);
  const int64_t before = std::accumulate(counts.begin(), counts.begin() + host_.rank(), int64_t{0});
  const auto kept = static_cast<size_t>(
      std::clamp<int64_t>(remaining - before, 0, static_cast<int64_t>(users.size())));
  users.resize(kept);
  rows.resize(kept);
  return std::min(total, remaining);
}

void Evaluator::warn_if_empty(const MetricMap& metrics, LoaderPhase phase) {
  const auto users = metrics.find("users");
  if (users == metrics.end() || users->second > 0 || !warned_empty_.insert(phase).second) return;
  if (host_.rank() == 0) {
    std::fprintf(stderr,
                 "slatetrain: warning: the '%s' split has no user to evaluate (no clicked item "
                 "in its held-out steps): its metrics are null\n",
                 loader_phase_name(phase));
  }
}

void Evaluator::rank_phase(RecommenderModel& model, LoaderPhase phase, int k,
                           const Objective* objective, const std::string& progress_label,
                           const std::function<void(const RankedBatch&)>& visit,
                           ItemRanker* ranker) {
  if (!ranker) ranker = ranker_.get();
  SlateLoader loader(loader_options(phase), &host_);
  loader.start_epoch(0);
  const int64_t dim = embedding_.dim();
  UserModel& user_model = model.user_model();
  int64_t evaluated_users = 0;
  Progress progress(progress_label, loader.batches_per_epoch(), "batches");
  progress.set_enabled(host_.rank() == 0);
  SequenceBatch batch;
  int64_t batches = 0;
  while (loader.next(batch)) {
    // Which users count (up to the cap) is settled first, so that a held-out likelihood
    // covers the same users' rows: a row past the last counted user loses its held-out steps.
    RankedBatch ranked;
    ranked.batch = &batch;
    ranked.users = users_to_rank(batch, ranked.batch_rows);
    const size_t rankable = ranked.users.size();
    const int64_t kept_users = keep_within_cap(ranked.users, ranked.batch_rows, evaluated_users);
    if (ranked.users.size() < rankable) {
      const int64_t cut = ranked.users.empty() ? 0 : ranked.batch_rows.back() + 1;
      for (int64_t b = cut; b < batch.batch_users; ++b) {
        for (int t = 0; t < batch.max_steps; ++t) {
          batch.step_mask[static_cast<size_t>(batch.step_index(b, t))] = 0;
        }
      }
    }
    const ModelBatch model_batch = build_model_batch(batch, model.input_options(), objective, 0);
    const SequenceInputs inputs = model_batch.sequence_inputs();
    Tensor rows;
    embedding_.lookup_unique(model_batch.unique_ids, rows);

    const auto& users = ranked.users;
    std::vector<float> vectors(users.size() * static_cast<size_t>(dim));
    if (batch.batch_users > 0) {
      std::vector<int32_t> steps_seen(static_cast<size_t>(batch.batch_users), 0);
      for (size_t u = 0; u < users.size(); ++u) {
        steps_seen[ranked.batch_rows[u]] = users[u].steps_seen;
      }
      Tensor user_device(backend_, {batch.batch_users, dim}, DType::kFloat32);
      user_model.user_vectors_after(user_device.data<float>(), inputs, rows.data<float>(),
                                    steps_seen.data());
      const auto all = user_device.to_host<float>();
      for (size_t u = 0; u < users.size(); ++u) {
        std::copy_n(all.begin() + ranked.batch_rows[u] * dim, dim, vectors.begin() + u * dim);
      }
    }
    std::vector<std::vector<int64_t>> excluded(users.size());
    for (size_t u = 0; u < users.size(); ++u) excluded[u] = users[u].excluded;
    ranked.top = ranker->rank(vectors, excluded, k);
    ranked.vectors = std::move(vectors);
    ranked.model_batch = &model_batch;
    ranked.rows = rows.data<float>();
    visit(ranked);
    progress.update(++batches);
    evaluated_users += kept_users;
    if (options_.max_users > 0 && evaluated_users >= options_.max_users) break;
  }
  progress.finish();
}

MetricMap Evaluator::evaluate_model(RecommenderModel& model, LoaderPhase phase) {
  const int k = options_.ks.back();
  RankingMetrics metrics(options_.ks, embedding_.num_items(), options_.ids.first_item);
  UserModel& user_model = model.user_model();
  Objective& objective = model.objective();
  const bool likelihood = objective.has_held_out_likelihood();
  std::map<std::string, std::pair<double, int64_t>> likelihoods;  // name -> (sum, steps)
  rank_phase(model, phase, k, likelihood ? &objective : nullptr,
             std::string("evaluate ") + loader_phase_name(phase), [&](const RankedBatch& ranked) {
               // The objective's held-out log-likelihoods (step seed 0 for any draws).
               if (likelihood) {
                 const SequenceInputs inputs = ranked.model_batch->sequence_inputs();
                 const float* user = user_model.encode(inputs, ranked.rows, EncodeContext{});
                 for (const HeldOutLikelihood& part : objective.held_out_likelihoods(
                          *ranked.model_batch->objective, user, ranked.rows, inputs.num_rows)) {
                   likelihoods[part.name].first += part.sum;
                   likelihoods[part.name].second += part.steps;
                 }
               }
               std::vector<int64_t> top(static_cast<size_t>(k));
               for (size_t u = 0; u < ranked.users.size(); ++u) {
                 std::copy_n(ranked.top.items.begin() + u * k, k, top.begin());
                 metrics.add_user(top.data(), k, ranked.users[u].targets);
               }
             });
  MetricMap results = finish_metrics(host_, metrics);
  // Every rank holds the same names (the objective's, also when a rank or the whole split had
  // no batch), so the reductions match.
  if (likelihood) {
    for (const std::string& name : objective.held_out_likelihood_names()) likelihoods[name];
  }
  for (const auto& [name, part] : likelihoods) {
    double totals[2] = {part.first, static_cast<double>(part.second)};
    host_.allreduce(totals, 2, ElementType::kFloat64, ReduceOp::kSum);
    // No held-out step: undefined (null), not 0.0, the best log-likelihood there is.
    results[name] =
        totals[1] > 0 ? totals[0] / totals[1] : std::numeric_limits<double>::quiet_NaN();
    results[name + "_steps"] = totals[1];
  }
  warn_if_empty(results, phase);
  return results;
}

std::vector<int64_t> Evaluator::count_training_clicks() {
  SlateLoader loader(loader_options(LoaderPhase::kTrain), &host_);
  loader.start_epoch(0);
  std::vector<int64_t> counts(static_cast<size_t>(embedding_.num_items()), 0);
  SequenceBatch batch;
  while (loader.next(batch)) {
    for (size_t i = 0; i < batch.item.size(); ++i) {
      const int64_t click = batch.item[i];
      if (batch.step_mask[i] && options_.ids.is_item(click)) ++counts[static_cast<size_t>(click)];
    }
  }
  host_.allreduce(counts.data(), counts.size(), ElementType::kInt64, ReduceOp::kSum);
  return counts;
}

MetricMap Evaluator::evaluate_popularity(const std::vector<int64_t>& click_counts,
                                         LoaderPhase phase) {
  const int k = options_.ks.back();
  // Every item, most clicked first (ties to the lower id): a user's top k is the first k of
  // them that are not excluded for that user.
  std::vector<int64_t> ranking;
  for (int64_t item = options_.ids.first_item; item < static_cast<int64_t>(click_counts.size());
       ++item) {
    ranking.push_back(item);
  }
  std::stable_sort(ranking.begin(), ranking.end(),
                   [&](int64_t a, int64_t b) { return click_counts[a] > click_counts[b]; });

  SlateLoader loader(loader_options(phase), &host_);
  loader.start_epoch(0);
  RankingMetrics metrics(options_.ks, embedding_.num_items(), options_.ids.first_item);
  SequenceBatch batch;
  std::vector<int64_t> top;
  int64_t evaluated_users = 0;
  while (loader.next(batch)) {
    std::vector<int64_t> rows;
    auto users = users_to_rank(batch, rows);
    evaluated_users += keep_within_cap(users, rows, evaluated_users);
    for (const auto& user : users) {
      top.clear();
      for (int64_t item : ranking) {
        if (static_cast<int>(top.size()) == k) break;
        if (!std::binary_search(user.excluded.begin(), user.excluded.end(), item)) {
          top.push_back(item);
        }
      }
      metrics.add_user(top.data(), static_cast<int64_t>(top.size()), user.targets);
    }
    if (options_.max_users > 0 && evaluated_users >= options_.max_users) break;
  }
  MetricMap results = finish_metrics(host_, metrics);
  warn_if_empty(results, phase);
  return results;
}

}  // namespace slatetrain
