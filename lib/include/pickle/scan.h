// pickle/scan.h: what loading a pickle would do, reported without doing it.
//
//   pickle::ScanReport r = pickle::scan(bytes, {.policy = pickle::ScanPolicy::builtins()});
//   if (r.verdict != pickle::Verdict::Clean) std::cout << pickle::to_text(r);
//
// The scan evaluates the pickle exactly as loads() does (CPython 3.11's C unpickler, or
// the release ScanOptions::python names) and records every action CPython would take on
// the way: each find_class with its byte offset and how the name was obtained, each call
// (REDUCE, NEWOBJ, INST/OBJ, BUILD through __setstate__, APPEND/SETITEM/ADDITEMS on an
// instance of a class the pickle names), each BUILD that sets attributes of a module's
// global, persistent ids, EXT codes and out-of-band buffers. Nothing is imported or run.
//
// A read crossing the end of the frame it starts in is reported (Framing) and flagged:
// CPython reading the bytes from a file, as torch.load does, runs other opcodes from
// there than loads(), which the scan follows.
//
// Where CPython would stop with an error, the report says so and lists what the rest of
// the bytes still contain. Where what CPython does next depends on code the pickle names
// (a STACK_GLOBAL operand computed by a call, an error raised on an object of an unknown
// class), the scan is inconclusive. A policy judges each action; a report is Clean only
// when the scan is complete and nothing is flagged. See doc/scan.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/error.h"
#include "pickle/opcode_enums.h"
#include "pickle/python_version.h"
#include "pickle/unpickler.h"

namespace pickle {

/// One action CPython's unpickler would take, in the order it would take them.
struct ScanEvent {
  enum class Kind : std::uint8_t {
    Import,         ///< find_class(module, name): imports the module, getattr for each part of name
    Attribute,      ///< getattr(global, name) by a REDUCE of builtins.getattr: a name reached by a call
    Call,           ///< callable(*args): REDUCE, INST/OBJ with arguments or of a non-class
    New,            ///< cls.__new__(cls, *args): NEWOBJ, NEWOBJ_EX, INST/OBJ of a class without arguments
    SetState,       ///< BUILD on an object: its __setstate__ (or the default state update)
    SetAttributes,  ///< BUILD on a module's global (class, function, ...): setattr that outlives the load
    Items,          ///< APPEND(S), SETITEM(S), ADDITEMS on an object: its extend/append, __setitem__, add
    PersistentId,   ///< persistent_load(pid): the loading program's callback
    Extension,      ///< EXT1/2/4: a code the loading process's copyreg registry maps to a global
    Buffer,         ///< NEXT_BUFFER: the loading program's next out-of-band buffer
    Framing,        ///< a read crossing a frame's end: CPython reading a file runs other opcodes
  };
  /// How the names of an Import or Attribute were obtained.
  enum class Source : std::uint8_t {
    None,        ///< not a name
    Literal,     ///< the text of GLOBAL or INST
    Stack,       ///< the two strs STACK_GLOBAL popped (where they were made: `detail`)
    Registry,    ///< the extension registry, for an EXT code
    Computed,    ///< the result of a call (getattr of a global)
    Unresolved,  ///< made by a call the scan cannot evaluate: the name is unknown
  };

  Kind kind = Kind::Import;
  Source source = Source::None;
  /// False for what the bytes after the point where CPython stops still contain.
  bool reached = true;
  /// Which pickle of the input (0 for the first; the rest follow it in the same bytes).
  std::size_t pickle = 0;
  /// 0 for the input; n for a pickle that a call at depth n-1 passes to pickle.loads
  /// (or _pickle.loads): its events follow that call's, offsets within its own bytes.
  std::size_t depth = 0;
  /// Byte offset of the opcode in the whole input.
  std::size_t offset = 0;
  Op opcode = Op::STOP;
  /// Import, Attribute: the global, as find_class receives it (after fix_imports).
  /// Call, New, SetState, Items, SetAttributes: the global called or acted on, when it is
  /// one; empty when the callee is an object (see `target`).
  std::string module, name;
  /// Import: the names as the pickle wrote them, when fix_imports mapped them; else empty.
  std::string raw_module, raw_name;
  /// What is acted on, for people: "os.system", "object from REDUCE at 12", ...
  std::string target;
  /// Extras: where STACK_GLOBAL's operands were made, the attributes BUILD sets, the EXT
  /// code, the persistent id's repr.
  std::string detail;
};

/// A policy's objection to one event.
struct ScanFinding {
  std::size_t event;   ///< index into ScanReport::events
  std::string reason;  ///< e.g. "global not allowed by policy builtins"
};

/// Which globals and actions a scan accepts. Rules name globals as MODULE:NAME; a MODULE
/// ending in ".*" also covers its submodules, a NAME of "*" any name without a dot
/// (a dotted name walks attributes, and each walk must be allowed by name). Deny rules
/// win over allow rules; what no rule names gets the default.
///
/// Policy files are text, one rule per line, '#' starting a comment:
///     default deny            # or: default allow
///     allow numpy.core.multiarray:_reconstruct
///     allow collections:*
///     deny os.*:*
///     deny persistent-ids     # or allow (the default)
/// Whatever the rules, an unresolved name, an unregistered EXT code, a call of an object
/// the pickle computed and a BUILD that sets attributes of a global are always flagged.
class ScanPolicy {
 public:
  /// Only the builtins CPython's pickler itself emits for built-in types (set,
  /// frozenset, bytearray, complex, slice, range, _codecs.encode,
  /// copyreg._reconstructor, ...), collections' containers and datetime/decimal values.
  static ScanPolicy builtins();
  /// PyTorch's weights_only unpickler's allowlist (torch/_weights_only_unpickler.py):
  /// tensors, storages, dtypes, OrderedDict, and the builtins above it allows.
  static ScanPolicy weights_only();
  /// builtins() plus what NumPy, SciPy's sparse matrices and scikit-learn's estimators
  /// pickle as (doc/scan.md lists the releases the list comes from).
  static ScanPolicy ml();
  /// "builtins", "weights-only" or "ml"; ValueError for another name.
  static ScanPolicy named(std::string_view name);
  /// A policy file's text; ValueError naming the line for a malformed one.
  static ScanPolicy parse(std::string_view text, std::string name = "custom");

