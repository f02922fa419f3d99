// checkpoint_compare A.h5 B.h5 [--tolerance T]: compares two checkpoints' dense parameters,
// optimizer state and every embedding table; prints the first difference beyond T (absolute,
// plus T times the magnitude) with both values. Exit 0 when they agree, 1 when not, 2 on error.
// Used by the end-to-end training tests (distributed against single-process, resume).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "dist/checkpoint_file.hpp"

namespace {

bool compare(const std::string& what, const std::vector<float>& a, const std::vector<float>& b,
             double tolerance, double& worst) {
  if (a.size() != b.size()) {
    std::printf("%s: sizes differ: %zu and %zu\n", what.c_str(), a.size(), b.size());
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const double difference = std::fabs(static_cast<double>(a[i]) - b[i]);
    worst = std::max(worst, difference);
    if (!(difference <= tolerance * (1.0 + std::fabs(static_cast<double>(a[i]))))) {
      std::printf("%s: first difference at index %zu: %.9g and %.9g (|diff| %.3g > %.3g)\n",
                  what.c_str(), i, a[i], b[i], difference, tolerance);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: checkpoint_compare A.h5 B.h5 [--tolerance T]\n");
    return 2;
  }
  double tolerance = 0;
  for (int i = 3; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--tolerance") == 0) tolerance = std::atof(argv[i + 1]);
  }
  try {
    slatetrain::CheckpointFileReader a(argv[1]), b(argv[2]);
    bool same = a.header().step == b.header().step;
    if (!same) {
      std::printf("steps differ: %lld and %lld\n", static_cast<long long>(a.header().step),
                  static_cast<long long>(b.header().step));
    }
    double worst = 0;
    for (const auto& name : a.dense_names()) {
      same = compare("dense/" + name, a.read_dense(name), b.read_dense(name), tolerance, worst) &&
             same;
    }
    if (a.num_items() != b.num_items() || a.dim() != b.dim()) {
      std::printf("tables differ in shape\n");
      return 1;
    }
    std::vector<std::string> tables{"rows"};
    for (const auto& name : a.embedding_states()) tables.push_back(name);
    const int64_t chunk = 4096;
    std::vector<float> rows_a, rows_b;
    for (const auto& table : tables) {
      for (int64_t first = 0; first < a.num_items(); first += chunk) {
        const int64_t count = std::min(chunk, a.num_items() - first);
        rows_a.resize(static_cast<size_t>(count * a.dim()));
        rows_b.resize(rows_a.size());
        a.read_embedding_rows(table, first, count, rows_a.data());
        b.read_embedding_rows(table, first, count, rows_b.data());
        if (!compare("embedding/" + table + " from item " + std::to_string(first), rows_a, rows_b,
                     tolerance, worst)) {
          same = false;
          break;
        }
      }
    }
    std::printf("%s: largest absolute difference %.3g (tolerance %.3g)\n",
                same ? "agree" : "DIFFER", worst, tolerance);
    return same ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "checkpoint_compare: %s\n", error.what());
    return 2;
  }
}
