#include "models/user_model_factory.hpp"

#include "core/error.hpp"
#include "models/gru_user_model.hpp"

namespace slatetrain {

std::unique_ptr<UserModel> make_user_model(Backend& backend, ParameterBuffer& parameters,
                                           const UserModelSpec& spec, const DatasetFacts& data) {
  if (spec.kind == "gru") {
    GruUserModelConfig config;
    config.dim = spec.dim;
    config.hidden = spec.hidden > 0 ? spec.hidden : spec.dim;
    config.interaction_type_embedding = spec.interaction_type_embedding;
    config.interaction_types = data.interaction_types;
    return std::make_unique<GruUserModel>(backend, parameters, config);
  }
  RAISE("model.kind '" << spec.kind << "' is not a user model (known: gru)");
}

}  // namespace slatetrain
