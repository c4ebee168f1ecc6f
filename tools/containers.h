// The pickles a file holds, for `pickletool scan`: a pickle file itself, every *.pkl
// member of a zip archive (PyTorch's .pt/.pth/.bin checkpoints), or the object array of
// a .npy file. Archives are read with libzip when the tool is built with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pickletool {

struct ContainedPickle {
  std::string name;                 // the member's name; empty for the file itself
  std::vector<std::uint8_t> owned;  // a decompressed member
  std::span<const std::uint8_t> bytes;
};

struct Container {
  std::string kind;  // "pickle", "zip" or "npy"
  std::vector<ContainedPickle> pickles;
  /// What a loader could read differently from the scan (duplicate member names, ...),
  /// or could not be read: each makes the file's verdict flagged.
  std::vector<std::string> issues;
  /// Members that are not pickles (a PyTorch archive's tensor data), by name.
  std::size_t other_members = 0;
};

/// Opens `bytes` (which must outlive the result) as the container its first bytes say it
/// is; a member larger than max_member_size is an issue, not read. Throws pickle::Error
/// (OSError) for a zip archive when the tool is built without libzip, and for a zip
/// archive libzip cannot open.
Container open_container(std::span<const std::uint8_t> bytes, std::size_t max_member_size);

}  // namespace pickletool
