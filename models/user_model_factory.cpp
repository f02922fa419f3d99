#include "models/user_model_factory.hpp"

#include "core/error.hpp"
#include "models/gru_user_model.hpp"
#include "models/transformer_user_model.hpp"

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
  if (spec.kind == "transformer") {
    TransformerUserModelConfig config;
    config.encoder.dim = spec.dim;
    config.encoder.heads = spec.heads;
    config.encoder.layers = spec.layers;
    config.encoder.ffn = spec.ffn > 0 ? spec.ffn : 4 * spec.dim;
    config.encoder.dropout = static_cast<float>(spec.dropout);
    config.encoder.attention_dropout = static_cast<float>(spec.attention_dropout);
    config.encoder.layer_norm_epsilon = static_cast<float>(spec.layer_norm_epsilon);
    config.max_length = spec.max_length > 0 ? spec.max_length : data.max_steps;
    config.interaction_type_embedding = spec.interaction_type_embedding;
    config.interaction_types = data.interaction_types;
    return std::make_unique<TransformerUserModel>(backend, parameters, config);
  }
  RAISE("model.kind '" << spec.kind << "' is not a user model (known: gru, transformer)");
}

}  // namespace slatetrain
