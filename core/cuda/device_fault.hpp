// Index checks inside kernels. A kernel that meets a bad index (outside the table, a target at
// a masked position...) records the first such fault in a small device struct and skips the
// element instead of reading out of bounds; the backend reads the struct at its next
// synchronising call and throws an Error naming the op, the array and the index. This keeps
// the checks of the CPU reference without a device-to-host round trip per op.
#pragma once

#include <cstdint>
#include <string>

namespace slatetrain {
namespace cuda {

enum FaultCode : int32_t {
  kNoFault = 0,
  kEmbeddingForwardIndex,
  kEmbeddingBackwardIndex,
  kSlateIndex,
  kSlateLength,
  kSlateTargetPosition,
  kSlateTargetMasked,
  kSampledPositiveRow,
  kSampledNegativeRow,
  kSparseAdamRow,
  kSparseAdagradRow,
};

struct DeviceFault {
  int32_t code;
  int32_t unused;
  int64_t index;  // flat position in the offending array
  int64_t value;  // what was found there
  int64_t limit;  // the exclusive upper bound it broke
};

// "embedding_forward: index[7] = 12 outside [-1, 10)".
std::string describe_fault(const DeviceFault& fault);

#ifdef __CUDACC__
__device__ inline void report_fault(DeviceFault* fault, FaultCode code, int64_t index,
                                    int64_t value, int64_t limit) {
  if (atomicCAS(&fault->code, 0, static_cast<int32_t>(code)) == 0) {
    fault->index = index;
    fault->value = value;
    fault->limit = limit;
  }
}
#endif

}  // namespace cuda
}  // namespace slatetrain
