#include "launch/model_export.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "data/npy_format.hpp"
#include "data/output_directory.hpp"
#include "launch/dataset_names.hpp"

namespace slatetrain {

namespace {

constexpr const char* kFormat = "slatetrain-model-export";
constexpr int kExportVersion = 1;

// Dense parameters of the training objectives (models/*_objective.cpp), which ranking the
// catalogue does not use; every other parameter is the user model's.
const std::map<std::string, std::string> kObjectiveParameters = {
    {"no_click_bias",
     "the slate objective's score of the no-click option, by the slate's stored length (index); "
     "not used to rank the catalogue"},
    {"slate_head.weight",
     "the slate objective's head (objective.slate_head: linear): a slate is scored against "
     "slate_head.weight @ user + slate_head.bias; not used to rank the catalogue"},
    {"slate_head.bias", "the slate objective's head: see slate_head.weight"}};

// An .npy file of float32 written in C order, in pieces.
class NpyFile {
 public:
  NpyFile(const std::string& path, const std::vector<int64_t>& shape)
      : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
    REQUIRE(out_, path << ": cannot be written");
    const std::string header = make_npy_header(NpyDtype::kFloat32, shape);
    out_.write(header.data(), static_cast<std::streamsize>(header.size()));
  }
  void write(const float* values, int64_t count) {
    out_.write(reinterpret_cast<const char*>(values),
               static_cast<std::streamsize>(count * static_cast<int64_t>(sizeof(float))));
  }
  void close() {
    out_.close();
    REQUIRE(!out_.fail(), path_ << ": writing failed (disk full?)");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

// How the user vector is computed from the files, per model kind (the forward of
// models/gru_user_model.cpp and models/transformer_user_model.cpp at evaluation).
nlohmann::json user_vector_semantics(const std::string& kind) {
  const nlohmann::json inputs = {
      "A user's history is its events e_0..e_{n-1}, oldest first, each an item id and an "
      "interaction type. An event is an input when its item id >= ids.first_item (with "
      "model.input_every_step also a no-click step, whose row is items[ids.no_click]); other "
      "steps hold the state.",
      "x_t = items[item_t] + interaction_type_embedding[type_t] (the second term only when "
      "model.interaction_type_embedding)."};
  nlohmann::json steps = inputs;
  if (kind == "gru") {
    steps.push_back(
        "GRU as torch.nn.GRU (gates r, z, n stacked in that order in gru.weight_ih [3H, D], "
        "gru.weight_hh [3H, H], gru.bias_ih [3H], gru.bias_hh [3H]); h = 0 before the first "
        "event; at each input event: r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = "
        "sigmoid(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), "
        "h = (1 - z) * n + z * h.");
    steps.push_back(
        "user = output.weight [D, H] @ h after the last event (no bias); a user with no input "
        "event has user = 0.");
  } else {
    steps.push_back(
        "The window is the last model.max_length events, at positions t = 0, 1, ...; add "
        "transformer.position_embedding[t] to x_t.");
    steps.push_back(
        "For each block l (pre-norm; LN(v) = (v - mean) / sqrt(var + model.layer_norm_epsilon) "
        "* weight + bias, biased variance): a = LN_{layer_norm1}(x); qkv = a @ "
        "attention.in_projection.weight.T + attention.in_projection.bias, split into q, k, v "
        "[D] each and into model.heads heads of D / heads; each head: softmax over the input "
        "steps s <= t of q_t . k_s / sqrt(D / heads), times v; heads concatenated, @ "
        "attention.out_projection.weight.T + attention.out_projection.bias; x = x + that; "
        "f = LN_{layer_norm2}(x); x = x + GELU(f @ feed_forward.in_projection.weight.T + "
        "feed_forward.in_projection.bias) @ feed_forward.out_projection.weight.T + "
        "feed_forward.out_projection.bias (GELU exact: v * (1 + erf(v / sqrt 2)) / 2).");
    steps.push_back(
        "out = LN_{transformer.final_layer_norm}(x); user = out at the last input event "
        "(parameters transformer.blocks.<l>.<part>).");
  }
  return steps;
}

}  // namespace

void write_model_export(const CheckpointModel& loaded, const std::string& output, bool force) {
  const RunConfig& config = loaded.config;
  TrainedModel& trained = *loaded.trained;
  const Manifest& manifest = trained.manifest();
  const ParameterBuffer& parameters = trained.model().parameters();
  const int64_t num_items = manifest.num_items;
  const int64_t dim = config.model.dim;
  std::lock_guard<std::mutex> lock(hdf5_library_mutex());
  const CheckpointFileReader reader(loaded.checkpoint);
  OutputDirectory directory(output, force, OutputKind::kModelExport,
                            {loaded.checkpoint, config.data.path});
  const std::string base = directory.temporary_path() + "/";
  nlohmann::json files = nlohmann::json::array();

  // The item table, in chunks.
  {
    NpyFile items(base + "items.npy", {num_items, dim});
    const int64_t chunk = std::max<int64_t>(1, config.checkpoint.chunk_rows);
    std::vector<float> rows;
    for (int64_t first = 0; first < num_items; first += chunk) {
      const int64_t count = std::min(chunk, num_items - first);
      rows.resize(static_cast<size_t>(count * dim));
      reader.read_embedding_rows("rows", first, count, rows.data());
      items.write(rows.data(), count * dim);
    }
    items.close();
    files.push_back("items.npy");
  }
  {
    const ItemNames names(manifest, config.data.path);
    std::ofstream ids(base + "item_ids.jsonl", std::ios::trunc);
    REQUIRE(ids, base << "item_ids.jsonl: cannot be written");
    for (int64_t item = 0; item < num_items; ++item) {
      nlohmann::json line = {{"index", item}};
      const bool real = manifest.ids.is_item(item);
      line["id"] = real ? names.id(item) : nlohmann::json(nullptr);
      line["group"] = real ? names.group(item) : nlohmann::json(nullptr);
      if (names.has_locales()) line["locale"] = names.locale(item);
      ids << line.dump() << '\n';
    }
    ids.close();
    REQUIRE(!ids.fail(), base << "item_ids.jsonl: writing failed (disk full?)");
    files.push_back("item_ids.jsonl");
  }

  // Every dense parameter under its name.
  const std::vector<float> dense = reader.read_dense("parameters");
  REQUIRE(static_cast<int64_t>(dense.size()) == parameters.size(),
          loaded.checkpoint << ": dense/parameters has " << dense.size() << " values, the model "
                            << parameters.size());
  nlohmann::json parameter_list = nlohmann::json::array();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ParameterView& view : parameters.views()) {
    const std::string file = view.name + ".npy";
    NpyFile npy(base + file, view.shape);
    npy.write(dense.data() + view.offset, view.numel);
    npy.close();
    files.push_back(file);
    shapes[view.name] = view.shape;
    const auto objective = kObjectiveParameters.find(view.name);
    parameter_list.push_back(
        {{"name", view.name},
         {"file", file},
         {"shape", view.shape},
         {"checkpoint_offset", view.offset},
         {"role", objective == kObjectiveParameters.end() ? "user_model" : "objective"},
         {"meaning", objective == kObjectiveParameters.end() ? "the user model's (see user_vector)"
                                                             : objective->second}});
  }

