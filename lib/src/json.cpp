// to_json(Value): a graph walk with an explicit work stack (deep nesting is no C++
// recursion), after a first walk that finds what is reached more than once.
#include "pickle/json.h"

#include <cmath>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "bigint.h"
#include "cpython_set.h"
#include "pickle/copyreg.h"
#include "pickle/scan.h"
#include "pytext.h"
#include "value_internal.h"

namespace pickle {

namespace {

/// Values with an identity a JSON reader may care about: written once, referred to
/// after. CPython has one empty tuple and one empty frozenset: those are plain values.
bool has_identity(Value v) {
  switch (v.kind()) {
    case Kind::Tuple: return v.as_tuple().size() != 0;
    case Kind::FrozenSet: return v.as_set().size() != 0;
    case Kind::List:
    case Kind::Dict:
    case Kind::Set:
    case Kind::ByteArray:
    case Kind::Object:
    case Kind::PersistentId:
    case Kind::Buffer:
    case Kind::Iterator: return true;
    default: return false;
  }
}

void append_base64(std::string& out, std::span<const std::uint8_t> data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 63];
  }
  if (const std::size_t rest = data.size() - i) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (rest == 2 ? std::uint32_t{data[i + 1]} << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void run(Value root) {
    count_references(root);
    tasks_.push_back(Task{root, {}});
    while (!tasks_.empty()) {
      Task t = tasks_.back();
      tasks_.pop_back();
      if (t.text.data()) {
        out_ += t.text;
      } else {
        write(t.value);
      }
    }
  }

 private:
  struct Task {
    Value value;
    std::string_view text;  // when set, written as is instead of the value
  };

  // The members of `v` in writing order, given to `visit` (the values; dict keys too).
  template <class F>
  void for_each_member(Value v, F&& visit) {
    switch (v.kind()) {
      case Kind::List:
        for (Value x : v.as_list().items()) visit(x);
        break;
      case Kind::Tuple:
        for (Value x : v.as_tuple().items()) visit(x);
        break;
      case Kind::Dict:
        for (const Dict::Entry& e : v.as_dict()) visit(e.key), visit(e.value);
        break;
      case Kind::Set:
      case Kind::FrozenSet:
        for (Value x : v.as_set()) visit(x);
        break;
      case Kind::Object: {
        const Object& o = v.as_object();
        visit(o.callable()), visit(o.args()), visit(o.kwargs()), visit(o.state()), visit(o.state_setter());
        for (Value x : o.list_items()) visit(x);
        for (const Dict::Entry& e : o.dict_items()) visit(e.key), visit(e.value);
        for (Value x : o.set_items()) visit(x);
        break;
      }
      case Kind::PersistentId: visit(v.as_persistent_id().pid()); break;
      case Kind::Iterator: visit(v.as_iterator().source()); break;
      default: break;
    }
  }

  // Marks the nodes with identity that are reached more than once.
  void count_references(Value root) {
    std::vector<Value> stack{root};
    std::unordered_map<const detail::Node*, bool> seen;  // node -> reached again
    if (has_identity(root)) seen.emplace(root.node(), false);
    while (!stack.empty()) {
      const Value v = stack.back();
      stack.pop_back();
      for_each_member(v, [&](Value m) {
        if (!has_identity(m)) return;  // no members
        auto [it, first] = seen.emplace(m.node(), false);
        if (first) {
          stack.push_back(m);
        } else if (!it->second) {
          it->second = true;
          shared_.emplace(m.node(), 0);
        }
      });
    }
  }

  void text(std::string_view s) { pending_.push_back(Task{Value(), s}); }
  void value(Value v) { pending_.push_back(Task{v, {}}); }
  // Queues what text() and value() collected, to be written in the order they were given.
  void flush() {
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) tasks_.push_back(*it);
    pending_.clear();
  }
  void items(std::span<const Value> xs) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (i) text(", ");
      value(xs[i]);
    }
  }
  void pairs(std::span<const Dict::Entry> entries) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      text(i ? ", [" : "[");
      value(entries[i].key);
      text(", ");
      value(entries[i].value);
      text("]");
    }
  }
  std::string_view keep(std::string s) { return owned_.emplace_back(std::move(s)); }

  void write(Value v) {
    switch (v.kind()) {
      case Kind::None: out_ += "null"; return;
      case Kind::Bool: out_ += v.as_bool() ? "true" : "false"; return;
      case Kind::Int: {
        const detail::IntRef r(v);
        const auto mag = r.magnitude();
        const std::uint64_t m = mag.empty() ? 0 : mag.size() == 1 ? mag[0] : (std::uint64_t{mag[1]} << 32) | mag[0];
        const bool exact = mag.size() <= 2 && m <= (std::uint64_t{1} << 53);  // a double holds it
        if (!exact) out_ += "{\"$int\": \"";
        detail::append_decimal(out_, r);
        if (!exact) out_ += "\"}";
        return;
      }
      case Kind::Float: float_value(v.as_float()); return;
      case Kind::Complex:
        out_ += "{\"$complex\": [";
        float_value(v.as_complex().real());
        out_ += ", ";
        float_value(v.as_complex().imag());
        out_ += "]}";
        return;
      case Kind::Str: out_ += json_quote(v.as_str().utf8()); return;
      case Kind::Bytes:
        out_ += "{\"$bytes\": ";
        append_base64(out_, v.as_bytes().view());
        out_ += "}";
        return;
      case Kind::Global:
        out_ += "{\"$global\": " +
                json_quote(std::string(v.as_global().module()) + "." + std::string(v.as_global().qualname())) + "}";
        return;
      case Kind::Native: {
        const NativeClass& cls = v.as_native().cls();
        out_ += "{\"$native\": " + json_quote(std::string(cls.module()) + "." + std::string(cls.qualname())) + "}";
        return;
      }
      default: break;
    }
    // The rest have an identity: the first time a shared one is met it gets its number.
    if (auto it = shared_.find(v.node()); it != shared_.end()) {
      if (it->second) {
        out_ += "{\"$ref\": " + std::to_string(it->second) + "}";
        return;
      }
      it->second = ++ids_;
      out_ += "{\"$id\": " + std::to_string(it->second) + ", \"$value\": ";
      compound(v);
      text("}");
      flush();
      return;
    }
    compound(v);
    flush();
  }

  void float_value(double x) {
    if (std::isfinite(x)) {
      detail::append_repr_float(out_, x);
    } else {
      out_ += std::isnan(x) ? "{\"$float\": \"nan\"}" : x > 0 ? "{\"$float\": \"inf\"}" : "{\"$float\": \"-inf\"}";
    }
  }

  static bool plain_object_keys(const Dict& d) {
    for (const Dict::Entry& e : d) {
      if (!e.key.is_str() || e.key.as_str().utf8().starts_with('$')) return false;
    }
    return true;
  }

  // Queues the JSON of a value with identity (the opening is written at once).
  void compound(Value v) {
    switch (v.kind()) {
      case Kind::List:
        out_ += "[";
        items(v.as_list().items());
        text("]");
        break;
      case Kind::Tuple:
        out_ += "{\"$tuple\": [";
        items(v.as_tuple().items());
        text("]}");
        break;
      case Kind::Dict: {
        const Dict& d = v.as_dict();
        if (plain_object_keys(d)) {
          out_ += "{";
          std::size_t i = 0;
          for (const Dict::Entry& e : d) {
            text(keep((i++ ? ", " : "") + json_quote(e.key.as_str().utf8()) + ": "));
            value(e.value);
          }
          text("}");
        } else {
          out_ += "{\"$dict\": [";
          pairs({d.begin(), d.size()});
          text("]}");
        }
        break;
      }
      case Kind::Set:
      case Kind::FrozenSet:
        out_ += v.kind() == Kind::Set ? "{\"$set\": [" : "{\"$frozenset\": [";
        items(owned_sets_.emplace_back(detail::set_iteration_order(v.as_set(), set_hashes_)));
        text("]}");
        break;
      case Kind::ByteArray:
        out_ += "{\"$bytearray\": ";
        append_base64(out_, v.as_bytes().view());
        out_ += "}";
        break;
      case Kind::Object: object(v.as_object()); break;
      case Kind::PersistentId:
        out_ += "{\"$persistent_id\": ";
        value(v.as_persistent_id().pid());
        text("}");
        break;
      case Kind::Buffer: {
        const Buffer& b = v.as_buffer();
        out_ += "{\"$buffer\": ";
        append_base64(out_, b.view());
        out_ += b.readonly() ? ", \"readonly\": true}" : ", \"readonly\": false}";
        break;
      }
      case Kind::Iterator: {
        const Iterator& it = v.as_iterator();
        using Over = Iterator::Over;
        out_ += it.over() == Over::Items      ? "{\"$iterator\": \"items\", \"of\": "
                : it.over() == Over::DictKeys ? "{\"$iterator\": \"keys\", \"of\": "
                                              : "{\"$iterator\": \"dict_items\", \"of\": ";
        value(it.source());
        text("}");
        break;
      }
      default: break;
    }
  }

  void object(const Object& o) {
    out_ += o.how() == Object::How::Reduce   ? "{\"$object\": {\"how\": \"reduce\", \"callable\": "
            : o.how() == Object::How::NewObj ? "{\"$object\": {\"how\": \"newobj\", \"callable\": "
                                             : "{\"$object\": {\"how\": \"reconstructor\", \"callable\": ";
    value(o.callable());
    text(", \"args\": [");
    items(o.args().as_tuple().items());
    text("]");
    if (o.kwargs().is_dict()) {
      text(", \"kwargs\": ");
      value(o.kwargs());
    }
    if (o.has_state()) {
      text(", \"state\": ");
      value(o.state());
    }
    if (!o.state_setter().is_none()) {
      text(", \"state_setter\": ");
      value(o.state_setter());
    }
    if (!o.list_items().empty()) {
      text(", \"list_items\": [");
      items(o.list_items());
      text("]");
    }
    if (!o.dict_items().empty()) {
      text(", \"dict_items\": [");
      pairs(o.dict_items());
      text("]");
    }
    if (!o.set_items().empty()) {
      text(", \"set_items\": [");
      items(o.set_items());
      text("]");
    }
    text("}}");
  }

  std::string& out_;
  std::vector<Task> tasks_, pending_;
  std::unordered_map<const detail::Node*, std::size_t> shared_;  // node -> its $id, 0 until written
  std::size_t ids_ = 0;
  std::deque<std::string> owned_;  // text pieces made while writing (stable addresses)
  std::deque<std::vector<Value>> owned_sets_;
  detail::CPythonHashes set_hashes_{0, PythonVersion{}};
};

}  // namespace

std::string to_json(Value v) try {
  std::string out;
  JsonWriter(out).run(v);
  return out;
} catch (...) {
  detail::rethrow_allocation_failure();
}

}  // namespace pickle
