// ind2val.json of a FINN.no input directory (docs/FINN.md): the maps "category" and
// "interaction_type" from the integer values stored in the arrays (as decimal string keys) to
// their names. Reading it checks the structure; the converter and verify use the key sets.
#pragma once

#include <array>
#include <istream>
#include <string>

#include <nlohmann/json.hpp>

namespace slatetrain {

// Parses ind2val.json from `in`; errors name `where` (the file). Requires an object holding the
// objects "category" and "interaction_type".
nlohmann::json read_index_to_value(std::istream& in, const std::string& where);

// The interaction types that "interaction_type" names: each key must be an integer 0..255.
std::array<bool, 256> known_interaction_types(const nlohmann::json& ind2val,
                                              const std::string& where);

// Whether a category value (as itemattr.npz stores it, float64) is a key of "category".
bool category_is_known(const nlohmann::json& ind2val, double category);

}  // namespace slatetrain
