// All dense parameters of a model in ONE flat float buffer, with named views into it, and the
// gradients in a second buffer of the same layout (llm.c style): one allreduce of the
// gradients, one optimizer loop, one checkpoint dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

struct ParameterView {
  std::string name;            // e.g. "gru.weight_ih"
  std::vector<int64_t> shape;  // e.g. [3H, D]
  int64_t offset = 0;          // first float in the flat buffers
  int64_t numel = 0;
};

class ParameterBuffer {
 public:
  // Declares a parameter; offsets are aligned to 16 floats (64 bytes). Returns its index.
  // Only before allocate().
  int add(std::string name, std::vector<int64_t> shape);
  // Allocates values and gradients (both zeroed) on `backend`.
  void allocate(Backend& backend);

  const std::vector<ParameterView>& views() const { return views_; }
  const ParameterView& view(const std::string& name) const;  // throws Error naming `name`
  int64_t size() const { return size_; }                     // floats in each flat buffer

  float* values() { return values_.data<float>(); }
  const float* values() const { return values_.data<float>(); }
  float* gradients() { return gradients_.data<float>(); }
  const float* gradients() const { return gradients_.data<float>(); }
  float* values(int index) { return values() + views_[index].offset; }
  const float* values(int index) const { return values() + views_[index].offset; }
  float* gradients(int index) { return gradients() + views_[index].offset; }

  // Sets every gradient to zero (parameter gradients accumulate over a step's backward).
  void zero_gradients() { gradients_.zero(); }

  // Host copies of one named parameter (checkpoints, tests, initialisation).
  void set_values(const std::string& name, const std::vector<float>& values);
  std::vector<float> get_values(const std::string& name) const;
  std::vector<float> get_gradients(const std::string& name) const;

 private:
  std::vector<ParameterView> views_;
  int64_t size_ = 0;
  Backend* backend_ = nullptr;
  Tensor values_;
  Tensor gradients_;
};

}  // namespace slatetrain
