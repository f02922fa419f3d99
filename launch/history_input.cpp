#include "launch/history_input.hpp"

#include <fstream>

#include "core/error.hpp"

namespace slatetrain {

std::vector<History> read_histories(const std::string& path, const Manifest& manifest,
                                    const ItemNames& items) {
  std::ifstream in(path);
  REQUIRE(in, path << ": cannot be read (--input)");
  std::vector<History> histories;
  std::string text;
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = [&] { return path + ":" + std::to_string(line) + ": "; };
    const nlohmann::json record = nlohmann::json::parse(text, nullptr, false);
    REQUIRE(!record.is_discarded(), where() << "not a JSON value");
    REQUIRE(record.is_object(), where() << "expected an object {\"user\": ..., \"items\": [...]}");
    for (const auto& [key, value] : record.items()) {
      REQUIRE(key == "user" || key == "items" || key == "interaction_types",
              where() << "unknown key '" << key << "' (keys: user, items, interaction_types)");
    }
    History history;
    history.line = line;
    if (record.contains("user")) history.user = record["user"];
    REQUIRE(record.contains("items") && record["items"].is_array(),
            where() << "\"items\" must be an array of item ids");
    const nlohmann::json& ids = record["items"];
    for (size_t i = 0; i < ids.size(); ++i) {
      std::string why;
      const int64_t item = items.find(ids[i], why);
      REQUIRE(item >= 0, where() << "items[" << i << "]: " << why);
      history.items.push_back(item);
    }
    history.interaction_types.assign(history.items.size(), 0);
    if (record.contains("interaction_types")) {
      const nlohmann::json& types = record["interaction_types"];
      REQUIRE(types.is_array() && types.size() == ids.size(),
              where() << "\"interaction_types\" must be an array with one entry per item ("
                      << ids.size() << ")");
      for (size_t i = 0; i < types.size(); ++i) {
        std::string why;
        const int64_t type = find_interaction_type(manifest, types[i], why);
        REQUIRE(type >= 0 && type < 256, where() << "interaction_types[" << i << "]: " << why);
        history.interaction_types[i] = static_cast<uint8_t>(type);
      }
    }
    histories.push_back(std::move(history));
  }
  REQUIRE(!in.bad(), path << ": read error");
  return histories;
}

}  // namespace slatetrain
