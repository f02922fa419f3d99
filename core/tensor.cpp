#include "core/tensor.hpp"

#include <sstream>
#include <utility>

#include "core/backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kUInt8:
      return 1;
  }
  RAISE("unknown dtype " << static_cast<int>(dtype));
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kUInt8:
      return "uint8";
  }
  return "unknown";
}

const char* device_name(Device device) {
  return device == Device::kCpu ? "cpu" : "cuda";
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream text;
  text << "[";
  for (size_t i = 0; i < shape.size(); ++i) text << (i ? ", " : "") << shape[i];
  text << "]";
  return text.str();
}

static int64_t count_elements(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t size : shape) {
    REQUIRE(size >= 0, "tensor shape " << shape_string(shape) << " has a negative dimension");
    count *= size;
  }
  return count;
}

Tensor::Tensor(Backend& backend, std::vector<int64_t> shape, DType dtype)
    : backend_(&backend),
      shape_(std::move(shape)),
      numel_(count_elements(shape_)),
      dtype_(dtype),
      device_(backend.device()) {
  if (numel_ > 0) storage_ = backend_->allocate(bytes());
}

Tensor::~Tensor() {
  release();
}

Tensor::Tensor(Tensor&& other) noexcept {
  *this = std::move(other);
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this != &other) {
    release();
    backend_ = std::exchange(other.backend_, nullptr);
    storage_ = std::exchange(other.storage_, nullptr);
    shape_ = std::exchange(other.shape_, {});
    numel_ = std::exchange(other.numel_, 0);
    dtype_ = other.dtype_;
    device_ = other.device_;
  }
  return *this;
}

void Tensor::release() {
  if (storage_ && backend_) backend_->deallocate(storage_);
  storage_ = nullptr;
}

int64_t Tensor::dim(int64_t axis) const {
  const int64_t index = axis < 0 ? axis + rank() : axis;
  REQUIRE(index >= 0 && index < rank(),
          "axis " << axis << " out of range for a tensor of shape " << shape_string(shape_));
  return shape_[static_cast<size_t>(index)];
}

void Tensor::reshape(std::vector<int64_t> shape) {
  REQUIRE(count_elements(shape) == numel_, "cannot reshape a tensor of shape "
                                               << shape_string(shape_) << " to "
                                               << shape_string(shape));
  shape_ = std::move(shape);
}

void Tensor::zero() {
  if (storage_) backend_->zero(storage_, bytes());
}

void Tensor::check_dtype(DType requested) const {
  REQUIRE(requested == dtype_, "tensor of shape " << shape_string(shape_) << " holds "
                                                  << dtype_name(dtype_) << ", not "
                                                  << dtype_name(requested));
}

void Tensor::copy_from_host_bytes(const void* source, size_t bytes) {
  REQUIRE(bytes == this->bytes(), "copy of " << bytes << " bytes into a tensor of shape "
                                             << shape_string(shape_) << " (" << this->bytes()
                                             << " bytes)");
  if (bytes) backend_->copy_to_device(storage_, source, bytes);
}

void Tensor::copy_to_host_bytes(void* destination, size_t bytes) const {
  if (bytes) backend_->copy_to_host(destination, storage_, bytes);
}

}  // namespace slatetrain
