#include "launch/item_index_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/output_file.hpp"
#include "launch/faiss_error.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMagicLine = "slatetrain item index 1";
// A header line longer than this is not ours (ours is a few hundred bytes).
constexpr size_t kLongestHeader = 1 << 20;

nlohmann::json header_json(const ItemIndexHeader& header) {
  const ItemIndexParameters& p = header.parameters;
  nlohmann::json parameters = {{"kind", item_index_kind_name(p.kind)}};
  if (p.kind == ItemIndexKind::kHnsw) {
    parameters["m"] = p.hnsw_m;
    parameters["ef_construction"] = p.hnsw_ef_construction;
    parameters["ef_search"] = p.hnsw_ef_search;
  } else if (p.kind == ItemIndexKind::kIvf) {
    parameters["lists"] = p.ivf_lists;
    parameters["probes"] = p.ivf_probes;
    parameters["training_items"] = p.ivf_training;
    parameters["seed"] = p.seed;
  }
  const ItemIndexSource& s = header.source;
  return {{"format", "slatetrain-item-index"},
          {"version", 1},
          {"created_by", header.created_by},
          {"metric", "inner_product"},
          {"parameters", parameters},
          {"num_items", s.num_items},
          {"first_item", header.first_item},
          {"count", header.count},
          {"dim", s.dim},
          {"dataset_id", s.dataset_id},
          {"dataset_path", s.dataset_path},
          {"checkpoint", s.checkpoint},
          {"run_id", s.run_id},
          {"step", s.step},
          {"rows_crc32", s.rows_crc32},
          {"build_s", header.build_seconds},
          {"faiss_bytes", header.faiss_bytes},
          {"faiss_crc32", header.faiss_crc32}};
}

ItemIndexHeader header_from_json(const nlohmann::json& json, const std::string& path) {
  try {
    REQUIRE(json.at("format") == "slatetrain-item-index" && json.at("version") == 1,
            path << ": an item index header of another format or version");
    REQUIRE(json.at("metric") == "inner_product",
            path << ": metric " << json.at("metric") << ", expected inner_product");
    ItemIndexHeader header;
    const nlohmann::json& p = json.at("parameters");
    header.parameters.kind = parse_item_index_kind(p.at("kind").get<std::string>());
    if (header.parameters.kind == ItemIndexKind::kHnsw) {
      header.parameters.hnsw_m = p.at("m").get<int>();
      header.parameters.hnsw_ef_construction = p.at("ef_construction").get<int>();
      header.parameters.hnsw_ef_search = p.at("ef_search").get<int>();
    } else if (header.parameters.kind == ItemIndexKind::kIvf) {
      header.parameters.ivf_lists = p.at("lists").get<int64_t>();
      header.parameters.ivf_probes = p.at("probes").get<int64_t>();
      header.parameters.ivf_training = p.at("training_items").get<int64_t>();
      header.parameters.seed = p.at("seed").get<uint64_t>();
    }
    header.first_item = json.at("first_item").get<int64_t>();
    header.count = json.at("count").get<int64_t>();
    header.created_by = json.at("created_by").get<std::string>();
    header.build_seconds = json.at("build_s").get<double>();
    header.faiss_bytes = json.at("faiss_bytes").get<int64_t>();
    header.faiss_crc32 = json.at("faiss_crc32").get<std::string>();
    ItemIndexSource& s = header.source;
    s.num_items = json.at("num_items").get<int64_t>();
    s.dim = json.at("dim").get<int64_t>();
    s.dataset_id = json.at("dataset_id").get<std::string>();
    s.dataset_path = json.at("dataset_path").get<std::string>();
    s.checkpoint = json.at("checkpoint").get<std::string>();
    s.run_id = json.at("run_id").get<std::string>();
    s.step = json.at("step").get<int64_t>();
    s.rows_crc32 = json.at("rows_crc32").get<std::string>();
    return header;
  } catch (const nlohmann::json::exception& error) {
    RAISE(path << ": a damaged item index header: " << error.what());
  }
}

// Reads line 1 and line 2 of `in`; throws naming the path unless they are an item index's.
ItemIndexHeader read_header_lines(std::istream& in, const std::string& path) {
  std::string magic;
  std::getline(in, magic);
  REQUIRE(in && magic == kMagicLine, path << ": not an item index (it does not begin with '"
                                          << kMagicLine << "'); `slatetrain index` writes them");
  std::string line;
  char c = 0;
  while (in.get(c) && c != '\n') {
    line.push_back(c);
    REQUIRE(line.size() <= kLongestHeader, path << ": a damaged item index header (too long)");
  }
  REQUIRE(in && c == '\n', path << ": a truncated item index (no complete header)");
  const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
  REQUIRE(json.is_object(), path << ": a damaged item index header (not JSON)");
  return header_from_json(json, path);
}

// Throws unless an existing `path` may be replaced: force, and it is an item index.
void require_replaceable(const std::string& path, bool force, bool at_rename) {
  std::error_code error;
  if (fs::symlink_status(path, error).type() == fs::file_type::not_found) return;
  const std::string why_not = why_not_an_item_index(path);
  REQUIRE(why_not.empty(), path << ": the output exists and is not ours to replace (" << why_not
                                << "); --force replaces only an item index; nothing was changed");
  REQUIRE(force, path << ": the output exists"
                      << (at_rename ? " (it appeared while the index was being built)" : "")
                      << "; --force replaces an item index; nothing was changed");
}

}  // namespace

