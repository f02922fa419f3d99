// Which existing directories an output may replace (--force): only one that slateconvert (or
// slatetrain export) wrote itself and that holds nothing else, and never one that is or holds an
// input. docs/DATA_SAFETY.md explains the rules and how each kind of output is recognised.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace slatetrain {

enum class OutputKind {
  kConvertedDataset,  // slateconvert finn / sessions: manifest.json naming every other file
  kSynthDataset,      // slateconvert synth: generator.json beside the FINN files
  kModelExport,       // slatetrain export: model.json naming every other file
};

// "a converted dataset (manifest.json, items.h5, shards)" and the like, for messages.
const char* output_kind_description(OutputKind kind);

// Empty when `directory` is a complete `kind` output that holds only files of that output;
// otherwise why it is not (naming the first foreign entry or the missing marker).
std::string why_not_ours(const std::filesystem::path& directory, OutputKind kind);

// Throws, naming both paths, when `target` (resolved: symbolic links and `..` followed) is an
// input or contains one. Inputs are every file a command reads (and a FINN input directory).
void require_apart_from_inputs(const std::string& target, const std::vector<std::string>& inputs);

}  // namespace slatetrain