  const std::string& name() const noexcept { return name_; }
  /// The reason `e` is flagged, or nullopt when the policy accepts it.
  std::optional<std::string> judge(const ScanEvent& e) const;
  /// Whether the global module:name is allowed.
  bool allows_global(std::string_view module, std::string_view name) const;

 private:
  struct Rule {
    bool allow;
    std::string module;  // without the trailing ".*"
    bool submodules;     // MODULE ended in ".*"
    std::string name;    // "*" for any undotted name
  };
  static bool matches(const Rule& r, std::string_view module, std::string_view name);

  std::string name_;
  bool default_allow_ = false;
  bool allow_persistent_ids_ = true;
  std::vector<Rule> rules_;
};

enum class ScanStatus : std::uint8_t {
  Complete,      ///< every pickle in the input loads (in CPython's evaluation)
  Error,         ///< CPython stops with `error` at a point that does not depend on class code
  Inconclusive,  ///< what CPython does at `error`'s offset depends on code the pickle names
};

enum class Verdict : std::uint8_t {
  Clean,    ///< complete, nothing flagged
  Flagged,  ///< the policy objects to at least one event
  Error,    ///< nothing flagged, but the scan is not complete: never clean
};

struct ScanReport {
  std::vector<ScanEvent> events;
  std::vector<ScanFinding> findings;
  ScanStatus status = ScanStatus::Complete;
  /// Where and why CPython stops (status Error or Inconclusive).
  std::optional<Error> error;
  /// Pickles read, one after another; the bytes after the last one that loads.
  std::size_t pickles = 0;
  std::size_t trailing_bytes = 0;
  std::string policy;
  Verdict verdict = Verdict::Clean;
};

struct ScanOptions {
  ScanPolicy policy = ScanPolicy::builtins();
  /// The loader's settings, as for loads() (unpickler.h).
  bool fix_imports = true;
  std::string encoding = "ASCII";
  std::string errors = "strict";
  PythonVersion python{};
  /// The loading process's copyreg extension registry; null: an empty one, as in a fresh
  /// interpreter (EXT codes are then reported unresolved).
  const ExtensionRegistry* extensions = nullptr;
  /// Whether the loading program has a persistent_load (PyTorch's has). Without one,
  /// CPython stops at the first persistent id.
  bool persistent_load = true;
  /// Read the pickles that follow the first one in the input too, as loaders of stacked
  /// pickles do (legacy PyTorch files); their errors are noted, not the scan's status.
  bool all_pickles = true;
  Limits limits{};
};

/// Scans `data`: never throws for any input (errors go into the report), only for a
/// resource limit of `options.limits` as loads() does.
ScanReport scan(std::span<const std::uint8_t> data, const ScanOptions& options = {});
inline ScanReport scan(std::string_view data, const ScanOptions& options = {}) {
  return scan(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), options);
}

std::string_view to_string(ScanEvent::Kind kind) noexcept;
std::string_view to_string(ScanEvent::Source source) noexcept;
std::string_view to_string(ScanStatus status) noexcept;
std::string_view to_string(Verdict verdict) noexcept;

/// The report for people: one line per event, findings marked; `file` heads it.
std::string to_text(const ScanReport& report, std::string_view file = {});
/// The report as one JSON object (doc/scan.md gives its fields).
std::string to_json(const ScanReport& report, std::string_view file = {});
/// `s` as a JSON string, quotes included, as to_json() writes names: a lone surrogate as
/// its \udXXX escape, a byte that is not UTF-8 as \u00XX.
std::string json_quote(std::string_view s);

}  // namespace pickle
