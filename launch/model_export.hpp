// `slatetrain export`'s directory (docs/USING_A_MODEL.md, "The export"): everything a program
// needs to use a trained model without slatetrain, in NumPy's .npy files and JSON:
//   items.npy         float32 [num_items, D]: the item table in global id order (row i is item
//                     id i; the rows below ids.first_item are the convention ids, never ranked)
//   item_ids.jsonl    one line per row of items.npy: {"index", "id", "group"[, "locale"]}
//                     (the source's id and group name; null below first_item)
//   <name>.npy        float32, one per dense parameter under its name (e.g. gru.weight_ih.npy),
//                     in the shape and layout of the checkpoint's dense/parameters layout
//   model.json        the model kind and sizes, the id conventions, the interaction types, every
//                     file with its shape, and how to compute a user vector and the scores
// written into a temporary directory that is renamed into place when complete; an existing
// directory is replaced (--force) only when it is an earlier export holding nothing else
// (data/output_directory.hpp, docs/DATA_SAFETY.md).
#pragma once

#include <string>

#include "launch/checkpoint_model.hpp"

namespace slatetrain {

// Rank 0 only: reads the checkpoint's item rows (in chunks of checkpoint.chunk_rows) and dense
// parameters again from the file, with the names and shapes of the loaded model (checked
// against the file's layout when it was loaded).
void write_model_export(const CheckpointModel& loaded, const std::string& output, bool force);

}  // namespace slatetrain
