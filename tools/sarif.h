// `pickletool scan --format sarif`: the scan of every file of one run as a SARIF 2.1.0
// log (the format code-scanning services read): a result for each policy finding, for
// each pickle CPython stops in before its end, for each archive issue and for each file
// that could not be read. A member of an archive is an artifact nested in the archive's.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/pickle.h"

namespace pickletool {

class SarifLog {
 public:
  /// The findings of `report`, the scan of `file` (or of its archive member `member`).
  void add(const pickle::ScanReport& report, std::string_view file, std::string_view member = {});
  /// An archive issue (duplicate member names, ...): it flags `file`.
  void add_issue(std::string_view file, std::string_view issue);
  /// A file that could not be read or scanned.
  void add_unreadable(std::string_view file, const pickle::Error& error);
  /// The whole log, one JSON document.
  std::string str() const;

 private:
  std::size_t artifact(std::string_view file, std::string_view member);
  void result(std::string_view rule, std::string_view level, std::string_view message, std::size_t artifact,
              std::optional<std::size_t> offset);

  struct Artifact {
    std::string uri;  // the file's, or the archive member's
    std::string file, member;
    std::optional<std::size_t> parent;  // a member's archive
  };
  std::vector<Artifact> artifacts_;
  std::vector<std::string> results_;  // each a JSON object
};

}  // namespace pickletool
