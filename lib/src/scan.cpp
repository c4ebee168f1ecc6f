// pickle::scan: an Unpickler run with an observer that records what CPython would do.
#include "pickle/scan.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "load_observer.h"
#include "pickle/copyreg.h"
#include "pickle/dis.h"
#include "pickle/opcodes.h"
#include "pyobject.h"

namespace pickle {

namespace {

using Kind_ = ScanEvent::Kind;
using Source = ScanEvent::Source;

std::string_view op_name(Op op) {
  const OpInfo* info = op_info(static_cast<std::uint8_t>(op));
  return info ? info->name : std::string_view("?");
}

constexpr bool is_string_op(Op op) {
  switch (op) {
    case Op::STRING:
    case Op::BINSTRING:
    case Op::SHORT_BINSTRING:
    case Op::UNICODE:
    case Op::BINUNICODE:
    case Op::SHORT_BINUNICODE:
    case Op::BINUNICODE8: return true;
    default: return false;
  }
}

/// The opcodes whose result's origin after_op keeps (the event that made it).
constexpr bool makes_tracked_object(Op op) {
  switch (op) {
    case Op::REDUCE:
    case Op::NEWOBJ:
    case Op::NEWOBJ_EX:
    case Op::OBJ:
    case Op::INST:
    case Op::PERSID:
    case Op::BINPERSID: return true;
    default: return false;
  }
}

/// The opcodes the recorder's after_op works on: where strs (when `strs`) and objects were
/// made, frames (and reads crossing a frame's end, through watch_end), a pickle's end.
constexpr std::array<bool, 256> after_ops_table(bool strs) {
  std::array<bool, 256> out{};
  for (int code = 0; code < 256; ++code) {
    const auto op = static_cast<Op>(code);
    out[static_cast<std::size_t>(code)] =
        (strs && is_string_op(op)) || makes_tracked_object(op) || op == Op::FRAME || op == Op::STOP;
  }
  return out;
}
constexpr std::array<bool, 256> kAfterOps = after_ops_table(false), kAfterOpsWithStrs = after_ops_table(true);

/// Thrown by a scan that does not keep where strs were made when a STACK_GLOBAL comes:
/// the scan starts again, keeping them (most large pickles have no STACK_GLOBAL, and
/// their strs then cost nothing).
struct StrOriginsNeeded {};

// Values whose behaviour is that of a class the pickle names (or of the loading
// program's persistent_load): what CPython does with them is not known.
bool is_unknown(Value v) {
  switch (v.kind()) {
    case Kind::Object:
    case Kind::PersistentId: return true;
    case Kind::Global: return v.as_global().builtin() == Global::Builtin::Unknown;
    default: return false;
  }
}

std::string global_name(const Global& g) { return std::string(g.module()) + "." + std::string(g.qualname()); }

ScanReport scan_at_depth(std::span<const std::uint8_t> data, const ScanOptions& options, std::size_t depth,
                         bool track_strs);
/// scan_at_depth, keeping where strs were made only when a STACK_GLOBAL needs to say so
/// (for a small input, from the start: starting again would cost more).
ScanReport scan_at_depth(std::span<const std::uint8_t> data, const ScanOptions& options, std::size_t depth) {
  constexpr std::size_t kSmallInput = 64 * 1024;
  try {
    return scan_at_depth(data, options, depth, data.size() <= kSmallInput);
  } catch (const StrOriginsNeeded&) {
    return scan_at_depth(data, options, depth, true);
  }
}

/// Records the events of one scan into a report.
class Recorder final : public detail::LoadObserver {
 public:
  Recorder(ScanReport& report, const ScanOptions& options, std::size_t depth, std::span<const std::uint8_t> data,
           bool track_strs)
      : data_(data),
        // Where strs were made is told for STACK_GLOBAL's operands only.
        track_strs_(track_strs),
        report_(report),
        options_(options),
        depth_(depth) {
    after_ops = track_strs_ ? kAfterOpsWithStrs : kAfterOps;
  }

  /// The pickle that starts at `start` of the input is about to be loaded.
  void set_pickle(std::size_t index, std::size_t start) noexcept {
    pickle_ = index;
    buffer_end_ = start;
    file_reads_agree_ = true;
    watch_end = buffer_end_;
  }
  /// Whether the opcode at `offset` gave an unknown value to a call or a check (CPython's
  /// outcome then depends on class code the scan does not have).
  bool touched_unknown(std::size_t offset) const noexcept { return touched_at_ == offset; }

