// The scan report as text for people and as JSON for programs.
#include <cstdio>
#include <string>

#include "pickle/opcodes.h"
#include "pickle/scan.h"

namespace pickle {

namespace {

std::string_view op_name(Op op) {
  const OpInfo* info = op_info(static_cast<std::uint8_t>(op));
  return info ? info->name : std::string_view("?");
}

// A JSON string. Names may hold any bytes the pickle wrote (lone surrogates kept as
// WTF-8, invalid UTF-8 from latin-1 text): control characters and bytes that are not
// valid UTF-8 are escaped, the latter as \u00XX of the byte's value.
void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char buf[8];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // The length of a well-formed UTF-8 sequence starting here, surrogates excluded.
      std::size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      if (n && i + n <= s.size()) {
        for (std::size_t k = 1; k < n; ++k) {
          if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) n = 0;
        }
        if (n == 3 && c == 0xed && static_cast<unsigned char>(s[i + 1]) >= 0xa0) n = 0;  // surrogate
        if (n == 3 && c == 0xe0 && static_cast<unsigned char>(s[i + 1]) < 0xa0) n = 0;   // overlong
        if (n == 4 && c == 0xf0 && static_cast<unsigned char>(s[i + 1]) < 0x90) n = 0;   // overlong
        if (n == 4 && c == 0xf4 && static_cast<unsigned char>(s[i + 1]) >= 0x90) n = 0;  // > U+10FFFF
      } else {
        n = 0;
      }
      if (n) {
        out.append(s.substr(i, n));
        i += n - 1;
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out += '"';
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
    out += "  " + std::to_string(e.offset) + " " + std::string(op_name(e.opcode)) + ": " +
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

}  // namespace pickle
