// session_log_writer: writes a generated session log in one source format
// (tests/session_log_generator.hpp), e.g. the 20M-row logs of bench/session_convert.sh.
// usage: session_log_writer FORMAT DIRECTORY ROWS USERS ITEMS SEED [DELIMITER]
// Prints the input paths, one per line, in --input order.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tests/session_log_generator.hpp"

int main(int argc, char** argv) {
  if (argc < 7 || argc > 8) {
    std::fprintf(stderr,
                 "usage: session_log_writer FORMAT DIRECTORY ROWS USERS ITEMS SEED [DELIMITER]\n"
                 "FORMAT: recbole, movielens-dat, movielens-csv, amazon-m2 or csv\n");
    return 2;
  }
  try {
    slatetrain::testing::SessionLogSpec spec;
    spec.format = argv[1];
    spec.rows = std::atoll(argv[3]);
    spec.users = std::atoll(argv[4]);
    spec.items = std::atoll(argv[5]);
    spec.seed = std::strtoull(argv[6], nullptr, 10);
    if (argc == 8) spec.delimiter = argv[7];
    for (const std::string& path : slatetrain::testing::write_session_log(spec, argv[2]))
      std::printf("%s\n", path.c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "session_log_writer: %s\n", error.what());
    return 1;
  }
  return 0;
}
