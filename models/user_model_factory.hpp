// The one place that maps `model.kind` to a UserModel: a new user model is its own files and a
// line here.
#pragma once

#include <memory>

#include "core/backend.hpp"
#include "models/model_spec.hpp"
#include "models/parameter_buffer.hpp"
#include "models/user_model.hpp"

namespace slatetrain {

// The user model `spec.kind` names, its parameters declared in `parameters` (not yet
// allocated). An unknown kind is an Error listing the known ones.
std::unique_ptr<UserModel> make_user_model(Backend& backend, ParameterBuffer& parameters,
                                           const UserModelSpec& spec, const DatasetFacts& data);

}  // namespace slatetrain
