// IdConventions: which item ids are not items (docs/FORMAT.md, manifest "ids"). Every converted
// dataset records them in its manifest; code above data/ reads them from there, never from the
// FINN constants. FINN (and the session converters, which map source ids onto the same
// layout) use 0 pad, 1 no-click, 2 unknown, real items from 3.
#pragma once

#include <cstdint>

namespace slatetrain {

struct IdConventions {
  int64_t pad = 0;         // no step / an empty slate slot
  int64_t no_click = 1;    // the no-click option (slate position 0)
  int64_t unknown = 2;     // an item the source could not name
  int64_t first_item = 3;  // ids >= first_item are items

  bool is_item(int64_t id) const { return id >= first_item; }
};

}  // namespace slatetrain
