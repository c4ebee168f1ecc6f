// The scan report as text for people and as JSON for programs.
#include <string>

#include "pickle/opcodes.h"
#include "pickle/scan.h"
#include "wtf8.h"

namespace pickle {

namespace {

// A JSON string. Strs are WTF-8: a lone surrogate is written as its \uXXXX escape (as
// Python's json module does). A byte that starts no sequence cannot come from a str, but
// is escaped as \u00XX of its value rather than written invalid.
void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const char32_t cp = detail::wtf8::next(s, i);
    if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff)) {
      detail::wtf8::append_hex(out += "\\u", cp, 4);
    } else if (cp == detail::wtf8::kReplacement && i - start == 1) {
      detail::wtf8::append_hex(out += "\\u", static_cast<unsigned char>(s[start]), 4);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out += '"';
}

std::string_view op_name(Op op) {
  const OpInfo* info = op_info(static_cast<std::uint8_t>(op));
  return info ? info->name : std::string_view("?");
}

void json_field(std::string& out, std::string_view key, std::string_view value, bool& first) {
  out += first ? "" : ", ";
  first = false;
  json_string(out, key);
  out += ": ";
  json_string(out, value);
}

void json_field(std::string& out, std::string_view key, std::size_t value, bool& first) {
  out += first ? "" : ", ";
  first = false;
  json_string(out, key);
  out += ": " + std::to_string(value);
}

void json_raw(std::string& out, std::string_view key, std::string_view raw, bool& first) {
  out += first ? "" : ", ";
  first = false;
  json_string(out, key);
  out += ": ";
  out += raw;
}

}  // namespace

std::string to_text(const ScanReport& r, std::string_view file) {
  std::string out;
  std::string name = file.empty() ? "<input>" : std::string(file);
  out += name + ": " + std::string(to_string(r.verdict)) + " (policy " + r.policy + ", " + std::to_string(r.pickles) +
         (r.pickles == 1 ? " pickle" : " pickles") + ", " + std::to_string(r.events.size()) +
         (r.events.size() == 1 ? " event" : " events") + ")\n";
  std::vector<const ScanFinding*> finding_of(r.events.size(), nullptr);
  for (const ScanFinding& f : r.findings) finding_of[f.event] = &f;
  bool said_unreached = false;
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const ScanEvent& e = r.events[i];
    if (!e.reached && !said_unreached) {
      out += "  -- not reached: CPython stops before the bytes below, which still contain --\n";
      said_unreached = true;
    }
    out += std::string(2 + 2 * e.depth, ' ') + std::to_string(e.offset) + " " + std::string(op_name(e.opcode)) + ": " +
           std::string(to_string(e.kind)) + " " + e.target;
    if (!e.raw_module.empty()) out += " (written " + e.raw_module + "." + e.raw_name + ")";
    if (e.source != ScanEvent::Source::None && e.source != ScanEvent::Source::Literal) {
      out += " [" + std::string(to_string(e.source)) + "]";
    }
    if (!e.detail.empty()) out += " (" + e.detail + ")";
    out += "\n";
    if (const ScanFinding* f = finding_of[i]) out += "    FLAGGED: " + f->reason + "\n";
  }
  if (r.error) {
    out += "  " + std::string(to_string(r.status)) + ": CPython stops at byte " +
           std::to_string(r.error->offset().value_or(0)) + " with " + std::string(r.error->python_type_name()) + ": " +
           r.error->message() + "\n";
  }
  if (r.trailing_bytes) out += "  " + std::to_string(r.trailing_bytes) + " bytes after the last pickle\n";
  return out;
}

std::string to_json(const ScanReport& r, std::string_view file) {
  std::string out = "{";
  bool first = true;
  if (!file.empty()) json_field(out, "file", file, first);
  json_field(out, "verdict", to_string(r.verdict), first);
  json_field(out, "status", to_string(r.status), first);
  json_field(out, "policy", r.policy, first);
  json_field(out, "pickles", r.pickles, first);
  json_field(out, "trailing_bytes", r.trailing_bytes, first);
  if (r.error) {
    std::string err = "{";
    bool f = true;
    json_field(err, "type", r.error->python_type_name(), f);
    json_field(err, "message", r.error->message(), f);
    json_field(err, "offset", r.error->offset().value_or(0), f);
    json_raw(out, "error", err + "}", first);
  } else {
    json_raw(out, "error", "null", first);
  }
  std::string events = "[";
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const ScanEvent& e = r.events[i];
    events += i ? ",\n  {" : "\n  {";
    bool f = true;
    json_field(events, "kind", to_string(e.kind), f);
    json_field(events, "opcode", op_name(e.opcode), f);
    json_field(events, "offset", e.offset, f);
    json_field(events, "pickle", e.pickle, f);
    json_raw(events, "reached", e.reached ? "true" : "false", f);
    if (e.depth) json_field(events, "depth", e.depth, f);
    json_field(events, "target", e.target, f);
    if (!e.module.empty()) json_field(events, "module", e.module, f);
    if (!e.module.empty()) json_field(events, "name", e.name, f);
    if (!e.raw_module.empty()) json_field(events, "raw_module", e.raw_module, f);
    if (!e.raw_module.empty()) json_field(events, "raw_name", e.raw_name, f);
    if (e.source != ScanEvent::Source::None) json_field(events, "source", to_string(e.source), f);
    if (!e.detail.empty()) json_field(events, "detail", e.detail, f);
    events += "}";
  }
  json_raw(out, "events", events + (r.events.empty() ? "]" : "\n]"), first);
  std::string findings = "[";
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    findings += i ? ",\n  {" : "\n  {";
    bool f = true;
    json_field(findings, "event", r.findings[i].event, f);
    json_field(findings, "reason", r.findings[i].reason, f);
    findings += "}";
  }
  json_raw(out, "findings", findings + (r.findings.empty() ? "]" : "\n]"), first);
  out += "}\n";
  return out;
}

std::string json_quote(std::string_view s) {
  std::string out;
  json_string(out, s);
  return out;
}

}  // namespace pickle
