#include "data/shard_items.hpp"

#include "core/error.hpp"
#include "data/shard_hdf5.hpp"

namespace slatetrain {

void write_items_file(const std::string& path, const std::vector<double>& category) {
  silence_hdf5_errors();
  Hdf5Handle file(CHECK_HDF5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                             path << ": creating the items file"),
                  H5Fclose);
  hdf5::create_group(file, "items", path);
  const hsize_t length = category.size();
  Hdf5Handle space(CHECK_HDF5(H5Screate_simple(1, &length, nullptr), path), H5Sclose);
  Hdf5Handle properties(CHECK_HDF5(H5Pcreate(H5P_DATASET_CREATE), path), H5Pclose);
  CHECK_HDF5(H5Pset_obj_track_times(properties, false), path);
  Hdf5Handle dataset(CHECK_HDF5(H5Dcreate2(file, "/items/category", H5T_IEEE_F64LE, space,
                                           H5P_DEFAULT, properties, H5P_DEFAULT),
                                path << ": creating /items/category"),
                     H5Dclose);
  if (!category.empty()) {
    CHECK_HDF5(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, category.data()),
               path << ": writing /items/category");
  }
  dataset.reset();
  const hid_t id = file.release();
  CHECK_HDF5(H5Fclose(id), path << ": closing");
}

std::vector<double> read_item_categories(const std::string& path) {
  silence_hdf5_errors();
  Hdf5Handle file(CHECK_HDF5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                             path << ": opening the items file"),
                  H5Fclose);
  Hdf5Handle dataset = hdf5::open_dataset(file, "/items/category", path);
  hdf5::require_element_type(dataset, H5T_IEEE_F64LE, path + ": /items/category");
  std::vector<double> category(
      static_cast<size_t>(hdf5::dataset_length(dataset, path + ": /items/category")));
  hdf5::read_range(dataset, 0, static_cast<int64_t>(category.size()), category.data(),
                   path + ": /items/category");
  return category;
}

}  // namespace slatetrain
