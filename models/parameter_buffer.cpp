#include "models/parameter_buffer.hpp"

#include "core/error.hpp"

namespace slatetrain {

namespace {
constexpr int64_t kAlignFloats = 16;
}

int ParameterBuffer::add(std::string name, std::vector<int64_t> shape) {
  REQUIRE(!backend_, "ParameterBuffer: parameter " << name << " added after allocation");
  for (const auto& existing : views_) {
    REQUIRE(existing.name != name, "ParameterBuffer: parameter " << name << " declared twice");
  }
  ParameterView view;
  view.name = std::move(name);
  view.numel = 1;
  for (const int64_t extent : shape) view.numel *= extent;
  view.shape = std::move(shape);
  view.offset = (size_ + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  size_ = view.offset + view.numel;
  views_.push_back(std::move(view));
  return static_cast<int>(views_.size() - 1);
}

void ParameterBuffer::allocate(Backend& backend) {
  backend_ = &backend;
  values_ = Tensor(backend, {size_}, DType::kFloat32);
  gradients_ = Tensor(backend, {size_}, DType::kFloat32);
  values_.zero();
  gradients_.zero();
}

const ParameterView& ParameterBuffer::view(const std::string& name) const {
  for (const auto& view : views_) {
    if (view.name == name) return view;
  }
  RAISE("ParameterBuffer: no parameter named " << name);
}

void ParameterBuffer::set_values(const std::string& name, const std::vector<float>& values) {
  const ParameterView& target = view(name);
  REQUIRE(static_cast<int64_t>(values.size()) == target.numel,
          "ParameterBuffer: " << values.size() << " values for " << name << " of shape "
                              << shape_string(target.shape));
  backend_->copy_to_device(values_.data<float>() + target.offset, values.data(),
                           values.size() * sizeof(float));
}

std::vector<float> ParameterBuffer::get_values(const std::string& name) const {
  const ParameterView& source = view(name);
  std::vector<float> values(static_cast<size_t>(source.numel));
  backend_->copy_to_host(values.data(), values_.data<float>() + source.offset,
                         values.size() * sizeof(float));
  return values;
}

std::vector<float> ParameterBuffer::get_gradients(const std::string& name) const {
  const ParameterView& source = view(name);
  std::vector<float> values(static_cast<size_t>(source.numel));
  backend_->copy_to_host(values.data(), gradients_.data<float>() + source.offset,
                         values.size() * sizeof(float));
  return values;
}

}  // namespace slatetrain