uint32_t crc32_update(uint32_t crc, const void* bytes, size_t size) {
  const auto* data = static_cast<const Bytef*>(bytes);
  uLong value = crc;
  while (size > 0) {  // zlib takes a uInt length
    const uInt piece = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    value = ::crc32(value, data, piece);
    data += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(value);
}

std::string crc32_hex(uint32_t crc) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

std::string why_not_an_item_index(const std::string& path) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(path, error);
  if (status.type() == fs::file_type::symlink) return "it is a symbolic link";
  if (status.type() == fs::file_type::directory) return "it is a directory";
  if (status.type() != fs::file_type::regular) return "it is not a regular file";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "it cannot be read";
  std::string magic(std::strlen(kMagicLine) + 1, '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  if (!in || magic != std::string(kMagicLine) + "\n") {
    return std::string("it does not begin with '") + kMagicLine + "'";
  }
  return "";
}

void write_item_index_file(const std::string& path, const ItemIndex& index,
                           const ItemIndexSource& source, double build_seconds, bool force) {
  REQUIRE(!path.empty(), "the index output name is empty");
  require_replaceable(path, force, /*at_rename=*/false);

  faiss::VectorIOWriter payload;
  CHECK_FAISS(faiss::write_index(&index.faiss_index(), &payload),
              path << ": serialising the index");
  ItemIndexHeader header;
  header.parameters = index.parameters();
  header.first_item = index.first_item();
  header.count = index.count();
  header.source = source;
  header.created_by = "slatetrain index";
  header.build_seconds = build_seconds;
  header.faiss_bytes = static_cast<int64_t>(payload.data.size());
  header.faiss_crc32 = crc32_hex(crc32_update(0, payload.data.data(), payload.data.size()));
  const std::string head = std::string(kMagicLine) + "\n" + header_json(header).dump() + "\n";

  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    fs::create_directories(parent, error);
    REQUIRE(!error, parent.string()
                        << ": cannot create the index's directory: " << error.message());
  }
  OutputFile file(path);
  file.write(head);
  file.write(payload.data.data(), payload.data.size());
  // Replacing: an item index of ours, checked just above the rename; otherwise the rename never
  // overwrites whatever appeared at `path` meanwhile.
  require_replaceable(path, force, /*at_rename=*/true);
  file.commit(/*replace=*/force);
}

ItemIndexHeader read_item_index_header(const std::string& path) {
  std::error_code error;
  REQUIRE(fs::is_regular_file(path, error), path << ": no such index file");
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in, path << ": cannot open the index file");
  return read_header_lines(in, path);
}

ItemIndexFile read_item_index_file(const std::string& path) {
  std::error_code error;
  REQUIRE(fs::is_regular_file(path, error), path << ": no such index file");
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in, path << ": cannot open the index file");
  ItemIndexHeader header = read_header_lines(in, path);
  const std::streamoff start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  REQUIRE(end - start == header.faiss_bytes,
          path << ": the index holds " << (end - start) << " bytes after its header, the header "
               << "says " << header.faiss_bytes << " (truncated or damaged)");
  in.seekg(start);
  faiss::VectorIOReader payload;
  payload.data.resize(static_cast<size_t>(header.faiss_bytes));
  in.read(reinterpret_cast<char*>(payload.data.data()),
          static_cast<std::streamsize>(payload.data.size()));
  REQUIRE(in, path << ": read failed");
  const std::string crc = crc32_hex(crc32_update(0, payload.data.data(), payload.data.size()));
  REQUIRE(crc == header.faiss_crc32, path << ": the index's CRC-32 is " << crc
                                          << ", its header says " << header.faiss_crc32
                                          << " (the file is damaged)");
  std::unique_ptr<faiss::Index> index;
  CHECK_FAISS(index.reset(faiss::read_index(&payload)), path << ": reading the FAISS index");
  REQUIRE(index->ntotal == header.count && index->d == header.source.dim &&
              index->metric_type == faiss::METRIC_INNER_PRODUCT,
          path << ": the FAISS index (" << index->ntotal << " x " << index->d
               << ") is not the header's (" << header.count << " x " << header.source.dim
               << ", inner product)");
  ItemIndex item_index(std::move(index), header.parameters, header.first_item);
  return ItemIndexFile{std::move(header), std::move(item_index)};
}

void require_index_of_checkpoint(const ItemIndexHeader& header, const std::string& index_path,
                                 const std::string& checkpoint_path, const std::string& run_id,
                                 int64_t step, const std::string& dataset_id, int64_t num_items,
                                 int64_t dim) {
  const ItemIndexSource& s = header.source;
  REQUIRE(s.dataset_id == dataset_id, index_path << ": the index was built for dataset "
                                                 << s.dataset_id << " (" << s.dataset_path
                                                 << "), this is dataset " << dataset_id
                                                 << "; rebuild it with `slatetrain index`");
  REQUIRE(s.num_items == num_items && s.dim == dim,
          index_path << ": the index covers " << s.num_items << " x " << s.dim << " items, "
                     << checkpoint_path << " has " << num_items << " x " << dim);
  REQUIRE(s.run_id == run_id && s.step == step,
          index_path << ": the index holds the item vectors of run " << s.run_id << " step "
                     << s.step << " (" << s.checkpoint << "), not those of " << checkpoint_path
                     << " (run " << run_id << " step " << step
                     << "); rebuild it with `slatetrain index --checkpoint " << checkpoint_path
                     << "`");
}

}  // namespace slatetrain
