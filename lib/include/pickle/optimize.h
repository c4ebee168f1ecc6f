// pickle/optimize.h: pickletools.optimize.
//
//   std::string smaller = pickle::optimize(data);   // == pickletools.optimize(data)
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace pickle {

/// pickletools.optimize(data): the pickle without the PUT/MEMOIZE opcodes no GET refers
/// to, memo indexes renumbered and frames rebuilt as pickletools does (with pickle.py's
/// framer). Throws pickletools' errors for malformed input.
std::string optimize(std::span<const std::uint8_t> data);

}  // namespace pickle
