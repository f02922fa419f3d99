#include "core/cuda/device_fault.hpp"

#include <sstream>

namespace slatetrain {
namespace cuda {

std::string describe_fault(const DeviceFault& fault) {
  std::ostringstream text;
  switch (fault.code) {
    case kEmbeddingForwardIndex:
      text << "embedding_forward: index[" << fault.index << "] = " << fault.value
           << " outside [-1, " << fault.limit << ")";
      break;
    case kEmbeddingBackwardIndex:
      text << "embedding_backward: index[" << fault.index << "] = " << fault.value
           << " outside [-1, " << fault.limit << ")";
      break;
    case kSlateIndex:
      text << "slate scores: slate_index[" << fault.index << "] = " << fault.value
           << " outside [-1, " << fault.limit << ")";
      break;
    case kSlateLength:
      text << "slate scores: slate_length[" << fault.index << "] = " << fault.value
           << " outside [0, " << fault.limit << ") (the no-click bias size)";
      break;
    case kSlateTargetPosition:
      text << "slate_cross_entropy: target[" << fault.index << "] = " << fault.value
           << " outside [0, " << fault.limit << ")";
      break;
    case kSlateTargetMasked:
      text << "slate_cross_entropy: target[" << fault.index << "] = " << fault.value
           << " is a masked (-inf) position";
      break;
    case kSampledPositiveRow:
      text << "sampled_softmax_loss: positive[" << fault.index << "] = " << fault.value
           << " outside [0, " << fault.limit << ")";
      break;
    case kSampledNegativeRow:
      text << "sampled_softmax_loss: negative[" << fault.index << "] = " << fault.value
           << " outside [-1, " << fault.limit << ")";
      break;
    case kSparseAdamRow:
      text << "sparse_adam_update: rows[" << fault.index << "] = " << fault.value << " outside [0, "
           << fault.limit << ")";
      break;
    case kSparseAdagradRow:
      text << "sparse_adagrad_update: rows[" << fault.index << "] = " << fault.value
           << " outside [0, " << fault.limit << ")";
      break;
    default:
      text << "unknown device fault " << fault.code << " at index " << fault.index;
  }
  return text.str();
}

}  // namespace cuda
}  // namespace slatetrain
