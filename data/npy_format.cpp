#include "data/npy_format.hpp"

#include <cctype>
#include <cstring>
#include <limits>

#include "core/error.hpp"

namespace slatetrain {

namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kArrayAlign = 64;
// numpy leaves room for the growth axis to reach this many digits (format.py).
constexpr size_t kGrowthAxisMaxDigits = 21;

struct DescrEntry {
  const char* descr;
  NpyDtype dtype;
};

// Little-endian (or byte-order-free) descrs as numpy writes them.
constexpr DescrEntry kDescrs[] = {
    {"|b1", NpyDtype::kBool},    {"|i1", NpyDtype::kInt8},    {"|u1", NpyDtype::kUInt8},
    {"<i2", NpyDtype::kInt16},   {"<i4", NpyDtype::kInt32},   {"<i8", NpyDtype::kInt64},
    {"<f4", NpyDtype::kFloat32}, {"<f8", NpyDtype::kFloat64},
};

// A small reader of the Python dict literal numpy writes.
class DictParser {
 public:
  DictParser(const std::string& text, const std::string& where) : text_(text), where_(where) {}

  void skip_space() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }
  bool accept(char c) {
    skip_space();
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    REQUIRE(accept(c), where_ << ": malformed .npy header, expected '" << c << "' at offset "
                              << position_ << " in " << text_);
  }
  std::string string_literal() {
    skip_space();
    REQUIRE(position_ < text_.size() && (text_[position_] == '\'' || text_[position_] == '"'),
            where_ << ": malformed .npy header, expected a string at offset " << position_ << " in "
                   << text_);
    const char quote = text_[position_++];
    const size_t end = text_.find(quote, position_);
    REQUIRE(end != std::string::npos, where_ << ": malformed .npy header, unterminated string");
    std::string value = text_.substr(position_, end - position_);
    position_ = end + 1;
    return value;
  }
  std::string word() {
    skip_space();
    const size_t start = position_;
    while (position_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[position_])))
      ++position_;
    return text_.substr(start, position_ - start);
  }
  int64_t integer() {
    const std::string digits = word();
    REQUIRE(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos,
            where_ << ": malformed .npy header, expected a dimension, got '" << digits << "'");
    // 18 digits always fit in int64 (std::stoll would throw its own exception beyond).
    REQUIRE(digits.size() <= 18,
            where_ << ": malformed .npy header, dimension " << digits << " is too large");
    return std::stoll(digits);
  }
  const std::string& where() const { return where_; }

 private:
  const std::string& text_;
  const std::string& where_;
  size_t position_ = 0;
};

}  // namespace

const char* npy_dtype_name(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kBool:
      return "bool";
    case NpyDtype::kInt8:
      return "int8";
    case NpyDtype::kUInt8:
      return "uint8";
    case NpyDtype::kInt16:
      return "int16";
    case NpyDtype::kInt32:
      return "int32";
    case NpyDtype::kInt64:
      return "int64";
    case NpyDtype::kFloat32:
      return "float32";
    case NpyDtype::kFloat64:
      return "float64";
  }
  return "?";
}

size_t npy_dtype_size(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kBool:
    case NpyDtype::kInt8:
    case NpyDtype::kUInt8:
      return 1;
    case NpyDtype::kInt16:
      return 2;
    case NpyDtype::kInt32:
    case NpyDtype::kFloat32:
      return 4;
    case NpyDtype::kInt64:
    case NpyDtype::kFloat64:
      return 8;
  }
  return 0;
}

bool npy_dtype_is_float(NpyDtype dtype) {
  return dtype == NpyDtype::kFloat32 || dtype == NpyDtype::kFloat64;
}

const char* npy_dtype_descr(NpyDtype dtype) {
  for (const auto& entry : kDescrs)
    if (entry.dtype == dtype) return entry.descr;
  return "?";
}

size_t npy_length_field_bytes(int format_version) {
  return format_version == 1 ? 2 : 4;
}

int64_t npy_element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (const int64_t dimension : shape) count *= dimension;
  return count;
}

