// ann_bench: what the item index kinds (launch/item_index.hpp) cost and find at a catalogue
// of FINN's size: build time, serialised size, recall@k against the exact top-k, and
// queries/s through ItemIndex::search (the path `recommend --index` takes) at 1 and more
// threads.
//
// Vectors: no trained full-size checkpoint is at hand, so item and user vectors are drawn to
// look like a trained table rather than i.i.d. uniform noise: a Gaussian mixture (items fall
// into Zipf-sized clusters, as genres and categories do) whose norms grow with a Zipf
// popularity (sampled-softmax training leaves frequent items with longer vectors, which is
// what makes inner-product search harder than cosine). Users are noisy mixtures of two
// clusters, drawn by popularity. The exact top-k comes from the flat index.
//
// usage: ann_bench [--items N] [--dim D] [--queries Q] [--threads 1,2] [--ef-search 16,...]
//                  [--probes 8,...] [--build-threads T] [--hnsw-m M] [--hnsw-ef-construction E]
//                  [--ivf-lists L]
//                  [--seed S] [--kinds flat,hnsw,ivf]
// Prints a Markdown table and one JSON line per measurement.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "launch/item_index.hpp"

namespace slatetrain {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the whole process (all threads): on a shared machine the wall time says how
// busy the others were, the CPU time what the work costs.
double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

// The process's resident memory in MiB (VmRSS), for the index's memory in RAM.
double resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

struct Vectors {
  std::vector<float> items;  // [items, dim]
  std::vector<float> users;  // [queries, dim]
};

Vectors trained_like_vectors(int64_t items, int64_t dim, int64_t queries, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int clusters = 2048;
  std::vector<float> centres(static_cast<size_t>(clusters) * dim);
  for (float& value : centres) value = normal(generator) / std::sqrt(float(dim));
  // Zipf(1) weights over clusters and over item popularity ranks.
  const auto zipf = [](int64_t n, double exponent) {
    std::vector<double> weights(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) weights[i] = 1.0 / std::pow(double(i + 1), exponent);
    return weights;
  };
  const std::vector<double> cluster_weights = zipf(clusters, 0.8);
  std::discrete_distribution<int> cluster_of(cluster_weights.begin(), cluster_weights.end());
  Vectors v;
  v.items.resize(static_cast<size_t>(items * dim));
  std::vector<int> item_cluster(static_cast<size_t>(items));
  // Popularity rank r (item i has rank i, ids are arbitrary anyway): norm 0.5 .. 2.5 growing
  // with log popularity, with per-item spread.
  std::lognormal_distribution<float> spread(0.0f, 0.25f);
  for (int64_t i = 0; i < items; ++i) {
    const int c = cluster_of(generator);
    item_cluster[i] = c;
    const double popularity = 1.0 - std::log(double(i + 1)) / std::log(double(items));
    const float norm = static_cast<float>(0.5 + 2.0 * popularity) * spread(generator);
    float* row = v.items.data() + i * dim;
    double length = 0;
    for (int64_t j = 0; j < dim; ++j) {
      row[j] = centres[c * dim + j] + 0.7f * normal(generator) / std::sqrt(float(dim));
      length += double(row[j]) * row[j];
    }
    const float scale = norm / static_cast<float>(std::sqrt(length));
    for (int64_t j = 0; j < dim; ++j) row[j] *= scale;
  }
  v.users.resize(static_cast<size_t>(queries * dim));
  for (int64_t u = 0; u < queries; ++u) {
    const int a = cluster_of(generator), b = cluster_of(generator);
    float* row = v.users.data() + u * dim;
    for (int64_t j = 0; j < dim; ++j) {
      row[j] = 3.0f * (0.7f * centres[a * dim + j] + 0.3f * centres[b * dim + j]) +
               0.5f * normal(generator) / std::sqrt(float(dim));
    }
  }
  return v;
}

double recall(const ItemRanking& got, const ItemRanking& exact, int64_t k) {
  int64_t found = 0;
  for (int64_t u = 0; u < got.users; ++u) {
    const std::set<int64_t> truth(exact.items.begin() + u * exact.k,
                                  exact.items.begin() + u * exact.k + k);
    for (int64_t j = 0; j < k; ++j) found += truth.count(got.items[u * got.k + j]);
  }
  return double(found) / double(got.users * k);
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream in(text);
  std::string piece;
  while (std::getline(in, piece, ',')) words.push_back(piece);
  return words;
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  for (const std::string& word : split_words(text)) values.push_back(std::stoi(word));
  return values;
}

struct Options {
  int64_t items = 1311775;  // FINN's catalogue
  int64_t dim = 64;
  int64_t queries = 1000;
  std::string threads = "1,2";
  std::string ef_search = "16,32,64,128,256";
  std::string probes = "4,16,64,256";
  std::string kinds = "flat,hnsw,ivf";
  int build_threads = 2;
  int hnsw_m = 32;
  int hnsw_ef_construction = 100;
  int64_t ivf_lists = 0;
  uint64_t seed = 1;
};

struct Speed {
  double wall = 0;  // queries per wall-clock second
  double cpu = 0;   // queries per CPU second (all threads)
};

void report(const char* kind, const std::string& setting, double recall10, double recall100,
            int threads, Speed speed) {
  std::printf("| %s | %s | %.4f | %.4f | %d | %.0f | %.0f |\n", kind, setting.c_str(), recall10,
              recall100, threads, speed.wall, speed.cpu);
  std::fprintf(stderr,
               "{\"kind\": \"%s\", \"setting\": \"%s\", \"recall_at_10\": %.5f, "
               "\"recall_at_100\": %.5f, \"threads\": %d, \"queries_per_s\": %.1f, "
               "\"queries_per_cpu_s\": %.1f}\n",
               kind, setting.c_str(), recall10, recall100, threads, speed.wall, speed.cpu);
  std::fflush(stdout);
  std::fflush(stderr);
}

int run(const Options& options) {
  const std::vector<int> thread_counts = parse_list(options.threads);
  std::printf("items %lld, dim %lld, queries %lld, seed %llu\n", (long long)options.items,
              (long long)options.dim, (long long)options.queries, (unsigned long long)options.seed);
  double start = now_seconds();
  const Vectors v = trained_like_vectors(options.items, options.dim, options.queries, options.seed);
  std::printf("vectors drawn in %.1f s\n", now_seconds() - start);

  const auto build = [&](ItemIndexParameters parameters, const char* what) {
    set_item_index_threads(options.build_threads);
    const double before = resident_mib();
    const double t0 = now_seconds();
    const double c0 = cpu_seconds();
    ItemIndex index = ItemIndex::build(v.items.data(), options.items, options.dim, 0, parameters);
    const double seconds = now_seconds() - t0;
    const double cpu = cpu_seconds() - c0;
    faiss::VectorIOWriter bytes;
    faiss::write_index(&index.faiss_index(), &bytes);
    std::printf(
        "build %s: %.1f s wall, %.1f s CPU with %d threads, file %.1f MiB, "
        "resident +%.0f MiB\n",
        what, seconds, cpu, options.build_threads, bytes.data.size() / 1048576.0,
        resident_mib() - before);
    return index;
  };
  // Queries/s of one search call over all queries (a batch, as recommend asks), per thread count.
  const auto timed = [&](const ItemIndex& index, int threads, int64_t k, ItemRanking* out) {
    set_item_index_threads(threads);
    const double t0 = now_seconds();
    const double c0 = cpu_seconds();
    ItemRanking ranking = index.search(v.users.data(), options.queries, k);
    Speed speed;
    speed.wall = options.queries / (now_seconds() - t0);
    speed.cpu = options.queries / (cpu_seconds() - c0);
    if (out) *out = std::move(ranking);
    return speed;
  };

  ItemIndexParameters flat_parameters;
  flat_parameters.kind = ItemIndexKind::kFlat;
  ItemRanking exact;
  {
    const ItemIndex flat = build(flat_parameters, "flat");
    std::printf(
        "\n| kind | setting | recall@10 | recall@100 | threads | queries/s | "
        "queries/CPU-s |\n|---|---|---|---|---|---|---|\n");
    for (const int threads : thread_counts) {
      const Speed qps = timed(flat, threads, 100, &exact);
      report("flat", "exact", 1.0, 1.0, threads, qps);
    }
  }
  // One approximate index at each setting: recall against the exact top-k (the top-100 search
  // once per setting, recall does not depend on threads), queries/s at each thread count.
  const auto sweep = [&](ItemIndex& index, const char* kind, const std::vector<int>& settings,
                         const std::function<std::string(ItemIndex&, int)>& apply) {
    for (const int setting : settings) {
      const std::string label = apply(index, setting);
      ItemRanking top10, top100;
      timed(index, thread_counts.front(), 100, &top100);
      for (const int threads : thread_counts) {
        const Speed qps = timed(index, threads, 10, &top10);
        report(kind, label, recall(top10, exact, 10), recall(top100, exact, 100), threads, qps);
      }
    }
  };
  const std::vector<std::string> kinds = split_words(options.kinds);
  const auto wanted = [&](const char* kind) {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  };
  if (wanted("hnsw")) {
    ItemIndexParameters parameters;
    parameters.kind = ItemIndexKind::kHnsw;
    parameters.hnsw_m = options.hnsw_m;
    parameters.hnsw_ef_construction = options.hnsw_ef_construction;
    ItemIndex hnsw = build(parameters, "hnsw");
    sweep(hnsw, "hnsw", parse_list(options.ef_search), [&](ItemIndex& index, int ef) {
      index.set_ef_search(ef);
      return "M " + std::to_string(options.hnsw_m) + ", efSearch " + std::to_string(ef);
    });
  }
  if (wanted("ivf")) {
    ItemIndexParameters parameters;
    parameters.kind = ItemIndexKind::kIvf;
    parameters.ivf_lists = options.ivf_lists;
    parameters.seed = options.seed;
    ItemIndex ivf = build(parameters, "ivf");
    sweep(ivf, "ivf", parse_list(options.probes), [](ItemIndex& index, int probes) {
      index.set_probes(probes);
      return std::to_string(index.parameters().ivf_lists) + " lists, nprobe " +
             std::to_string(probes);
    });
  }
  return 0;
}

}  // namespace
}  // namespace slatetrain