  const std::string& kind = config.model.kind;
  nlohmann::json model = {{"kind", kind},
                          {"dim", dim},
                          {"interaction_type_embedding", config.model.interaction_type_embedding},
                          {"input_every_step", config.model.update_every_step}};
  if (kind == "gru") {
    model["hidden"] = shapes.at("gru.weight_hh").at(1);
  } else {
    model["layers"] = config.model.layers;
    model["heads"] = config.model.heads;
    model["ffn"] = shapes.at("transformer.blocks.0.feed_forward.in_projection.weight").at(0);
    model["max_length"] = shapes.at("transformer.position_embedding").at(0);
    model["layer_norm_epsilon"] = config.model.layer_norm_epsilon;
  }
  nlohmann::json interaction_types = nlohmann::json::array();
  for (int64_t type = 0; type < manifest.interaction_type_count(); ++type) {
    const auto names = manifest.ind2val.find("interaction_type");
    nlohmann::json name = nullptr;
    if (names != manifest.ind2val.end() && names->contains(std::to_string(type))) {
      name = (*names)[std::to_string(type)];
    } else if (type < static_cast<int64_t>(manifest.interaction_types.size())) {
      name = manifest.interaction_types[static_cast<size_t>(type)];
    }
    interaction_types.push_back(name);
  }

  files.push_back("model.json");
  nlohmann::json description = {
      {"format", kFormat},
      {"version", kExportVersion},
      {"created_by", "slatetrain export"},
      {"model", model},
      {"items",
       {{"file", "items.npy"},
        {"shape", {num_items, dim}},
        {"dtype", "float32"},
        {"ids_file", "item_ids.jsonl"},
        {"row", "row i of items.npy is the item of global id i (item_ids.jsonl line i)"}}},
      {"ids",
       {{"pad", manifest.ids.pad},
        {"no_click", manifest.ids.no_click},
        {"unknown", manifest.ids.unknown},
        {"first_item", manifest.ids.first_item}}},
      {"interaction_types", interaction_types},
      {"parameters", parameter_list},
      {"user_vector", user_vector_semantics(kind)},
      {"score",
       "score(user, item) = items[item] . user; recommendations are the items with the highest "
       "scores among ids >= ids.first_item, ties to the lower id, leaving out the user's own "
       "items when excluding seen ones (as slatetrain recommend)"},
      {"dataset",
       {{"path", config.data.path},
        {"dataset", manifest.dataset},
        {"dataset_id", loaded.dataset_id},
        {"num_items", num_items}}},
      {"checkpoint",
       {{"path", loaded.checkpoint},
        {"step", loaded.header.step},
        {"run_id", loaded.header.run_id},
        {"dataset_id", loaded.header.dataset_id}}},
      {"files", files}};
  {
    std::ofstream out(base + "model.json", std::ios::trunc);
    REQUIRE(out, base << "model.json: cannot be written");
    out << description.dump(2) << '\n';
    out.close();
    REQUIRE(!out.fail(), base << "model.json: writing failed (disk full?)");
  }
  directory.commit();
}

}  // namespace slatetrain
