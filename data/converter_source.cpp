#include "data/converter_source.hpp"

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "data/finn_format.hpp"
#include "data/index_to_value.hpp"

namespace slatetrain {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

bool is_integer(NpyDtype dtype) {
  return dtype == NpyDtype::kInt8 || dtype == NpyDtype::kUInt8 || dtype == NpyDtype::kInt16 ||
         dtype == NpyDtype::kInt32 || dtype == NpyDtype::kInt64;
}

void require_file(const std::string& path) {
  REQUIRE(std::filesystem::is_regular_file(path), path << ": missing (a FINN.no input directory "
                                                          "holds data.npz, itemattr.npz and "
                                                          "ind2val.json)");
}

}  // namespace

FinnSource::FinnSource(const std::string& input_directory) {
  data_path_ = input_directory + "/" + finn::kDataFile;
  item_attributes_path_ = input_directory + "/" + finn::kItemAttributesFile;
  index_to_value_path_ = input_directory + "/" + finn::kIndexToValueFile;
  require_file(data_path_);
  require_file(item_attributes_path_);
  require_file(index_to_value_path_);

  std::ifstream json_file(index_to_value_path_);
  REQUIRE(json_file, index_to_value_path_ << ": cannot open");
  ind2val_ = read_index_to_value(json_file, index_to_value_path_);

  {
    NpzArchive items(item_attributes_path_);
    REQUIRE(items.has_array(finn::kCategoryArray),
            item_attributes_path_ << ": array '" << finn::kCategoryArray << "' is missing");
    const NpyArrayInfo category = items.info(finn::kCategoryArray);
    REQUIRE(category.shape.size() == 1, item_attributes_path_ << ": array 'category' has shape "
                                                              << shape_text(category.shape)
                                                              << ", expected (I,)");
    REQUIRE(npy_dtype_is_float(category.dtype),
            item_attributes_path_ << ": array 'category' is " << npy_dtype_name(category.dtype)
                                  << ", expected float64");
    num_items_ = category.shape[0];
  }

  data_ = std::make_unique<NpzArchive>(data_path_);
  const char* names[] = {finn::kUserIdArray,       finn::kClickArray, finn::kClickIndexArray,
                         finn::kSlateLengthsArray, finn::kSlateArray, finn::kInteractionTypeArray};
  for (const char* name : names) {
    REQUIRE(data_->has_array(name), data_path_ << ": array '" << name << "' is missing");
  }
  const NpyArrayInfo user_id = data_->info(finn::kUserIdArray);
  const NpyArrayInfo slate = data_->info(finn::kSlateArray);
  REQUIRE(user_id.shape.size() == 1, data_path_ << ": array 'userId' has shape "
                                                << shape_text(user_id.shape) << ", expected (U,)");
  REQUIRE(slate.shape.size() == 3, data_path_ << ": array 'slate' has shape "
                                              << shape_text(slate.shape) << ", expected (U, T, S)");
  num_users_ = user_id.shape[0];
  max_steps_ = static_cast<int>(slate.shape[1]);
  slate_slots_ = static_cast<int>(slate.shape[2]);
  // Steps and positions are stored as uint8 (docs/FORMAT.md).
  REQUIRE(
      slate.shape[1] >= 1 && slate.shape[1] <= 255 && slate.shape[2] >= 1 && slate.shape[2] <= 255,
      data_path_ << ": array 'slate' has shape " << shape_text(slate.shape)
                 << ": steps and slots must be 1..255");
  int_dtype_ = npy_dtype_name(user_id.dtype);
  compressed_ = true;
  for (const char* name : names) {
    const NpyArrayInfo info = data_->info(name);
    REQUIRE(is_integer(info.dtype), data_path_ << ": array '" << name << "' is "
                                               << npy_dtype_name(info.dtype)
                                               << ", expected an integer dtype");
    REQUIRE(npy_dtype_name(info.dtype) == int_dtype_,
            data_path_ << ": array '" << name << "' is " << npy_dtype_name(info.dtype)
                       << " but 'userId' is " << int_dtype_ << " (all arrays share one dtype)");
    const std::string array = name;
    std::vector<int64_t> expected = {num_users_};
    if (array != finn::kUserIdArray) expected.push_back(max_steps_);
    if (array == finn::kSlateArray) expected.push_back(slate_slots_);
    REQUIRE(info.shape == expected,
            data_path_ << ": array '" << name << "' has shape " << shape_text(info.shape)
                       << ", expected " << shape_text(expected) << " (from 'userId' and 'slate')");
    compressed_ = compressed_ && data_->compressed(name);
  }
  user_id_ = data_->open(finn::kUserIdArray);
  click_ = data_->open(finn::kClickArray);
  click_idx_ = data_->open(finn::kClickIndexArray);
  slate_lengths_ = data_->open(finn::kSlateLengthsArray);
  slate_ = data_->open(finn::kSlateArray);
  interaction_type_ = data_->open(finn::kInteractionTypeArray);
}

FinnSource::~FinnSource() = default;

uint64_t FinnSource::data_bytes() const {
  return data_->file_bytes();
}

int64_t FinnSource::read_block(int64_t count, FinnSourceBlock& block) {
  const int64_t users = std::min(count, num_users_ - rows_read_);
  block.first_row = rows_read_;
  block.users = std::max<int64_t>(users, 0);
  block.max_steps = max_steps_;
  block.slate_slots = slate_slots_;
  const int64_t steps = block.users * max_steps_;
  block.user_id.resize(static_cast<size_t>(block.users));
  block.click.resize(static_cast<size_t>(steps));
  block.click_idx.resize(static_cast<size_t>(steps));
  block.slate_lengths.resize(static_cast<size_t>(steps));
  block.interaction_type.resize(static_cast<size_t>(steps));
  block.slate.resize(static_cast<size_t>(steps * slate_slots_));
  if (block.users == 0) return 0;
  auto read = [&](NpyRowReader& reader, std::vector<int64_t>& out) {
    const int64_t got = reader.read_int64(block.users, out.data());
    REQUIRE(got == block.users, data_path_ << ": array '" << reader.info().name << "' ended at row "
                                           << rows_read_ + got << " of " << num_users_);
  };
  read(*user_id_, block.user_id);
  read(*click_, block.click);
  read(*click_idx_, block.click_idx);
  read(*slate_lengths_, block.slate_lengths);
  read(*interaction_type_, block.interaction_type);
  read(*slate_, block.slate);
  rows_read_ += block.users;
  return block.users;
}

std::vector<double> FinnSource::read_categories() const {
  NpzArchive items(item_attributes_path_);
  auto reader = items.open(finn::kCategoryArray);
  std::vector<double> category(static_cast<size_t>(num_items_));
  const int64_t got = reader->read_float64(num_items_, category.data());
  REQUIRE(got == num_items_, item_attributes_path_ << ": array 'category' ended at row " << got
                                                   << " of " << num_items_);
  return category;
}

}  // namespace slatetrain
