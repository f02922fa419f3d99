// The item index file (docs/ITEM_INDEX.md): what `slatetrain index` writes and
// `recommend --index` reads. Three parts, so that `head -2 FILE` shows what it is:
//   line 1  "slatetrain item index 1\n"  (format and version; marks the file as ours)
//   line 2  one JSON object and "\n": kind, parameters, the catalogue (num_items, first_item,
//           count, dim), where the vectors came from (dataset_id, checkpoint, run_id, step,
//           rows_crc32) and the FAISS payload's size and CRC-32
//   rest    the index as faiss::write_index serialises it
// Written atomically (a temporary name beside it, then a rename); an existing file is replaced
// only under force and only if it is an item index itself (docs/DATA_SAFETY.md).
#pragma once

#include <cstdint>
#include <string>

#include "launch/item_index.hpp"

namespace slatetrain {

// Where an index's vectors came from, checked against a checkpoint before use.
struct ItemIndexSource {
  int64_t num_items = 0;  // the catalogue's ids 0 .. num_items-1 (indexed: first_item ..)
  int64_t dim = 0;
  std::string dataset_id;  // launch/dataset_identity of the data the checkpoint trained on
  std::string dataset_path;
  std::string checkpoint;  // the checkpoint file, as given
  std::string run_id;      // its header's run and step: the weights it holds
  int64_t step = 0;
  std::string rows_crc32;  // CRC-32 of the indexed rows (float32, item order), 8 hex digits
};

struct ItemIndexHeader {
  ItemIndexParameters parameters;
  int64_t first_item = 0;
  int64_t count = 0;  // items in the index
  ItemIndexSource source;
  std::string created_by;  // "slatetrain index <version>"
  double build_seconds = 0;
  int64_t faiss_bytes = 0;
  std::string faiss_crc32;
};

struct ItemIndexFile {
  ItemIndexHeader header;
  ItemIndex index;
};

// Writes `index` with its header to `path` atomically. An existing `path` is refused unless
// `force` and it is an item index (checked before writing and again before the rename).
// Errors name the path.
void write_item_index_file(const std::string& path, const ItemIndex& index,
                           const ItemIndexSource& source, double build_seconds, bool force);

// Lines 1 and 2 only (cheap: nothing of the index is read). Errors name the path and say
// what is wrong: not an item index, another version, a damaged header.
ItemIndexHeader read_item_index_header(const std::string& path);

// The whole file; the payload's size and CRC-32 are checked before FAISS reads it.
ItemIndexFile read_item_index_file(const std::string& path);

// Empty when `path` is a regular file (not a link) that begins as an item index does;
// otherwise why not ("it is a directory", "it does not begin with ...").
std::string why_not_an_item_index(const std::string& path);

// Throws unless the index was built from this checkpoint's weights (run_id and step) on this
// dataset with this catalogue shape. `index_path` and `checkpoint_path` are for the message,
// which names both and what differs.
void require_index_of_checkpoint(const ItemIndexHeader& header, const std::string& index_path,
                                 const std::string& checkpoint_path, const std::string& run_id,
                                 int64_t step, const std::string& dataset_id, int64_t num_items,
                                 int64_t dim);

// The CRC-32 of `bytes` bytes continuing `crc` (zlib's; start from 0), and as 8 hex digits.
uint32_t crc32_update(uint32_t crc, const void* bytes, size_t size);
std::string crc32_hex(uint32_t crc);

}  // namespace slatetrain
