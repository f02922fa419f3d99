// items.h5 (docs/FORMAT.md): the item attributes, /items/category float64 [num_items].
#pragma once

#include <string>
#include <vector>

namespace slatetrain {

void write_items_file(const std::string& path, const std::vector<double>& category);
std::vector<double> read_item_categories(const std::string& path);

}  // namespace slatetrain