  void on_import(std::size_t offset, Op op, std::string_view raw_module, std::string_view raw_name,
                 std::string_view module, std::string_view name) override {
    ScanEvent& e = add(Kind_::Import, offset, op);
    e.module = module;
    e.name = name;
    if (raw_module != module || raw_name != name) {
      e.raw_module = raw_module;
      e.raw_name = raw_name;
    }
    e.target = e.module + "." + e.name;
    switch (op) {
      case Op::STACK_GLOBAL:
        e.source = Source::Stack;
        e.detail = std::move(operands_);
        break;
      case Op::EXT1:
      case Op::EXT2:
      case Op::EXT4: e.source = Source::Registry; break;
      default: e.source = Source::Literal;
    }
  }

  void on_stack_global(std::size_t offset, Value module, Value name) override {
    if (!track_strs_) throw StrOriginsNeeded{};
    operands_ = "module str " + made_at(module) + ", name str " + made_at(name);
    if (module.is_str() && name.is_str()) return;
    if (!is_unknown(module) && !is_unknown(name)) return;  // CPython's error, whatever the classes
    // A call the scan cannot evaluate made an operand: CPython's operand may be a str.
    touched_at_ = offset;
    ScanEvent& e = add(Kind_::Import, offset, Op::STACK_GLOBAL);
    e.source = Source::Unresolved;
    e.module = module.is_str() ? std::string(module.as_str().utf8()) : "?";
    e.name = name.is_str() ? std::string(name.as_str().utf8()) : "?";
    e.target = e.module + "." + e.name;
    e.detail = "module " + describe(module) + ", name " + describe(name);
  }

  void on_extension(std::size_t offset, Op op, std::int64_t code, bool registered) override {
    ScanEvent& e = add(Kind_::Extension, offset, op);
    e.source = registered ? Source::Registry : Source::Unresolved;
    e.detail = "code " + std::to_string(code);
    e.target = registered ? "extension " + std::to_string(code) : "unregistered extension " + std::to_string(code);
  }

  void on_action(std::size_t offset, Op op, ScanEvent::Kind kind, Value target, Value args) override {
    // An error in this opcode depends on class code when an unknown value takes part,
    // as the callee or as an argument (copyreg._reconstructor checks that its class is
    // a type).
    bool touched = is_unknown(target) || is_unknown(args);
    if (args.is_tuple()) {
      for (Value a : args.as_tuple()) touched = touched || is_unknown(a);
    }
    if (touched) touched_at_ = offset;
    // A BUILD on an instance whose dict holds a __setstate__ (put there by an earlier
    // BUILD) calls that instead of the class's.
    if (kind == Kind_::SetState && target.is_object()) {
      if (Value injected = stored_setstate(target.as_object()); !injected.is_none()) {
        record_call(add(Kind_::Call, offset, op), injected);
        report_.events.back().detail = "the __setstate__ stored in " + describe(target);
        set_pending(offset);
        return;
      }
    }
    ScanEvent& e = add(kind, offset, op);
    record_call(e, target);
    if (kind == Kind_::SetAttributes) e.detail = "sets " + state_names(args);
    set_pending(offset);
    if (kind == Kind_::Call) scan_nested(offset, target, args);
  }

  void on_persistent_id(std::size_t offset, Op op, Value pid) override {
    ScanEvent& e = add(Kind_::PersistentId, offset, op);
    e.target = "persistent_load";
    e.detail = short_repr(pid);
    set_pending(offset);
  }

  void on_buffer(std::size_t offset, std::size_t index) override {
    ScanEvent& e = add(Kind_::Buffer, offset, Op::NEXT_BUFFER);
    e.target = "out-of-band buffer " + std::to_string(index);
  }

  /// The load stopped with an error at the opcode at `offset`.
  void failed_at(std::size_t offset) {
    if (file_reads_agree_ && offset < data_.size() && op_info(data_[offset])) {
      follow_file_reads(offset, static_cast<Op>(data_[offset]));
    }
  }

