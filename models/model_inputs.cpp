#include "models/model_inputs.hpp"

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/finn_format.hpp"
#include "models/batch_ids.hpp"

namespace slatetrain {

ModelInputs ModelBatch::inputs() const {
  ModelInputs inputs;
  inputs.batch_users = batch_users;
  inputs.max_steps = max_steps;
  inputs.slate_slots = slate_slots;
  inputs.negatives = negatives;
  inputs.num_rows = static_cast<int64_t>(unique_ids.size());
  inputs.slate_rows = slate_rows.data();
  inputs.click_rows = click_rows.data();
  inputs.advance = advance.data();
  inputs.target = target.data();
  inputs.positive_rows = positive_rows.data();
  inputs.negative_rows = negatives > 0 ? negative_rows.data() : nullptr;
  inputs.slate_length = slate_length.data();
  inputs.interaction_type = interaction_type.data();
  return inputs;
}

namespace {

// Whether step (b,t)'s click is a choice within its slate (DESIGN.md section 5).
bool is_slate_choice(const SequenceBatch& batch, int64_t step, int slots) {
  const int32_t click = batch.item[step];
  const int index = batch.click_idx[step];
  if (click == finn::kPadId || index >= slots) return false;
  if (batch.slate[step * slots + index] != click) return false;  // published anomaly
  return index == 0 || click >= finn::kFirstItemId;
}

}  // namespace

ModelBatch build_model_batch(const SequenceBatch& batch, const ModelBatchOptions& options,
                             const std::vector<int32_t>* negative_ids) {
  const int64_t B = batch.batch_users;
  const int T = batch.max_steps, S = batch.slate_slots, K = options.negatives;
  const int64_t steps = B * T;
  REQUIRE(static_cast<int64_t>(batch.item.size()) == steps &&
              static_cast<int64_t>(batch.slate.size()) == steps * S &&
              static_cast<int64_t>(batch.step_mask.size()) == steps,
          "build_model_batch: batch arrays do not match B=" << B << " T=" << T << " S=" << S);
  REQUIRE(K == 0 || (negative_ids && static_cast<int64_t>(negative_ids->size()) == steps * K),
          "build_model_batch: " << K << " negatives per step need negative ids [" << B << "," << T
                                << "," << K << "]");

  ModelBatch out;
  out.batch_users = static_cast<int>(B);
  out.max_steps = T;
  out.slate_slots = S;
  out.negatives = K;
  out.slate_rows.assign(steps * S, -1);
  out.click_rows.assign(steps, -1);
  out.target.assign(steps, -1);
  out.positive_rows.assign(steps, -1);
  out.negative_rows.assign(steps * K, -1);
  out.advance.assign(steps, 0);
  out.slate_length.assign(batch.slate_length.begin(), batch.slate_length.end());
  out.interaction_type.assign(batch.interaction_type.begin(), batch.interaction_type.end());

  // First pass: which ids are needed, and where each one lands (a position in `ids`).
  std::vector<int64_t> ids;
  std::vector<int32_t*> slots_of_ids;
  auto need = [&](int32_t id, int32_t* row) {
    ids.push_back(id);
    slots_of_ids.push_back(row);
  };
  const int32_t first_input_id =
      options.update_every_step ? static_cast<int32_t>(finn::kNoClickId) : finn::kFirstItemId;
  for (int64_t step = 0; step < steps; ++step) {
    const int32_t click = batch.item[step];
    if (click >= first_input_id) {
      out.advance[step] = 1;
      need(click, &out.click_rows[step]);
    }
    if (!batch.step_mask[step]) continue;
    if (is_slate_choice(batch, step, S)) {
      out.target[step] = batch.click_idx[step];
      ++out.slate_loss_steps;
      for (int s = 1; s < S; ++s) {
        const int32_t item = batch.slate[step * S + s];
        if (item >= finn::kFirstItemId) need(item, &out.slate_rows[step * S + s]);
      }
    }
    if (K > 0 && click >= finn::kFirstItemId) {
      need(click, &out.positive_rows[step]);
      ++out.sampled_loss_steps;
      for (int k = 0; k < K; ++k) {
        const int32_t negative = (*negative_ids)[step * K + k];
        REQUIRE(negative >= finn::kFirstItemId, "build_model_batch: negative id "
                                                    << negative << " at user " << step / T
                                                    << " step " << step % T << " is not an item");
        need(negative, &out.negative_rows[step * K + k]);
      }
    }
  }
  UniqueIds unique = unique_ids(ids);
  for (size_t i = 0; i < ids.size(); ++i) *slots_of_ids[i] = unique.index[i];
  out.unique_ids = std::move(unique.ids);
  return out;
}

std::vector<int32_t> draw_negatives(const SequenceBatch& batch, int negatives, int64_t num_items,
                                    uint64_t seed) {
  REQUIRE(num_items > finn::kFirstItemId,
          "draw_negatives: a catalogue of " << num_items << " ids has no items");
  const int64_t B = batch.batch_users;
  const int T = batch.max_steps;
  const uint64_t range = static_cast<uint64_t>(num_items - finn::kFirstItemId);
  std::vector<int32_t> ids(static_cast<size_t>(B * T * negatives), 0);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t user = batch.user_row[b];
    if (user < 0) continue;
    for (int64_t i = 0; i < int64_t{T} * negatives; ++i) {
      const double u = to_unit_double(hash_mix(seed, static_cast<uint64_t>(user), i));
      const uint64_t offset = std::min(range - 1, static_cast<uint64_t>(u * range));
      ids[b * T * negatives + i] = static_cast<int32_t>(finn::kFirstItemId + offset);
    }
  }
  return ids;
}

}  // namespace slatetrain
