#include "core/communicator.hpp"

#include "core/error.hpp"

namespace slatetrain {

size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return 4;
    case ElementType::kFloat64:
      return 8;
    case ElementType::kInt32:
      return 4;
    case ElementType::kInt64:
      return 8;
    case ElementType::kUInt8:
      return 1;
  }
  RAISE("unknown ElementType " << static_cast<int>(type));
}

}  // namespace slatetrain
