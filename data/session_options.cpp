#include "data/session_options.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace slatetrain {

const char* session_format_name(SessionFormat format) {
  switch (format) {
    case SessionFormat::kRecbole:
      return "recbole";
    case SessionFormat::kMovielens:
      return "movielens";
    case SessionFormat::kAmazonM2:
      return "amazon-m2";
    case SessionFormat::kCsv:
      return "csv";
  }
  return "?";
}

bool parse_session_format(const std::string& name, SessionFormat& format) {
  for (const SessionFormat candidate : {SessionFormat::kRecbole, SessionFormat::kMovielens,
                                        SessionFormat::kAmazonM2, SessionFormat::kCsv}) {
    if (name == session_format_name(candidate)) {
      format = candidate;
      return true;
    }
  }
  return false;
}

nlohmann::json session_options_to_json(const SessionSourceOptions& source,
                                       const SessionFilters& filters) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const std::string& path : source.inputs)
    inputs.push_back(std::filesystem::path(path).filename().string());
  nlohmann::json json = {
      {"format", session_format_name(source.format)},
      {"inputs", inputs},
      {"columns",
       {{"user", source.columns.user},
        {"item", source.columns.item},
        {"time", source.columns.time},
        {"weight", source.columns.weight},
        {"type", source.columns.type},
        {"group", source.columns.group}}},
      {"delimiter", source.delimiter},
      {"locales", source.locales},
      {"filters",
       {{"min_rating", filters.min_rating ? nlohmann::json(*filters.min_rating) : nullptr},
        {"remove_consecutive_duplicates", filters.remove_consecutive_duplicates},
        {"min_user_interactions", filters.min_user_interactions},
        {"min_item_interactions", filters.min_item_interactions}}}};
  return json;
}

void session_options_from_json(const nlohmann::json& json, const std::string& where,
                               SessionSourceOptions& source, SessionFilters& filters) {
  try {
    const std::string format = json.at("format").get<std::string>();
    REQUIRE(parse_session_format(format, source.format),
            where << ": conversion format '" << format << "' is not known");
    const nlohmann::json& columns = json.at("columns");
    source.columns.user = columns.at("user").get<std::string>();
    source.columns.item = columns.at("item").get<std::string>();
    source.columns.time = columns.at("time").get<std::string>();
    source.columns.weight = columns.at("weight").get<std::string>();
    source.columns.type = columns.at("type").get<std::string>();
    source.columns.group = columns.at("group").get<std::string>();
    source.delimiter = json.at("delimiter").get<std::string>();
    source.locales = json.at("locales").get<std::vector<std::string>>();
    const nlohmann::json& filter = json.at("filters");
    if (filter.at("min_rating").is_null())
      filters.min_rating.reset();
    else
      filters.min_rating = filter.at("min_rating").get<double>();
    filters.remove_consecutive_duplicates = filter.at("remove_consecutive_duplicates").get<bool>();
    filters.min_user_interactions = filter.at("min_user_interactions").get<int64_t>();
    filters.min_item_interactions = filter.at("min_item_interactions").get<int64_t>();
  } catch (const nlohmann::json::exception& error) {
    RAISE(where << ": the conversion record is incomplete: " << error.what());
  }
}

}  // namespace slatetrain
