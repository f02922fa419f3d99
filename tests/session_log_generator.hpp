// Session logs written in exactly the formats `slateconvert sessions` reads, from a seeded
// random model, for the converter tests and the conversion-rate benchmark (20M rows stream
// through in constant memory):
//   recbole        NAME.inter (typed header, columns in a seeded order) and NAME.item (class
//                  as a token_seq)
//   movielens-dat  ratings.dat and movies.dat ("::", genres with '|', "(no genres listed)")
//   movielens-csv  ratings.csv and movies.csv (titles quoted, with commas and "" quotes)
//   amazon-m2      sessions_train.csv (prev_items printed by NumPy: quoted and spanning lines
//                  when long) and products_train.csv (quoted titles, multi-line descriptions,
//                  empty brands)
//   csv            events with named columns (session, item, time, type, weight, category) in a
//                  seeded order and a chosen delimiter
// Rows are not sorted by user; times repeat (ties), users repeat their previous item now and
// then (consecutive duplicates), and histories range from one event to hundreds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace slatetrain::testing {

struct SessionLogSpec {
  std::string format = "csv";  // recbole, movielens-dat, movielens-csv, amazon-m2, csv
  int64_t rows = 1000;         // events (amazon-m2: sessions are drawn until this many events)
  int64_t users = 100;
  int64_t items = 200;
  uint64_t seed = 1;
  std::string delimiter = ",";  // csv only
  double repeat_probability = 0.05;
};

// One event as the converter should read it (the item key joins Amazon-M2's id and locale with
// kItemLocaleSeparator, as data/session_source.hpp does).
struct GeneratedEvent {
  std::string user, item;
  int64_t time = 0;
  double rating = 0;
  std::string type;   // csv only
  std::string group;  // csv only: the row's category
};

struct GeneratedItem {
  std::string item;                 // key, as GeneratedEvent::item
  std::vector<std::string> groups;  // as the converter should read them
};

// Writes the files into `directory` (created) and returns their paths in --input order.
// on_event sees every event in file order; on_item every row of the item file.
std::vector<std::string> write_session_log(
    const SessionLogSpec& spec, const std::string& directory,
    const std::function<void(const GeneratedEvent&)>& on_event = {},
    const std::function<void(const GeneratedItem&)>& on_item = {});

}  // namespace slatetrain::testing