int main(int argc, char** argv) {
  slatetrain::Options options;
  CLI::App app{"ann_bench: recall and queries/s of the item index kinds (bench/RESULTS.md)"};
  app.add_option("--items", options.items, "catalogue size")
      ->check(CLI::Range(int64_t{100}, int64_t{1} << 32));
  app.add_option("--dim", options.dim, "vector dimension")->check(CLI::Range(1, 4096));
  app.add_option("--queries", options.queries, "user vectors")->check(CLI::Range(1, 1 << 24));
  app.add_option("--threads", options.threads, "thread counts, e.g. 1,2");
  app.add_option("--ef-search", options.ef_search, "hnsw efSearch values");
  app.add_option("--probes", options.probes, "ivf nprobe values");
  app.add_option("--kinds", options.kinds, "flat is always built (the exact top-k)");
  app.add_option("--build-threads", options.build_threads)->check(CLI::Range(1, 4096));
  app.add_option("--hnsw-m", options.hnsw_m)->check(CLI::Range(2, 512));
  app.add_option("--hnsw-ef-construction", options.hnsw_ef_construction)
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--ivf-lists", options.ivf_lists, "0: 4 sqrt(items)");
  app.add_option("--seed", options.seed);
  CLI11_PARSE(app, argc, argv);
  try {
    return slatetrain::run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ann_bench: %s\n", error.what());
    return 1;
  }
}