  void after_op(std::size_t offset, std::size_t end, Op op, Value top) override {
    // A file reader's buffer changes at a FRAME, and at a read past its end; STOP checks
    // that the frame ends there. Other opcodes inside the buffer read what loads() reads.
    if (file_reads_agree_ && (op == Op::FRAME || op == Op::STOP || (offset < buffer_end_ && end > buffer_end_))) {
      follow_file_reads(offset, op);
      watch_end = file_reads_agree_ ? buffer_end_ : kNone;
    }
    const std::size_t event = pending_at_ == offset ? pending_ : kNone;  // this opcode's event
    if (!top.is_node()) return;
    if (is_string_op(op)) {
      if (track_strs_) made_.push_back({top.node(), offset, static_cast<std::uint8_t>(op)});
      return;
    }
    switch (op) {
      case Op::REDUCE:
        if (event != kNone && top.is_global() && report_.events[event].module == "builtins" &&
            report_.events[event].name == "getattr") {
          const Global& g = top.as_global();
          ScanEvent& e = add(Kind_::Attribute, offset, op);
          e.source = Source::Computed;
          e.module = g.module();
          e.name = g.qualname();
          e.target = global_name(g);
        }
        [[fallthrough]];
      case Op::NEWOBJ:
      case Op::NEWOBJ_EX:
      case Op::OBJ:
      case Op::INST:
      case Op::PERSID:
      case Op::BINPERSID:
        if (event != kNone) made_events_[made_.size()] = event;
        made_.push_back({top.node(), offset, static_cast<std::uint8_t>(op)});
        break;
      default: break;
    }
  }

  void set_pending(std::size_t offset) {
    pending_ = report_.events.size() - 1;
    pending_at_ = offset;
  }

  // CPython's unpickler reading a file without peek() (torch.load reads data.pkl through
  // an io.BytesIO, as pickle.load of one does) fills its buffer with exactly the bytes an
  // opcode asks for when the buffer is empty, and with a whole frame at a FRAME. A read
  // that starts inside the buffer but needs bytes past its end takes them from the file
  // after the buffer, dropping the buffer's rest: from there it runs other opcodes than
  // loads() of the same bytes, which the scan follows. buffer_end_ is the file position.
  void follow_file_reads(std::size_t offset, Op op) {
    // Outside a frame, each read takes exactly the bytes asked for: the file position
    // is the opcode's, and only a FRAME changes that.
    if (offset >= buffer_end_ && op != Op::FRAME) return;
    buffer_end_ = std::max(buffer_end_, offset);
    const OpInfo* info = op_info(static_cast<std::uint8_t>(op));
    op_offset_ = offset;
    op_ = op;
    std::size_t at = offset;
    read_from_file(at, 1);  // the opcode
    auto fixed = [&](std::size_t n) {
      const std::size_t begin = at;
      read_from_file(at, n);
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < n && begin + i < data_.size(); ++i) v |= std::uint64_t{data_[begin + i]} << (8 * i);
      return v;
    };
    auto line = [&] {
      const std::size_t nl = std::find(data_.begin() + static_cast<std::ptrdiff_t>(std::min(at, data_.size())),
                                       data_.end(), std::uint8_t{'\n'}) -
                             data_.begin();
      read_from_file(at, static_cast<std::size_t>(nl) + 1 - at);
    };
    using A = ArgKind;
    switch (info ? info->arg : A::None) {
      case A::None: break;
      case A::Uint1: fixed(1); break;
      case A::Uint2: fixed(2); break;
      case A::Int4:
      case A::Uint4: fixed(4); break;
      case A::Float8: fixed(8); break;
      case A::Uint8:
        if (op == Op::FRAME) {
          const std::uint64_t n = fixed(8);
          // The frame is read at once, then parsed from the buffer (the position rewinds).
          if (at == buffer_end_) buffer_end_ = at + static_cast<std::size_t>(n);
          else if (n > buffer_end_ - at) diverge(at);
        } else {
          fixed(8);
        }
        break;
      case A::Long1:
      case A::String1:
      case A::Unicodestring1: read_from_file(at, static_cast<std::size_t>(fixed(1))); break;
      case A::Long4:
      case A::String4:
      case A::Unicodestring4: read_from_file(at, static_cast<std::size_t>(fixed(4) & 0x7fffffff)); break;
      case A::Unicodestring8: read_from_file(at, static_cast<std::size_t>(fixed(8))); break;
      // A bytes or bytearray payload is read into the new object: what the buffer holds
      // of it first, the rest from the file, as loads() reads it.
      case A::Bytes1: read_into(at, static_cast<std::size_t>(fixed(1))); break;
      case A::Bytes4: read_into(at, static_cast<std::size_t>(fixed(4))); break;
      case A::Bytes8:
      case A::Bytearray8: read_into(at, static_cast<std::size_t>(fixed(8))); break;
      case A::StringnlNoescapePair:
        line();
        line();
        break;
      default: line(); break;  // the other text arguments: one line
    }
    if (op == Op::STOP && buffer_end_ > at && at < data_.size()) {
      // The frame runs past STOP: a file reader starts the next load after the frame.
      diverge(at);
    }
  }

