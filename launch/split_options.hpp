// The published split's options (--split-seed, --valid-fraction, --test-fraction,
// --t-testsplit), declared once for `slateconvert finn` and `sessions`.
#pragma once

#include <CLI/CLI.hpp>

#include "data/split.hpp"

namespace slatetrain {

// `group`: the --help heading under which they are listed.
void add_split_options(CLI::App& app, SplitParameters& split, const std::string& group);

}  // namespace slatetrain
