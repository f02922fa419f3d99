// Fuzz target: our validation of a checkpoint's contents, in files HDF5 itself wrote. The input
// decides, field by field, what a checkpoint holds: each header attribute present or missing,
// of its type or another (int32, double, strings fixed and variable, unsigned), scalar or with
// 0..5 elements; groups present, missing or datasets in their place; dense buffers and embedding
// tables of any shape and type, with `size`, `num_items` and `dim` that may disagree with them.
// The file is built in memory (HDF5's core driver) and read back by CheckpointFileReader as a
// resuming run does. HDF5 parses only well-formed files here, so every finding is in our code;
// fuzz_checkpoint feeds HDF5 raw bytes instead.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/hdf5_error.hpp"
#include "dist/checkpoint_file.hpp"
#include "tests/fuzz/checkpoint_reading.hpp"

namespace {

using slatetrain::Hdf5Handle;

// Writes attribute `name` on `object` as the input says: mostly the type the reader expects.
void write_attribute(FuzzedDataProvider& input, hid_t object, const char* name, hid_t expected) {
  const int choice = input.ConsumeIntegralInRange(0, 15);
  if (choice == 0) return;  // missing
  hid_t type = expected;
  Hdf5Handle owned_type;
  if (choice >= 10) {
    switch (choice) {
      case 10:
        type = H5T_STD_I32LE;
        break;
      case 11:
        type = H5T_IEEE_F64LE;
        break;
      case 12:
        type = H5T_STD_U8LE;
        break;
      case 13:
        owned_type = Hdf5Handle(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(owned_type, input.ConsumeIntegralInRange<size_t>(1, 40));
        type = owned_type;
        break;
      case 14:
        owned_type = Hdf5Handle(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(owned_type, H5T_VARIABLE);
        type = owned_type;
        break;
      default:
        type = H5T_STD_I64LE;
    }
  }
  const bool scalar = input.ConsumeIntegralInRange(0, 3) != 0;
  const hsize_t count = scalar ? 1 : input.ConsumeIntegralInRange<hsize_t>(0, 5);
  Hdf5Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), H5Sclose);
  Hdf5Handle attribute(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (attribute < 0) return;
  if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0) {
    std::vector<std::string> texts;
    std::vector<const char*> pointers;
    for (hsize_t i = 0; i < count; ++i) texts.push_back(input.ConsumeRandomLengthString(40));
    for (const auto& text : texts) pointers.push_back(text.c_str());
    if (count > 0) H5Awrite(attribute, type, pointers.data());
    return;
  }
  const size_t bytes = H5Tget_size(type) * count;
  std::vector<uint8_t> values = input.ConsumeBytes<uint8_t>(bytes);
  values.resize(bytes);
  if (bytes > 0) H5Awrite(attribute, type, values.data());
}

// A group, nothing, or a dataset where the reader expects a group.
Hdf5Handle make_group(FuzzedDataProvider& input, hid_t parent, const char* name) {
  const int choice = input.ConsumeIntegralInRange(0, 15);
  if (choice == 0) return {};
  if (choice == 1) {
    const hsize_t one = 1;
    Hdf5Handle space(H5Screate_simple(1, &one, nullptr), H5Sclose);
    return Hdf5Handle(
        H5Dcreate2(parent, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        H5Dclose);
  }
  return Hdf5Handle(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
}

// A dataset of 1 or 2 dimensions of small extent, float32 mostly, filled from the input.
void write_dataset(FuzzedDataProvider& input, hid_t group, const std::string& name, int rank) {
  static const hid_t kTypes[] = {H5T_IEEE_F32LE, H5T_IEEE_F32LE, H5T_IEEE_F32LE,
                                 H5T_IEEE_F64LE, H5T_STD_I8LE,   H5T_STD_I64LE};
  const hid_t type = kTypes[input.ConsumeIntegralInRange<size_t>(0, 5)];
  if (input.ConsumeIntegralInRange(0, 7) == 0) rank = 3 - rank;  // the other rank
  hsize_t shape[2] = {input.ConsumeIntegralInRange<hsize_t>(0, 12),
                      input.ConsumeIntegralInRange<hsize_t>(0, 4)};
  Hdf5Handle space(H5Screate_simple(rank, shape, nullptr), H5Sclose);
  Hdf5Handle dataset(
      H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  if (dataset < 0) return;
  const hsize_t elements = rank == 1 ? shape[0] : shape[0] * shape[1];
  std::vector<uint8_t> values = input.ConsumeBytes<uint8_t>(elements * H5Tget_size(type));
  values.resize(elements * H5Tget_size(type));
  if (elements > 0) H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  if (rank == 1) write_attribute(input, dataset, "size", H5T_STD_I64LE);
}

// The whole checkpoint as an HDF5 file image.
std::vector<uint8_t> build_image(FuzzedDataProvider& input) {
  Hdf5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(access, 1 << 16, false);
  Hdf5Handle file(H5Fcreate("fields.h5", H5F_ACC_TRUNC, H5P_DEFAULT, access), H5Fclose);
  if (file < 0) return {};
  for (const char* name : {"complete", "schema_version", "step", "epoch", "batches_into_epoch",
                           "batches_per_epoch", "world_size"})
    write_attribute(input, file, name, H5T_STD_I64LE);
  write_attribute(input, file, "seed", H5T_STD_U64LE);
  write_attribute(input, file, "rng_state", H5T_STD_U64LE);
  {
    Hdf5Handle string_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(string_type, input.ConsumeIntegralInRange<size_t>(1, 30));
    write_attribute(input, file, "config", string_type);
  }
  Hdf5Handle dense = make_group(input, file, "dense");
  if (dense >= 0) {
    write_attribute(input, dense, "step", H5T_STD_I64LE);
    const int count = input.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < count; ++i)
      write_dataset(input, dense, i == 0 ? "parameters" : "m" + std::to_string(i), 1);
  }
  Hdf5Handle embedding = make_group(input, file, "embedding");
  if (embedding >= 0) {
    for (const char* name : {"step", "num_items", "dim"})
      write_attribute(input, embedding, name, H5T_STD_I64LE);
    const int count = input.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < count; ++i)
      write_dataset(input, embedding, i == 0 ? "rows" : "s" + std::to_string(i), 2);
  }
  Hdf5Handle evaluation = make_group(input, file, "evaluation");
  if (evaluation >= 0) {
    write_attribute(input, evaluation, "best_metric", H5T_IEEE_F64LE);
    write_attribute(input, evaluation, "best_step", H5T_STD_I64LE);
    write_attribute(input, evaluation, "validations_without_improvement", H5T_STD_I64LE);
  }
  dense.reset();
  embedding.reset();
  evaluation.reset();
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return {};
  const ssize_t bytes = H5Fget_file_image(file, nullptr, 0);
  if (bytes <= 0) return {};
  std::vector<uint8_t> image(static_cast<size_t>(bytes));
  H5Fget_file_image(file, image.data(), image.size());
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  slatetrain::silence_hdf5_errors();
  FuzzedDataProvider input(data, size);
  const std::vector<uint8_t> image = build_image(input);
  if (image.empty()) return 0;
  try {
    slatetrain::CheckpointFileReader reader("fuzz/fields.h5", image.data(), image.size());
    slatetrain::fuzz::read_whole_checkpoint(reader);
  } catch (const slatetrain::Error&) {
  }
  return 0;
}
