#include "data/index_to_value.hpp"

#include <cmath>

#include "core/error.hpp"

namespace slatetrain {

nlohmann::json read_index_to_value(std::istream& in, const std::string& where) {
  nlohmann::json ind2val;
  try {
    in >> ind2val;
  } catch (const nlohmann::json::exception& error) {
    RAISE(where << ": not valid JSON: " << error.what());
  }
  for (const char* key : {"category", "interaction_type"}) {
    REQUIRE(ind2val.is_object() && ind2val.contains(key) && ind2val[key].is_object(),
            where << ": missing the map '" << key << "'");
  }
  return ind2val;
}

std::array<bool, 256> known_interaction_types(const nlohmann::json& ind2val,
                                              const std::string& where) {
  std::array<bool, 256> known{};
  for (const auto& [key, name] : ind2val.at("interaction_type").items()) {
    int value = -1;
    try {
      size_t used = 0;
      value = std::stoi(key, &used);
      if (used != key.size()) value = -1;
    } catch (const std::exception&) {
      value = -1;
    }
    REQUIRE(value >= 0 && value < 256,
            where << ": 'interaction_type' key '" << key << "' is not an integer in 0..255");
    known[static_cast<size_t>(value)] = true;
  }
  return known;
}

bool category_is_known(const nlohmann::json& ind2val, double category) {
  const bool integral =
      std::isfinite(category) && category == std::floor(category) && std::fabs(category) < 9e15;
  return integral &&
         ind2val.at("category").contains(std::to_string(static_cast<int64_t>(category)));
}

}  // namespace slatetrain
