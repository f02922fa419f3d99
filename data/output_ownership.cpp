#include "data/output_ownership.hpp"

#include <fstream>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/manifest.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

// Reads a JSON object; null when the file is missing, unreadable or not a JSON object.
nlohmann::json read_json_object(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  nlohmann::json value = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return value.is_object() ? value : nlohmann::json(nullptr);
}

// Empty when every entry of `directory` is a regular file named in `allowed`.
std::string first_foreign_entry(const fs::path& directory, const std::set<std::string>& allowed) {
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!allowed.count(name) || it->symlink_status(error).type() != fs::file_type::regular)
      return name;
  }
  if (error) return "(cannot list the directory: " + error.message() + ")";
  return "";
}

// manifest.json with our format name and the files it names (items file, shards).
std::string why_not_converted(const fs::path& directory) {
  const nlohmann::json manifest = read_json_object(directory / kManifestFile);
  if (manifest.is_null()) return std::string("it has no readable ") + kManifestFile;
  // The two layouts slateconvert writes (data/manifest.hpp, data/session_converter.cpp).
  const std::string format = manifest.value("format", "");
  if ((format != "slatetrain-ragged-slates" && format != "slatetrain-ragged-sessions") ||
      manifest.value("created_by", "").rfind("slateconvert", 0) != 0)
    return std::string(kManifestFile) + " was not written by slateconvert (format '" + format +
           "', created_by '" + manifest.value("created_by", "") + "')";
  std::set<std::string> allowed{kManifestFile};
  const nlohmann::json items = manifest.value("items_file", nlohmann::json::object());
  if (items.is_object() && items.value("file", "") != "") allowed.insert(items.value("file", ""));
  const nlohmann::json shards = manifest.value("shards", nlohmann::json::array());
  for (const nlohmann::json& shard : shards)
    if (shard.is_object() && shard.value("file", "") != "") allowed.insert(shard.value("file", ""));
  const std::string foreign = first_foreign_entry(directory, allowed);
  if (!foreign.empty()) return "it holds '" + foreign + "', which its manifest does not name";
  return "";
}

// generator.json with the keys synth writes, beside only the files synth writes.
std::string why_not_synth(const fs::path& directory) {
  const nlohmann::json generator = read_json_object(directory / "generator.json");
  if (generator.is_null()) return "it has no readable generator.json";
  for (const char* key : {"seed", "users", "items", "groups", "int_dtype", "compressed",
                          "anomaly_rate", "real_steps", "anomalies"})
    if (!generator.contains(key))
      return std::string("its generator.json lacks \"") + key + "\" (not written by synth)";
  const std::string foreign = first_foreign_entry(
      directory, {"data.npz", "itemattr.npz", "ind2val.json", "truth.json", "generator.json"});
  if (!foreign.empty()) return "it holds '" + foreign + "', which synth does not write";
  return "";
}

// model.json of `slatetrain export` (format "slatetrain-model-export") and only the files its
// "files" list names.
std::string why_not_model_export(const fs::path& directory) {
  const nlohmann::json model = read_json_object(directory / "model.json");
  if (model.is_null()) return "it has no readable model.json";
  if (model.value("format", "") != "slatetrain-model-export")
    return "its model.json was not written by slatetrain export (format '" +
           model.value("format", "") + "')";
  std::set<std::string> allowed{"model.json"};
  const nlohmann::json files = model.value("files", nlohmann::json::array());
  for (const nlohmann::json& file : files)
    if (file.is_string()) allowed.insert(file.get<std::string>());
  const std::string foreign = first_foreign_entry(directory, allowed);
  if (!foreign.empty()) return "it holds '" + foreign + "', which its model.json does not name";
  return "";
}

// The path with every symbolic link and `..` resolved (as far as it exists).
fs::path resolved(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) absolute = path;
  fs::path canonical = fs::weakly_canonical(absolute, error);
  return error ? absolute.lexically_normal() : canonical;
}

// Whether `inner` is `outer` or lies below it (both resolved).
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto a = outer.begin(), b = inner.begin();
  for (; a != outer.end(); ++a, ++b) {
    if (a->empty() && std::next(a) == outer.end()) break;  // a trailing "/" of outer
    if (b == inner.end() || *a != *b) return false;
  }
  return true;
}

}  // namespace

const char* output_kind_description(OutputKind kind) {
  switch (kind) {
    case OutputKind::kConvertedDataset:
      return "a converted dataset written by slateconvert (manifest.json and the files it names)";
    case OutputKind::kSynthDataset:
      return "a dataset written by slateconvert synth (generator.json, data.npz, itemattr.npz, "
             "ind2val.json, truth.json)";
    case OutputKind::kModelExport:
      return "a model export written by slatetrain export (model.json and the files it names)";
  }
  return "?";
}

std::string why_not_ours(const fs::path& directory, OutputKind kind) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(directory, error);
  if (fs::is_symlink(status)) return "it is a symbolic link";
  if (!fs::is_directory(status)) return "it is not a directory";
  switch (kind) {
    case OutputKind::kConvertedDataset:
      return why_not_converted(directory);
    case OutputKind::kSynthDataset:
      return why_not_synth(directory);
    case OutputKind::kModelExport:
      return why_not_model_export(directory);
  }
  return "unknown output kind";
}

void require_apart_from_inputs(const std::string& target, const std::vector<std::string>& inputs) {
  const fs::path output = resolved(target);
  for (const std::string& input : inputs) {
    const fs::path source = resolved(input);
    REQUIRE(!is_within(source, output),
            target << ": the output " << (source == output ? "is" : "contains") << " the input "
                   << input
                   << (source.string() != input ? " (" + source.string() + ")" : std::string())
                   << "; choose another --output");
  }
}

}  // namespace slatetrain
