// The published FINN.no slate dataset's conventions (docs/FINN.md), in one place.
#pragma once

#include <cstdint>

namespace slatetrain::finn {

// Array shapes: [num_users, kMaxSteps] and [num_users, kMaxSteps, kSlateSlots].
inline constexpr int kMaxSteps = 20;
inline constexpr int kSlateSlots = 25;

// Item ids: 0 pads, 1 is the no-click option (slate position 0), 2 is unknown, items from 3.
inline constexpr int64_t kPadId = 0;
inline constexpr int64_t kNoClickId = 1;
inline constexpr int64_t kUnknownId = 2;
inline constexpr int64_t kFirstItemId = 3;

// interaction_type values (ind2val.json "interaction_type").
inline constexpr int kInteractionUnknown = 0;
inline constexpr int kInteractionSearch = 1;
inline constexpr int kInteractionRecommendation = 2;
inline constexpr int kInteractionTypes = 3;

// File and array names exactly as published.
inline constexpr const char* kDataFile = "data.npz";
inline constexpr const char* kItemAttributesFile = "itemattr.npz";
inline constexpr const char* kIndexToValueFile = "ind2val.json";
inline constexpr const char* kUserIdArray = "userId";
inline constexpr const char* kClickArray = "click";
inline constexpr const char* kClickIndexArray = "click_idx";
inline constexpr const char* kSlateLengthsArray = "slate_lengths";
inline constexpr const char* kSlateArray = "slate";
inline constexpr const char* kInteractionTypeArray = "interaction_type";
inline constexpr const char* kCategoryArray = "category";

}  // namespace slatetrain::finn
