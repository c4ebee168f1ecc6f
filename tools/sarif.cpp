#include "sarif.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

namespace pickletool {
namespace {

using pickle::json_quote;

// The rules a result names: one per kind of event a policy can object to, then the
// results that are not about one event.
constexpr std::pair<std::string_view, std::string_view> kRules[] = {
    {"import", "Loading imports a global the policy does not allow"},
    {"attribute", "Loading reaches a global through getattr that the policy does not allow"},
    {"call", "Loading calls something the policy does not allow"},
    {"new", "Loading creates an object of a class the policy does not allow"},
    {"setstate", "Loading sets the state of an object in a way the policy does not allow"},
    {"setattributes", "Loading sets attributes of a global, which outlive the load"},
    {"items", "Loading adds items to an object the policy does not allow"},
    {"persistent_id", "Loading hands a persistent id to the program's persistent_load"},
    {"extension", "Loading looks up a code in the copyreg extension registry"},
    {"buffer", "Loading takes an out-of-band buffer from the program"},
    {"framing", "Reading the pickle from a file runs other opcodes than pickle.loads"},
    {"incomplete", "CPython stops before the end of the pickle: what follows is not vouched for"},
    {"archive", "The archive can be read differently by different zip readers"},
    {"unreadable", "The file could not be read or scanned"},
};

std::string_view op_name(pickle::Op op) {
  const pickle::OpInfo* info = pickle::op_info(static_cast<std::uint8_t>(op));
  return info ? info->name : std::string_view("?");
}

std::size_t rule_index(std::string_view rule) {
  const auto* it = std::find_if(std::begin(kRules), std::end(kRules), [&](const auto& r) { return r.first == rule; });
  return static_cast<std::size_t>(it - std::begin(kRules));
}

/// A path as a URI reference: relative paths stay relative, absolute ones are file:
/// URIs; bytes outside the unreserved set and '/' are percent-encoded.
std::string uri_of(std::string_view path) {
  std::string out = path.starts_with('/') ? "file://" : "";
  for (unsigned char ch : path) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                       ch == '.' || ch == '_' || ch == '~' || ch == '/';
    if (plain) {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::size_t SarifLog::artifact(std::string_view file, std::string_view member) {
  // The archive comes first, as the member's parent.
  const std::optional<std::size_t> parent = member.empty() ? std::nullopt : std::optional(artifact(file, {}));
  for (std::size_t i = 0; i < artifacts_.size(); ++i) {
    if (artifacts_[i].file == file && artifacts_[i].member == member) return i;
  }
  artifacts_.push_back({uri_of(member.empty() ? file : member), std::string(file), std::string(member), parent});
  return artifacts_.size() - 1;
}

void SarifLog::result(std::string_view rule, std::string_view level, std::string_view message, std::size_t index,
                      std::optional<std::size_t> offset) {
  std::string r = "{\"ruleId\": " + json_quote(rule) + ", \"ruleIndex\": " + std::to_string(rule_index(rule)) +
                  ", \"level\": " + json_quote(level) + ", \"message\": {\"text\": " + json_quote(message) +
                  "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": " +
                  json_quote(artifacts_[index].uri) + ", \"index\": " + std::to_string(index) + "}";
  if (offset) r += ", \"region\": {\"byteOffset\": " + std::to_string(*offset) + ", \"byteLength\": 1}";
  r += "}}]}";
  results_.push_back(std::move(r));
}

void SarifLog::add(const pickle::ScanReport& report, std::string_view file, std::string_view member) {
  const std::size_t index = artifact(file, member);
  for (const pickle::ScanFinding& f : report.findings) {
    const pickle::ScanEvent& e = report.events[f.event];
    std::string message = f.reason + " (" + std::string(op_name(e.opcode)) + " at byte " + std::to_string(e.offset) +
                          (e.reached ? "" : ", after the point where CPython stops") + ")";
    result(pickle::to_string(e.kind), e.reached ? "error" : "warning", message, index, e.offset);
  }
  if (report.error && report.status != pickle::ScanStatus::Complete) {
    const pickle::Error& e = *report.error;
    result("incomplete", report.status == pickle::ScanStatus::Error ? "note" : "warning",
           "CPython stops here (" + std::string(pickle::to_string(report.status)) +
               "): " + std::string(e.python_type_name()) + ": " + e.message(),
           index, e.offset());
  }
}

void SarifLog::add_issue(std::string_view file, std::string_view issue) {
  result("archive", "error", issue, artifact(file, {}), std::nullopt);
}

void SarifLog::add_unreadable(std::string_view file, const pickle::Error& error) {
  result("unreadable", "error", std::string(error.python_type_name()) + ": " + error.message(), artifact(file, {}),
         std::nullopt);
}

std::string SarifLog::str() const {
  std::string out =
      "{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\", \"runs\": [{\n"
      "\"tool\": {\"driver\": {\"name\": \"pickletool\", \"version\": \"" PICKLE_CPP_VERSION_STRING "\", \"rules\": [";
  for (std::size_t i = 0; i < std::size(kRules); ++i) {
    out += std::string(i ? ",\n  " : "\n  ") + "{\"id\": " + json_quote(kRules[i].first) +
           ", \"shortDescription\": {\"text\": " + json_quote(kRules[i].second) + "}}";
  }
  out += "]}},\n\"artifacts\": [";
  for (std::size_t i = 0; i < artifacts_.size(); ++i) {
    const Artifact& a = artifacts_[i];
    out += std::string(i ? ",\n  " : "\n  ") + "{\"location\": {\"uri\": " + json_quote(a.uri) + "}";
    if (a.parent) out += ", \"parentIndex\": " + std::to_string(*a.parent);
    out += "}";
  }
  out += "],\n\"results\": [";
  for (std::size_t i = 0; i < results_.size(); ++i) out += (i ? ",\n  " : "\n  ") + results_[i];
  out += "]}]}\n";
  return out;
}

}  // namespace pickletool
