#include "launch/history_vectors.hpp"

#include <algorithm>

#include "core/tensor.hpp"
#include "models/model_batch.hpp"

namespace slatetrain {

std::vector<float> history_user_vectors(RecommenderModel& model, ShardedEmbedding& embedding,
                                        Backend& backend,
                                        const std::vector<const History*>& histories) {
  const int64_t users = static_cast<int64_t>(histories.size());
  const int longest_window = model.user_model().max_steps();  // 0: any
  int steps = 1;
  for (const History* history : histories) {
    steps = std::max(steps, static_cast<int>(history->items.size()));
  }
  if (longest_window > 0) steps = std::min(steps, longest_window);

  SequenceBatch batch;
  batch.batch_users = users;
  batch.valid_users = users;
  batch.max_steps = steps;
  batch.user_row.assign(static_cast<size_t>(users), -1);
  batch.split.assign(static_cast<size_t>(users), 0);
  batch.item.assign(static_cast<size_t>(users * steps), 0);
  batch.interaction_type.assign(static_cast<size_t>(users * steps), 0);
  batch.step_mask.assign(static_cast<size_t>(users * steps), 0);
  std::vector<int32_t> steps_seen(static_cast<size_t>(users), 0);
  for (int64_t b = 0; b < users; ++b) {
    const History& history = *histories[static_cast<size_t>(b)];
    const int64_t length = static_cast<int64_t>(history.items.size());
    const int64_t first = std::max<int64_t>(0, length - steps);  // the window: the last events
    for (int64_t e = first; e < length; ++e) {
      const int64_t i = batch.step_index(b, static_cast<int>(e - first));
      batch.item[static_cast<size_t>(i)] = static_cast<int32_t>(history.items[e]);
      batch.interaction_type[static_cast<size_t>(i)] = history.interaction_types[e];
    }
    steps_seen[static_cast<size_t>(b)] = static_cast<int32_t>(length - first);
  }

  const ModelBatch model_batch = build_model_batch(batch, model.input_options(), nullptr, 0);
  const SequenceInputs inputs = model_batch.sequence_inputs();
  Tensor rows;
  embedding.lookup_unique(model_batch.unique_ids, rows);
  const int64_t dim = embedding.dim();
  if (users == 0) return {};
  Tensor vectors(backend, {users, dim}, DType::kFloat32);
  model.user_model().user_vectors_after(vectors.data<float>(), inputs, rows.data<float>(),
                                        steps_seen.data());
  return vectors.to_host<float>();
}

}  // namespace slatetrain