  void read_from_file(std::size_t& at, std::size_t n) {
    if (at == buffer_end_) buffer_end_ = at + n;
    else if (n > buffer_end_ - at) diverge(at);
    at += n;
  }

  void read_into(std::size_t& at, std::size_t n) {
    at += n;
    buffer_end_ = std::max(buffer_end_, at);
  }

  void diverge(std::size_t read_at) {
    if (!file_reads_agree_) return;
    file_reads_agree_ = false;
    ScanEvent& e = add(Kind_::Framing, op_offset_, op_);
    e.target = "frame ending at " + std::to_string(buffer_end_);
    e.detail = "a read at " + std::to_string(read_at) +
               " needs bytes past the frame's end: CPython reading a file (torch.load, pickle.load of an "
               "io.BytesIO) runs other opcodes from here than loads() of the same bytes";
  }

  ScanEvent& add(ScanEvent::Kind kind, std::size_t offset, Op op) {
    ScanEvent& e = report_.events.emplace_back();
    e.kind = kind;
    e.pickle = pickle_;
    e.depth = depth_;
    e.offset = offset;
    e.opcode = op;
    return e;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  struct Origin {
    std::size_t offset;
    Op op;
    std::size_t event;
  };

  // pickle.loads(data): the events of the pickle in `data`, when the scan knows its bytes.
  void scan_nested(std::size_t offset, Value target, Value args) {
    if (!target.is_global() || !args.is_tuple() || args.as_tuple().size() == 0) return;
    const Global& g = target.as_global();
    const bool loads =
        (g.module() == "pickle" || g.module() == "_pickle") && (g.qualname() == "loads" || g.qualname() == "_loads");
    const Bytes* data = args.as_tuple()[0].try_as_bytes();
    if (!loads || !data || depth_ >= kMaxNesting) return;
    ScanReport nested = scan_at_depth(data->view(), options_, depth_ + 1);
    const std::string where = "in the pickle passed to " + global_name(g) + " at " + std::to_string(offset);
    for (ScanEvent& e : nested.events) {
      e.detail = e.detail.empty() ? where : where + "; " + e.detail;
      e.pickle = pickle_;
      report_.events.push_back(std::move(e));
    }
  }

  void record_call(ScanEvent& e, Value target) {
    if (target.is_global()) {
      e.module = target.as_global().module();
      e.name = target.as_global().qualname();
    }
    e.target = describe(target);
  }

  std::optional<Origin> origin(Value v) {
    if (!v.is_node()) return std::nullopt;
    for (; indexed_ < made_.size(); ++indexed_) origins_[made_[indexed_].node] = indexed_;
    auto it = origins_.find(v.node());
    if (it == origins_.end()) return std::nullopt;
    const Made& m = made_[it->second];
    auto event = made_events_.find(it->second);
    return Origin{m.offset, static_cast<Op>(m.op), event == made_events_.end() ? kNone : event->second};
  }

  std::string describe(Value v) {
    if (v.is_global()) return global_name(v.as_global());
    if (v.is_node()) {
      if (const std::optional<Origin> found = origin(v)) {
        const Origin& o = *found;
        std::string made = "from " + std::string(op_name(o.op)) + " at " + std::to_string(o.offset);
        if (v.is_persistent_id()) return "persistent object " + made;
        if (o.event != kNone && !report_.events[o.event].target.empty() && !is_string_op(o.op)) {
          return type_name(v) == "str" ? "str " + made : "object " + made + " (" + report_.events[o.event].target + ")";
        }
        return type_name(v) + " " + made;
      }
    }
    if (v.is_persistent_id()) return "persistent object";
    if (v.is_object()) return "object";
    return type_name(v);
  }

  std::string made_at(Value v) {
    if (!v.is_str()) return "missing: " + describe(v);
    if (const std::optional<Origin> o = origin(v)) {
      return "from " + std::string(op_name(o->op)) + " at " + std::to_string(o->offset);
    }
    return "made by the unpickler";
  }

  static Value stored_setstate(const Object& o) {
    if (!o.has_state()) return Value();
    Value state = o.state();
    auto lookup = [](Value d) -> Value {
      if (!d.is_dict()) return Value();
      const Value* f = d.as_dict().find("__setstate__");
      return f ? *f : Value();
    };
    if (state.is_tuple() && state.as_tuple().size() == 2) {
      Value slots = lookup(state.as_tuple()[1]);
      return slots.is_none() ? lookup(state.as_tuple()[0]) : slots;
    }
    return lookup(state);
  }

  // The attribute names a BUILD state sets: the dict's keys, and the slot dict's.
  static std::string state_names(Value state) {
    std::string names;
    auto add_keys = [&](Value d) {
      if (!d.is_dict()) return;
      for (const Dict::Entry& entry : d.as_dict()) {
        if (!names.empty()) names += ", ";
        names += entry.key.is_str() ? std::string(entry.key.as_str().utf8()) : type_name(entry.key);
        if (names.size() > 200) return;
      }
    };
    if (state.is_tuple() && state.as_tuple().size() == 2) {
      add_keys(state.as_tuple()[0]);
      add_keys(state.as_tuple()[1]);
    } else {
      add_keys(state);
    }
    return names.empty() ? "nothing" : names;
  }

  static std::string short_repr(Value v) {
    std::string text;
    try {
      text = repr(v);
    } catch (const Error&) {
      text = "<" + type_name(v) + ">";
    }
    if (text.size() > 200) text = text.substr(0, 197) + "...";
    return text;
  }

  static constexpr std::size_t kMaxNesting = 8;

  const std::span<const std::uint8_t> data_;
  const bool track_strs_;
  std::size_t buffer_end_ = 0;
  bool file_reads_agree_ = true;
  std::size_t op_offset_ = 0;
  Op op_ = Op::STOP;

  ScanReport& report_;
  const ScanOptions& options_;
  const std::size_t depth_;
  std::size_t pickle_ = 0;
  // The event of the opcode at pending_at_, for after_op; the last opcode that touched
  // an unknown value.
  std::size_t pending_ = kNone, pending_at_ = kNone;
  std::size_t touched_at_ = kNone;
  std::string operands_;
  // Where each value was made, looked up only to describe an event: appended cheaply as
  // the load goes, indexed when a lookup needs it (each entry once; a later entry for a
  // node, made again after being freed, wins).
  struct Made {  // 16 bytes: a large pickle makes millions of strs
    const detail::Node* node;
    std::uint64_t offset : 56;
    std::uint64_t op : 8;
  };
  std::vector<Made> made_;
  std::unordered_map<std::size_t, std::size_t> made_events_;  // made_ index -> the event that made it
  std::size_t indexed_ = 0;
  std::unordered_map<const detail::Node*, std::size_t> origins_;  // node -> its latest made_ index
};

/// What the bytes from `from` on still contain, as pickletools reads them: the names
/// GLOBAL and INST would import, and the opcodes that would call.
void walk_unreached(std::span<const std::uint8_t> data, std::size_t from, Recorder& recorder) {
  Graph scratch;
  bool skip_first = true;  // the opcode CPython stopped at was recorded when it ran
  while (from < data.size()) {
    std::size_t next = data.size();
    try {
      genops(data.subspan(from), scratch, [&](const GenOp& op) {
        next = from + op.end;
        if (std::exchange(skip_first, false)) return;
        const Op code = op.info->op;
        const std::size_t offset = from + op.pos;
        ScanEvent::Kind kind;
        switch (code) {
          case Op::GLOBAL:
          case Op::INST: {
            std::string_view text = op.arg.as_str().utf8();
            const std::size_t space = text.find(' ');
            ScanEvent& e = recorder.add(Kind_::Import, offset, code);
            e.reached = false;
            e.source = Source::Literal;
            e.module = text.substr(0, space);
            e.name = space == text.npos ? std::string_view() : text.substr(space + 1);
            e.target = e.module + "." + e.name;
            if (code == Op::GLOBAL) return;
            kind = Kind_::Call;
            break;
          }
          case Op::STACK_GLOBAL: {
            ScanEvent& e = recorder.add(Kind_::Import, offset, code);
            e.reached = false;
            e.source = Source::Unresolved;
            e.target = "?.?";
            return;
          }
          case Op::EXT1:
          case Op::EXT2:
          case Op::EXT4: {
            ScanEvent& e = recorder.add(Kind_::Extension, offset, code);
            e.reached = false;
            e.detail = "code " + std::to_string(op.arg.as_int());
            e.target = "extension " + std::to_string(op.arg.as_int());
            return;
          }
          case Op::REDUCE:
          case Op::OBJ: kind = Kind_::Call; break;
          case Op::NEWOBJ:
          case Op::NEWOBJ_EX: kind = Kind_::New; break;
          case Op::BUILD: kind = Kind_::SetState; break;
          case Op::PERSID:
          case Op::BINPERSID: kind = Kind_::PersistentId; break;
          default: return;
        }
        ScanEvent& e = recorder.add(kind, offset, code);
        e.reached = false;
        e.target = "?";
      });
    } catch (const Error&) {
      return;  // pickletools cannot read on from here either
    }
    if (next <= from) return;
    from = next;
  }
}

ScanReport scan_at_depth(std::span<const std::uint8_t> data, const ScanOptions& options, std::size_t depth,
                         bool track_strs) {
  ScanReport report;
  report.policy = options.policy.name();
  ExtensionRegistry empty_registry;
  UnpicklerOptions uo;
  uo.fix_imports = options.fix_imports;
  uo.encoding = options.encoding;
  uo.errors = options.errors;
  uo.python = options.python;
  uo.extensions = options.extensions ? options.extensions : &empty_registry;
  if (options.persistent_load) uo.persistent_load = keep_persistent_ids;
  uo.limits = options.limits;

  Recorder recorder(report, options, depth, data, track_strs);
  Unpickler unpickler(std::move(uo));
  detail::set_observer(unpickler, &recorder);
  unpickler.set_input(data);
  Graph g;
  while (report.pickles == 0 || (options.all_pickles && !unpickler.at_end())) {
    const std::size_t start = unpickler.position();
    recorder.set_pickle(report.pickles, start);
    try {
      unpickler.load(g);
      ++report.pickles;
      unpickler.clear_memo();  // each pickle is read by its own pickle.load
    } catch (const Error& e) {
      if (report.pickles == 0) {
        report.error = e;
        report.status =
            recorder.touched_unknown(e.offset().value_or(start)) ? ScanStatus::Inconclusive : ScanStatus::Error;
        // The opcode that fails for loads() may read on past its frame's end in a file.
        recorder.failed_at(e.offset().value_or(start));
        walk_unreached(data, e.offset().value_or(start), recorder);
      } else {
        report.trailing_bytes = data.size() - start;
      }
      break;
    }
  }

  return report;
}

}  // namespace

ScanReport scan(std::span<const std::uint8_t> data, const ScanOptions& options) {
  ScanReport report = scan_at_depth(data, options, 0);
  for (std::size_t i = 0; i < report.events.size(); ++i) {
    if (std::optional<std::string> reason = options.policy.judge(report.events[i])) {
      report.findings.push_back({i, std::move(*reason)});
    }
  }
  report.verdict = !report.findings.empty()                ? Verdict::Flagged
                   : report.status != ScanStatus::Complete ? Verdict::Error
                                                           : Verdict::Clean;
  return report;
}

std::string_view to_string(ScanEvent::Kind kind) noexcept {
  switch (kind) {
    case Kind_::Import: return "import";
    case Kind_::Attribute: return "attribute";
    case Kind_::Call: return "call";
    case Kind_::New: return "new";
    case Kind_::SetState: return "setstate";
    case Kind_::SetAttributes: return "setattributes";
    case Kind_::Items: return "items";
    case Kind_::PersistentId: return "persistent_id";
    case Kind_::Extension: return "extension";
    case Kind_::Buffer: return "buffer";
    case Kind_::Framing: return "framing";
  }
  return "?";
}

std::string_view to_string(ScanEvent::Source source) noexcept {
  switch (source) {
    case Source::None: return "";
    case Source::Literal: return "literal";
    case Source::Stack: return "stack";
    case Source::Registry: return "registry";
    case Source::Computed: return "computed";
    case Source::Unresolved: return "unresolved";
  }
  return "?";
}

std::string_view to_string(ScanStatus status) noexcept {
  switch (status) {
    case ScanStatus::Complete: return "complete";
    case ScanStatus::Error: return "error";
    case ScanStatus::Inconclusive: return "inconclusive";
  }
  return "?";
}

std::string_view to_string(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::Clean: return "clean";
    case Verdict::Flagged: return "flagged";
    case Verdict::Error: return "error";
  }
  return "?";
}

}  // namespace pickle
