#include "launch/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/slate_loader.hpp"
#include "dist/topk_merge.hpp"
#include "models/model_batch.hpp"
#include "models/ranking_metrics.hpp"

namespace slatetrain {

namespace {

std::vector<size_t> to_sizes(const std::vector<int64_t>& counts, int64_t factor = 1) {
  std::vector<size_t> sizes(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) sizes[i] = static_cast<size_t>(counts[i] * factor);
  return sizes;
}

// Every rank's `value`, in rank order.
std::vector<int64_t> gather_counts(Communicator& communicator, int64_t value) {
  std::vector<int64_t> counts(static_cast<size_t>(communicator.world_size()));
  communicator.allgather(&value, 1, counts.data(), ElementType::kInt64);
  return counts;
}

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
      options_(std::move(options)) {
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

std::vector<int64_t> Evaluator::rank_catalogue(const std::vector<float>& user_vectors,
                                               const std::vector<RankedUser>& users, int k) {
  const int world = host_.world_size();
  const int rank = host_.rank();
  const int64_t dim = embedding_.dim();
  const int64_t n = static_cast<int64_t>(users.size());

  // Everyone's users: vectors and exclusions, in rank order.
  const auto counts = gather_counts(host_, n);
  std::vector<int64_t> first_user(static_cast<size_t>(world) + 1, 0);
  for (int r = 0; r < world; ++r) first_user[r + 1] = first_user[r] + counts[r];
  const int64_t total = first_user[world];
  if (total == 0) return {};
  std::vector<float> all_vectors(static_cast<size_t>(total * dim));
  host_.allgatherv(user_vectors.data(), static_cast<size_t>(n * dim), all_vectors.data(),
                   to_sizes(counts, dim), ElementType::kFloat32);
  std::vector<int64_t> excluded_counts(static_cast<size_t>(n)), excluded_flat;
  for (int64_t u = 0; u < n; ++u) {
    excluded_counts[u] = static_cast<int64_t>(users[u].excluded.size());
    excluded_flat.insert(excluded_flat.end(), users[u].excluded.begin(), users[u].excluded.end());
  }
  std::vector<int64_t> all_excluded_counts(static_cast<size_t>(total));
  host_.allgatherv(excluded_counts.data(), excluded_counts.size(), all_excluded_counts.data(),
                   to_sizes(counts), ElementType::kInt64);
  const auto flat_counts = gather_counts(host_, static_cast<int64_t>(excluded_flat.size()));
  std::vector<int64_t> all_excluded(
      static_cast<size_t>(std::accumulate(flat_counts.begin(), flat_counts.end(), int64_t{0})));
  host_.allgatherv(excluded_flat.data(), excluded_flat.size(), all_excluded.data(),
                   to_sizes(flat_counts), ElementType::kInt64);

  // This rank's exclusions as local rows: the user's clicked items it owns, and ids 0-2.
  std::vector<int64_t> always_excluded;
  for (int64_t row = 0; row < embedding_.local_rows(); ++row) {
    if (options_.ids.is_item(embedding_.item_of_local_row(row))) break;
    always_excluded.push_back(row);
  }
  std::vector<std::vector<int64_t>> excluded_rows(static_cast<size_t>(total), always_excluded);
  for (int64_t u = 0, at = 0; u < total; ++u) {
    for (int64_t e = 0; e < all_excluded_counts[u]; ++e, ++at) {
      const int64_t item = all_excluded[static_cast<size_t>(at)];
      if (embedding_.owner_of(item) == rank)
        excluded_rows[u].push_back(embedding_.local_row_of(item));
    }
    std::sort(excluded_rows[u].begin(), excluded_rows[u].end());
  }

  // Score this rank's rows in chunks, keeping the best k per user so far.
  const int64_t local_rows = embedding_.local_rows();
  const int64_t chunk_rows = std::max<int64_t>(
      1, std::min<int64_t>(local_rows, options_.score_budget_floats / std::max<int64_t>(1, total)));
  Tensor users_device(backend_, {total, dim}, DType::kFloat32);
  users_device.copy_from_host(all_vectors);
  Tensor scores(backend_, {total, std::max<int64_t>(1, chunk_rows)}, DType::kFloat32);
  Tensor top_scores(backend_, {total, k}, DType::kFloat32);
  Tensor top_columns(backend_, {total, k}, DType::kInt32);
  std::vector<float> best_scores(static_cast<size_t>(total * k),
                                 -std::numeric_limits<float>::infinity());
  std::vector<int32_t> best_items(static_cast<size_t>(total * k), -1);
  std::vector<float> candidate_scores(static_cast<size_t>(2 * k));
  std::vector<int32_t> candidate_items(static_cast<size_t>(2 * k));
  const float* table = embedding_.table().data<float>();
  for (int64_t first = 0; first < local_rows; first += chunk_rows) {
    const int64_t columns = std::min(chunk_rows, local_rows - first);
    const int64_t chunk_k = std::min<int64_t>(k, columns);
    backend_.gemm(false, true, total, columns, dim, 1.0f, users_device.data<float>(),
                  table + first * dim, 0.0f, scores.data<float>());
    // The chunk's exclusions in CSR, columns relative to the chunk.
    std::vector<int64_t> offsets(static_cast<size_t>(total) + 1, 0);
    std::vector<int32_t> excluded_columns;
    for (int64_t u = 0; u < total; ++u) {
      const auto& rows = excluded_rows[u];
      for (auto it = std::lower_bound(rows.begin(), rows.end(), first);
           it != rows.end() && *it < first + columns; ++it) {
        excluded_columns.push_back(static_cast<int32_t>(*it - first));
      }
      offsets[u + 1] = static_cast<int64_t>(excluded_columns.size());
    }
    Tensor offsets_device(backend_, {total + 1}, DType::kInt64);
    offsets_device.copy_from_host(offsets);
    Tensor columns_device(backend_, {std::max<int64_t>(1, offsets.back())}, DType::kInt32);
    if (!excluded_columns.empty()) {
      backend_.copy_to_device(columns_device.data<int32_t>(), excluded_columns.data(),
                              excluded_columns.size() * sizeof(int32_t));
    }
    // top_k writes [total, chunk_k]; reuse the [total, k] buffers with that row stride.
    backend_.top_k(top_scores.data<float>(), top_columns.data<int32_t>(), scores.data<float>(),
                   total, columns, chunk_k, offsets_device.data<int64_t>(),
                   columns_device.data<int32_t>());
    std::vector<float> chunk_scores(static_cast<size_t>(total * chunk_k));
    std::vector<int32_t> chunk_items(static_cast<size_t>(total * chunk_k));
    backend_.copy_to_host(chunk_scores.data(), top_scores.data<float>(),
                          chunk_scores.size() * sizeof(float));
    backend_.copy_to_host(chunk_items.data(), top_columns.data<int32_t>(),
                          chunk_items.size() * sizeof(int32_t));
    columns_to_items(chunk_items, rank, world, first);
    for (int64_t u = 0; u < total; ++u) {
      std::copy_n(best_scores.begin() + u * k, k, candidate_scores.begin());
      std::copy_n(best_items.begin() + u * k, k, candidate_items.begin());
      std::copy_n(chunk_scores.begin() + u * chunk_k, chunk_k, candidate_scores.begin() + k);
      std::copy_n(chunk_items.begin() + u * chunk_k, chunk_k, candidate_items.begin() + k);
      best_k(candidate_scores.data(), candidate_items.data(), k + chunk_k, k,
             best_scores.data() + u * k, best_items.data() + u * k);
    }
  }

  TopK local;
  local.users = total;
  local.k = k;
  local.scores = std::move(best_scores);
  local.items = std::move(best_items);
  const TopK merged = merge_top_k(device_communicator_, backend_, local);
  std::vector<int64_t> mine(static_cast<size_t>(n * k));
  for (int64_t i = 0; i < n * k; ++i) mine[i] = merged.items[(first_user[rank]) * k + i];
  return mine;
}

MetricMap Evaluator::evaluate_model(RecommenderModel& model, LoaderPhase phase) {
  SlateLoader loader(loader_options(phase), &host_);
  loader.start_epoch(0);

  const int k = options_.ks.back();
  const int64_t dim = embedding_.dim();
  RankingMetrics metrics(options_.ks, embedding_.num_items(), options_.ids.first_item);
  UserModel& user_model = model.user_model();
  Objective& objective = model.objective();
  const bool likelihood = objective.has_held_out_likelihood();
  std::map<std::string, std::pair<double, int64_t>> likelihoods;  // name -> (sum, steps)
  int64_t evaluated_users = 0;
  Progress progress(std::string("evaluate ") + loader_phase_name(phase), loader.batches_per_epoch(),
                    "batches");
  progress.set_enabled(host_.rank() == 0);
  SequenceBatch batch;
  int64_t batches = 0;
  while (loader.next(batch)) {
    // Which users count (up to the cap) is settled first, so that the held-out likelihood
    // covers the same users' rows: a row past the last counted user loses its held-out steps.
    std::vector<int64_t> batch_rows;
    auto users = users_to_rank(batch, batch_rows);
    const size_t ranked = users.size();
    const int64_t kept_users = keep_within_cap(users, batch_rows, evaluated_users);
    if (users.size() < ranked) {
      const int64_t cut = users.empty() ? 0 : batch_rows.back() + 1;
      for (int64_t b = cut; b < batch.batch_users; ++b) {
        for (int t = 0; t < batch.max_steps; ++t) {
          batch.step_mask[static_cast<size_t>(batch.step_index(b, t))] = 0;
        }
      }
    }
    // The objective's held-out log-likelihoods (step seed 0 for any draws), when it has any;
    // the user vectors for the ranking either way.
    const ModelBatch model_batch =
        build_model_batch(batch, model.input_options(), likelihood ? &objective : nullptr, 0);
    const SequenceInputs inputs = model_batch.sequence_inputs();
    Tensor rows;
    embedding_.lookup_unique(model_batch.unique_ids, rows);
    if (likelihood) {
      const float* user = user_model.encode(inputs, rows.data<float>(), EncodeContext{});
      for (const HeldOutLikelihood& part : objective.held_out_likelihoods(
               *model_batch.objective, user, rows.data<float>(), inputs.num_rows)) {
        likelihoods[part.name].first += part.sum;
        likelihoods[part.name].second += part.steps;
      }
    }

    std::vector<float> vectors(users.size() * static_cast<size_t>(dim));
    if (batch.batch_users > 0) {
      std::vector<int32_t> steps_seen(static_cast<size_t>(batch.batch_users), 0);
      for (size_t u = 0; u < users.size(); ++u) steps_seen[batch_rows[u]] = users[u].steps_seen;
      Tensor user_device(backend_, {batch.batch_users, dim}, DType::kFloat32);
      user_model.user_vectors_after(user_device.data<float>(), inputs, rows.data<float>(),
                                    steps_seen.data());
      const auto all = user_device.to_host<float>();
      for (size_t u = 0; u < users.size(); ++u) {
        std::copy_n(all.begin() + batch_rows[u] * dim, dim, vectors.begin() + u * dim);
      }
    }
    const auto top = rank_catalogue(vectors, users, k);
    for (size_t u = 0; u < users.size(); ++u) {
      metrics.add_user(top.data() + u * k, k, users[u].targets);
    }
    progress.update(++batches);
    evaluated_users += kept_users;
    if (options_.max_users > 0 && evaluated_users >= options_.max_users) break;
  }
  progress.finish();
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
