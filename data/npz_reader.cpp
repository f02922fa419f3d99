#include "data/npz_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/error.hpp"
#include "data/zip_directory.hpp"
#include "data/zip_input_file.hpp"
#include "data/zip_member_stream.hpp"

namespace slatetrain {

namespace {

constexpr const char* kNpySuffix = ".npy";
// Raw bytes converted per step when the target type differs from the stored one.
constexpr size_t kScratchBytes = size_t(8) << 20;

bool ends_with_npy(const std::string& name) {
  return name.size() >= 4 && name.compare(name.size() - 4, 4, kNpySuffix) == 0;
}

std::string array_name_of(const std::string& member_name) {
  return ends_with_npy(member_name) ? member_name.substr(0, member_name.size() - 4) : member_name;
}

// Reads the header at the start of a stream.
NpyHeader read_npy_header(ZipMemberStream& stream) {
  unsigned char preamble[kNpyPreambleBytes + 4];
  stream.read(preamble, kNpyPreambleBytes, "the .npy header");
  const int version = parse_npy_preamble(preamble, stream.where());
  const size_t length_bytes = npy_length_field_bytes(version);
  stream.read(preamble + kNpyPreambleBytes, length_bytes, "the .npy header length");
  const uint32_t dict_bytes = length_bytes == 2 ? load_le16(preamble + kNpyPreambleBytes)
                                                : load_le32(preamble + kNpyPreambleBytes);
  // The length field is the file's word: check it against the member before allocating.
  REQUIRE(kNpyPreambleBytes + length_bytes + uint64_t(dict_bytes) <= stream.size(),
          stream.where() << ": corrupt .npy header: its length field says " << dict_bytes
                         << " bytes but the member has " << stream.size() << " in all");
  std::string dict(dict_bytes, '\0');
  stream.read(dict.data(), dict.size(), "the .npy header");
  NpyHeader header = parse_npy_header_dict(dict, version, stream.where());
  header.header_bytes = kNpyPreambleBytes + length_bytes + dict_bytes;
  return header;
}

// Converts n raw values of `dtype` to Target, checking that integers fit.
template <typename Source, typename Target>
void convert_values(const unsigned char* raw, size_t n, Target* out, int64_t first_index,
                    const std::string& where) {
  const auto* source = reinterpret_cast<const Source*>(raw);
  if constexpr (std::is_integral_v<Target> && sizeof(Source) > sizeof(Target)) {
    for (size_t i = 0; i < n; ++i) {
      const Source value = source[i];
      if (value < std::numeric_limits<Target>::min() || value > std::numeric_limits<Target>::max())
        RAISE(where << ": value " << value << " at flat index " << first_index + int64_t(i)
                    << " does not fit in int32");
      out[i] = static_cast<Target>(value);
    }
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<Target>(source[i]);
  }
}

template <typename Target>
void convert_from(NpyDtype dtype, const unsigned char* raw, size_t n, Target* out,
                  int64_t first_index, const std::string& where) {
  switch (dtype) {
    case NpyDtype::kBool:
    case NpyDtype::kUInt8:
      return convert_values<uint8_t>(raw, n, out, first_index, where);
    case NpyDtype::kInt8:
      return convert_values<int8_t>(raw, n, out, first_index, where);
    case NpyDtype::kInt16:
      return convert_values<int16_t>(raw, n, out, first_index, where);
    case NpyDtype::kInt32:
      return convert_values<int32_t>(raw, n, out, first_index, where);
    case NpyDtype::kInt64:
      return convert_values<int64_t>(raw, n, out, first_index, where);
    case NpyDtype::kFloat32:
      return convert_values<float>(raw, n, out, first_index, where);
    case NpyDtype::kFloat64:
      return convert_values<double>(raw, n, out, first_index, where);
  }
}

}  // namespace

int64_t NpyArrayInfo::rows() const {
  return shape.empty() ? 1 : shape[0];
}

int64_t NpyArrayInfo::row_elements() const {
  int64_t elements = 1;
  for (size_t i = 1; i < shape.size(); ++i) elements *= shape[i];
  return elements;
}

NpyRowReader::NpyRowReader(std::unique_ptr<ZipMemberStream> stream, const std::string& name)
    : stream_(std::move(stream)) {
  const NpyHeader header = read_npy_header(*stream_);
  REQUIRE(!header.fortran_order, stream_->where()
                                     << ": array '" << name
                                     << "' is in Fortran order; only C order is supported");
  info_.name = name;
  info_.dtype = header.dtype;
  info_.shape = header.shape;
  info_.format_version = header.format_version;
  const uint64_t data_bytes =
      static_cast<uint64_t>(npy_element_count(header.shape)) * npy_dtype_size(header.dtype);
  REQUIRE(header.header_bytes + data_bytes == stream_->size(),
          stream_->where() << ": array '" << name << "' of shape " << info_.rows() << "x"
                           << info_.row_elements() << " " << npy_dtype_name(header.dtype)
                           << " needs " << header.header_bytes + data_bytes
                           << " bytes but the member has " << stream_->size()
                           << " (truncated or corrupt)");
}

NpyRowReader::~NpyRowReader() = default;

int64_t NpyRowReader::clamp_rows(int64_t count) const {
  REQUIRE(count >= 0, stream_->where() << ": negative row count " << count);
  return std::min(count, info_.rows() - rows_read_);
}

void NpyRowReader::read_raw(int64_t rows, void* out) {
  const size_t bytes =
      static_cast<size_t>(rows * info_.row_elements()) * npy_dtype_size(info_.dtype);
  if (bytes > 0) {
    stream_->read(
        out, bytes,
        "rows " + std::to_string(rows_read_) + ".." + std::to_string(rows_read_ + rows - 1));
  }
  rows_read_ += rows;
}

template <typename Target>
int64_t NpyRowReader::read_converted(int64_t count, Target* out, const char* target_name) {
  const int64_t rows = clamp_rows(count);
  const int64_t row_elements = info_.row_elements();
  const size_t element_bytes = npy_dtype_size(info_.dtype);
  // Same representation: straight into the caller's buffer.
  const bool same = (std::is_same_v<Target, int64_t> && info_.dtype == NpyDtype::kInt64) ||
                    (std::is_same_v<Target, int32_t> && info_.dtype == NpyDtype::kInt32) ||
                    (std::is_same_v<Target, double> && info_.dtype == NpyDtype::kFloat64);
  if (same) {
    read_raw(rows, out);
    return rows;
  }
  REQUIRE(!npy_dtype_is_float(info_.dtype) || std::is_floating_point_v<Target>,
          stream_->where() << ": array '" << info_.name << "' is " << npy_dtype_name(info_.dtype)
                           << ", cannot be read as " << target_name);
  if (row_elements == 0) {
    rows_read_ += rows;
    return rows;
  }
  const int64_t rows_per_step =
      std::max<int64_t>(1, static_cast<int64_t>(kScratchBytes / (element_bytes * row_elements)));
  int64_t done = 0;
  while (done < rows) {
    const int64_t step = std::min(rows_per_step, rows - done);
    const size_t n = static_cast<size_t>(step * row_elements);
    scratch_.resize(n * element_bytes);
    const int64_t first_index = rows_read_ * row_elements;
    read_raw(step, scratch_.data());
    convert_from(info_.dtype, scratch_.data(), n, out + done * row_elements, first_index,
                 stream_->where() + ": array '" + info_.name + "'");
    done += step;
  }
  return rows;
}

int64_t NpyRowReader::read_int64(int64_t count, int64_t* out) {
  return read_converted(count, out, "int64");
}

int64_t NpyRowReader::read_int32(int64_t count, int32_t* out) {
  return read_converted(count, out, "int32");
}

int64_t NpyRowReader::read_float64(int64_t count, double* out) {
  return read_converted(count, out, "float64");
}

NpzArchive::NpzArchive(const std::string& path)
    : file_(std::make_shared<ZipInputFile>(path)),
      directory_(std::make_unique<ZipDirectory>(read_zip_directory(*file_))) {}

NpzArchive::~NpzArchive() = default;
NpzArchive::NpzArchive(NpzArchive&&) noexcept = default;
NpzArchive& NpzArchive::operator=(NpzArchive&&) noexcept = default;

const std::string& NpzArchive::path() const {
  return file_->path();
}

uint64_t NpzArchive::file_bytes() const {
  return file_->size();
}

std::vector<std::string> NpzArchive::array_names() const {
  std::vector<std::string> names;
  for (const auto& member : directory_->members) names.push_back(array_name_of(member.name));
  return names;
}

bool NpzArchive::has_array(const std::string& name) const {
  for (const auto& member : directory_->members)
    if (array_name_of(member.name) == name) return true;
  return false;
}

const ZipMember& NpzArchive::member(const std::string& name) const {
  for (const auto& member : directory_->members)
    if (array_name_of(member.name) == name) return member;
  std::string names;
  for (const auto& member : directory_->members) names += " " + array_name_of(member.name);
  RAISE(path() << ": no array '" << name << "' (the archive has:" << names << ")");
}

NpyArrayInfo NpzArchive::info(const std::string& name) const {
  return open(name)->info();
}

std::unique_ptr<NpyRowReader> NpzArchive::open(const std::string& name) const {
  return std::make_unique<NpyRowReader>(std::make_unique<ZipMemberStream>(file_, member(name)),
                                        name);
}

bool NpzArchive::compressed(const std::string& name) const {
  return member(name).method == kZipDeflated;
}

std::unique_ptr<NpyRowReader> open_npy_file(const std::string& path) {
  auto file = std::make_shared<ZipInputFile>(path);
  std::string name = path.substr(path.find_last_of('/') + 1);
  return std::make_unique<NpyRowReader>(std::make_unique<ZipMemberStream>(file),
                                        array_name_of(name));
}

}  // namespace slatetrain
