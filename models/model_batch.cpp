#include "models/model_batch.hpp"

#include "core/error.hpp"
#include "models/row_requests.hpp"

namespace slatetrain {

SequenceInputs ModelBatch::sequence_inputs() const {
  SequenceInputs inputs;
  inputs.batch_users = batch_users;
  inputs.max_steps = max_steps;
  inputs.num_rows = static_cast<int64_t>(unique_ids.size());
  inputs.has_input = has_input.data();
  inputs.input_rows = input_rows.data();
  inputs.interaction_type = interaction_type.data();
  inputs.user_row = user_row.data();
  return inputs;
}

ModelBatch build_model_batch(const SequenceBatch& batch, const SequenceInputOptions& options,
                             const Objective* objective, uint64_t step_seed) {
  const int64_t B = batch.batch_users;
  const int T = batch.max_steps;
  const int64_t steps = B * T;
  REQUIRE(static_cast<int64_t>(batch.item.size()) == steps &&
              static_cast<int64_t>(batch.step_mask.size()) == steps &&
              static_cast<int64_t>(batch.interaction_type.size()) == steps &&
              static_cast<int64_t>(batch.user_row.size()) == B,
          "build_model_batch: batch arrays do not match B=" << B << " T=" << T);

  ModelBatch out;
  out.batch_users = static_cast<int>(B);
  out.max_steps = T;
  out.has_input.assign(static_cast<size_t>(steps), 0);
  out.input_rows.assign(static_cast<size_t>(steps), -1);
  out.interaction_type.assign(batch.interaction_type.begin(), batch.interaction_type.end());
  out.user_row = batch.user_row;

  RowRequests requests;
  const int64_t first_input_id =
      options.input_every_step ? options.ids.no_click : options.ids.first_item;
  for (int64_t step = 0; step < steps; ++step) {
    const int32_t type = out.interaction_type[step];
    REQUIRE(type >= 0 && type < options.interaction_types,
            "interaction_type " << type << " of user row " << batch.user_row[step / T] << " step "
                                << step % T << " is outside the dataset's "
                                << options.interaction_types << " types");
    const int32_t item = batch.item[step];
    if (item >= first_input_id) {
      out.has_input[step] = 1;
      requests.need(item, &out.input_rows[step]);
    }
  }
  if (objective) out.objective = objective->prepare(batch, step_seed, requests);
  out.unique_ids = requests.finish();
  return out;
}

}  // namespace slatetrain