int parse_npy_preamble(const unsigned char* preamble, const std::string& where) {
  REQUIRE(std::memcmp(preamble, kMagic, sizeof kMagic) == 0,
          where << ": not a .npy array (the magic string \\x93NUMPY is missing)");
  const int major = preamble[6];
  REQUIRE(major >= 1 && major <= 3 && preamble[7] == 0,
          where << ": unsupported .npy format version " << major << "." << int(preamble[7])
                << " (1.0, 2.0 and 3.0 are supported)");
  return major;
}

NpyHeader parse_npy_header_dict(const std::string& dict, int format_version,
                                const std::string& where) {
  NpyHeader header;
  header.format_version = format_version;
  bool have_descr = false, have_order = false, have_shape = false;
  DictParser parser(dict, where);
  parser.expect('{');
  while (!parser.accept('}')) {
    const std::string key = parser.string_literal();
    parser.expect(':');
    if (key == "descr") {
      const std::string descr = parser.string_literal();
      bool known = false;
      for (const auto& entry : kDescrs) {
        if (descr == entry.descr) {
          header.dtype = entry.dtype;
          known = true;
        }
      }
      // numpy writes '|' for one-byte types but '<' is equally valid for them.
      if (!known && descr.size() == 3 && descr[0] == '<') {
        for (const auto& entry : kDescrs) {
          if (entry.descr[0] == '|' && descr.compare(1, 2, entry.descr + 1) == 0) {
            header.dtype = entry.dtype;
            known = true;
          }
        }
      }
      REQUIRE(!(descr.size() > 1 && descr[0] == '>'),
              where << ": big-endian dtype '" << descr << "' is not supported");
      REQUIRE(known, where << ": unsupported dtype '" << descr
                           << "' (supported: bool, int8, uint8, int16, int32, int64, float32, "
                              "float64, little-endian)");
      have_descr = true;
    } else if (key == "fortran_order") {
      const std::string value = parser.word();
      REQUIRE(value == "True" || value == "False",
              where << ": malformed .npy header, fortran_order is '" << value << "'");
      header.fortran_order = value == "True";
      have_order = true;
    } else if (key == "shape") {
      parser.expect('(');
      while (!parser.accept(')')) {
        header.shape.push_back(parser.integer());
        parser.accept(',');
      }
      have_shape = true;
    } else {
      RAISE(where << ": unexpected key '" << key << "' in .npy header " << dict);
    }
    parser.accept(',');
  }
  REQUIRE(have_descr && have_order && have_shape,
          where << ": .npy header lacks descr, fortran_order or shape: " << dict);
  // Byte counts of any part of the shape (rows, row elements) must be representable: readers
  // compute sizes and offsets from them. Zero dimensions are left out so (0, 2**62, 8) is
  // refused as well, not only its product.
  int64_t bytes = static_cast<int64_t>(npy_dtype_size(header.dtype));
  for (const int64_t dimension : header.shape) {
    if (dimension == 0) continue;
    REQUIRE(dimension <= std::numeric_limits<int64_t>::max() / bytes,
            where << ": .npy header shape is too large (its size overflows 64 bits): " << dict);
    bytes *= dimension;
  }
  return header;
}

std::string make_npy_header(NpyDtype dtype, const std::vector<int64_t>& shape) {
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) shape_text += ", ";
    shape_text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) shape_text += ",";
  shape_text += ")";
  std::string dict = std::string("{'descr': '") + npy_dtype_descr(dtype) +
                     "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  if (!shape.empty()) {
    const size_t digits = std::to_string(shape[0]).size();
    if (digits < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  // The dict ends with '\n'; spaces before it align the data.
  std::string header;
  for (int version : {1, 2}) {
    const size_t length_bytes = npy_length_field_bytes(version);
    const size_t unpadded = kNpyPreambleBytes + length_bytes + dict.size() + 1;
    const size_t padding = kArrayAlign - unpadded % kArrayAlign;
    const size_t dict_bytes = dict.size() + 1 + padding;
    if (version == 1 && dict_bytes > 0xffff) continue;
    header.assign(reinterpret_cast<const char*>(kMagic), sizeof kMagic);
    header += static_cast<char>(version);
    header += '\0';
    for (size_t i = 0; i < length_bytes; ++i)
      header += static_cast<char>((dict_bytes >> (8 * i)) & 0xff);
    header += dict;
    header.append(padding, ' ');
    header += '\n';
    break;
  }
  return header;
}

}  // namespace slatetrain
