// Backend: every op the model layers need, one virtual per op, grouped in families (core/ops/),
// implemented twice: CpuBackend (core/cpu_backend.hpp, the readable reference) and CudaBackend
// (core/cuda_backend.hpp).
//
// Conventions for every op:
//  - Pointers are raw, typed and live on the backend's device (allocate() memory); sizes are
//    explicit; every matrix is row-major and contiguous. A `// shapes:` comment per op.
//  - Backward signatures put gradients first: (dinput, dweight, ..., doutput, input, ...).
//  - PARAMETER gradients ACCUMULATE (+=): dweight, dbias, drows, dtable. Zero them once per step.
//    ACTIVATION gradients OVERWRITE (=): dinput, duser, dscores, dinitial_state.
//  - An optional output given as nullptr is not computed.
//  - Indices are int32 rows into a local buffer; -1 means "nothing here" where an op says so.
//  - Ops may run asynchronously on the device (CUDA: one stream); copy_to_host and the ops that
//    return a value to the host synchronise. CPU ops are synchronous.
//  - Backends check sizes and indices they can check cheaply and throw Error naming the op,
//    the array and the offending index.
#pragma once

#include <memory>
#include <string>

#include "core/ops/attention_ops.hpp"
#include "core/ops/dropout_ops.hpp"
#include "core/ops/elementwise_ops.hpp"
#include "core/ops/embedding_ops.hpp"
#include "core/ops/gelu_ops.hpp"
#include "core/ops/gru_ops.hpp"
#include "core/ops/layer_norm_ops.hpp"
#include "core/ops/linear_algebra_ops.hpp"
#include "core/ops/loss_ops.hpp"
#include "core/ops/memory_ops.hpp"
#include "core/ops/optimizer_ops.hpp"
#include "core/ops/slate_ops.hpp"
#include "core/ops/softmax_ops.hpp"
#include "core/ops/top_k_ops.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

// The op families, one header each under core/ops/ (a new layer family is a new header there,
// a base here, and its implementations in core/cpu/ and core/cuda/).
class Backend : public MemoryOps,
                public LinearAlgebraOps,
                public ElementwiseOps,
                public EmbeddingOps,
                public GruOps,
                public SlateOps,
                public LossOps,
                public SoftmaxOps,
                public OptimizerOps,
                public TopKOps,
                public LayerNormOps,
                public AttentionOps,
                public GeluOps,
                public DropoutOps {
 public:
  ~Backend() override = default;

  virtual Device device() const = 0;
  // "cpu" or "cuda".
  virtual std::string name() const = 0;
};

// The backend for a device: CpuBackend for kCpu; CudaBackend for kCuda in CUDA builds.
// kCuda in a build without CUDA throws Error.
std::unique_ptr<Backend> make_backend(Device device);

}  // namespace slatetrain
