// Objective: the loss as its own stage (docs/MODELS.md, "Objectives"). The trainer runs
//   lookup -> user model encode -> objective forward -> objective backward -> user model
//   backward -> allreduce -> updates
// and knows no objective by name: a new loss is a new Objective in its own files and a line in
// the factory (models/objective_factory.hpp).
//
// An objective prepares what it needs from a SequenceBatch on the host (targets, slates,
// negatives: the ids of the rows it needs go into the batch's RowRequests, so the sharded
// table fetches them with the user model's rows in one lookup), then scores the user vectors
// against those rows on the device and returns the loss summed over its loss steps, and in
// backward the gradients with respect to the user vectors, the rows and its own dense
// parameters (e.g. the slate objective's no-click bias) in the shared ParameterBuffer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/sequence_batch.hpp"
#include "models/row_requests.hpp"

namespace slatetrain {

// What prepare() made for one batch; each objective derives its own. loss_step [B*T] marks the
// steps the loss sums over and loss_steps counts them (the trainer adds the counts over ranks
// to normalise the loss).
struct ObjectiveBatch {
  virtual ~ObjectiveBatch() = default;
  std::vector<uint8_t> loss_step;
  int64_t loss_steps = 0;
};

// A held-out log-likelihood of the batch's loss steps: its name in the metrics, the summed
// log-likelihood and the steps it sums over (evaluation reports sum / steps over all ranks).
struct HeldOutLikelihood {
  std::string name;
  double sum = 0;
  int64_t steps = 0;
};

class Objective {
 public:
  virtual ~Objective() = default;

  // The configuration's name ("slate", "sampled_softmax", ...).
  virtual std::string name() const = 0;
  // Initial values of its own parameters, if it has any.
  virtual void initialize(uint64_t /*seed*/) {}

  // Host only, and thread-safe against forward/backward of another batch (it runs on the
  // batch preparer's thread while the previous step runs): the loss steps are the batch's
  // step_mask steps that this objective can score. step_seed varies per training step (the
  // draws of a sampler); evaluation passes its own. Row slots are filled by requests.finish().
  virtual std::unique_ptr<ObjectiveBatch> prepare(const SequenceBatch& batch, uint64_t step_seed,
                                                  RowRequests& requests) const = 0;

  // The loss summed over the batch's loss steps (the caller normalises); synchronises.
  // shapes: user [B*T, D] (the vector that predicts step t, device), rows [U, D] (device).
  // Both must stay unchanged until backward.
  virtual double forward(const ObjectiveBatch& batch, const float* user, const float* rows,
                         int64_t num_rows) = 0;
  // After forward: duser [B*T, D] overwrites; drows [U, D] and the objective's parameter
  // gradients accumulate; all are the gradients of gradient_scale * the summed loss.
  virtual void backward(float* duser, float* drows, float gradient_scale) = 0;

  // Whether held_out_likelihoods says anything: false when no part of the loss is a
  // log-likelihood of held-out data (a sampled softmax's value depends on its draws).
  virtual bool has_held_out_likelihood() const { return false; }
  // The names held_out_likelihoods reports, known without data (a split with no held-out step
  // still reports them, as undefined).
  virtual std::vector<std::string> held_out_likelihood_names() const { return {}; }
  // Evaluation: the log-likelihoods of a batch prepared from held-out steps (e.g. "loglik", the
  // in-slate choice likelihood). No backward follows. Synchronises.
  virtual std::vector<HeldOutLikelihood> held_out_likelihoods(const ObjectiveBatch& /*batch*/,
                                                              const float* /*user*/,
                                                              const float* /*rows*/,
                                                              int64_t /*num_rows*/) {
    return {};
  }
};

}  // namespace slatetrain
