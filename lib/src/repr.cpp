// repr() and deep_equal(): graph walks with an explicit work stack, so that nesting depth
// never turns into C++ recursion.
#include <cmath>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bigint.h"
#include "cpython_set.h"
#include "pickle/copyreg.h"
#include "pickle/value.h"
#include "pytext.h"
#include "globals.h"
#include "value_internal.h"

namespace pickle {

namespace {

// repr(float) without the ".0" CPython's complex repr leaves out, optionally signed.
void append_complex_part(std::string& out, double x, bool sign) {
  std::string s;
  detail::append_repr_float(s, x);
  if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
  if (sign && s[0] != '-') out += '+';
  out += s;
}

void append_complex(std::string& out, const Complex& c) {
  if (c.real() == 0 && !std::signbit(c.real())) {
    append_complex_part(out, c.imag(), false);
    out += 'j';
    return;
  }
  out += '(';
  append_complex_part(out, c.real(), false);
  append_complex_part(out, c.imag(), true);
  out += "j)";
}

void append_global(std::string& out, const Global& g) {
  using B = Global::Builtin;
  if (g.module() == "builtins") {
    std::string_view t = detail::global_type_name(g);
    if (g.qualname() == "Ellipsis" || g.qualname() == "NotImplemented") {
      out += g.qualname();
    } else if (t == "type" || g.builtin() == B::NoneType || g.builtin() == B::EllipsisType ||
               g.builtin() == B::NotImplementedType) {
      out += "<class '";
      out += g.qualname();
      out += "'>";
    } else if (t == "builtin_function_or_method") {
      out += "<built-in function ";
      out += g.qualname();
      out += ">";
    } else {
      out += "builtins.";
      out += g.qualname();
    }
    return;
  }
  out += g.module();
  out += '.';
  out += g.qualname();
}

class Printer {
 public:
  Printer(std::string& out, const ReprOptions& options) : out_(out), options_(options) {}

  void run(Value root) {
    push_value(root);
    while (!tasks_.empty()) {
      Task t = tasks_.back();
      tasks_.pop_back();
      switch (t.kind) {
        case Task::Text: out_ += t.text; break;
        case Task::Leave: active_.erase(t.value.node()); break;
        case Task::Repr: print(t.value); break;
        case Task::Items: next_item(t); break;
        case Task::Entries: next_entry(t); break;
      }
    }
  }

 private:
  // A container's members are queued as one task that re-queues itself for the rest, so
  // the queue holds a few tasks per level of nesting, however wide the containers are.
  struct Task {
    enum Kind { Text, Repr, Leave, Items, Entries } kind;
    std::string_view text;  // Text; Items and Entries: the separator between members
    Value value;
    const void* members = nullptr;  // Items: const Value*; Entries: const Dict::Entry*
    std::size_t count = 0;
    bool open = false;         // Items and Entries: the separator goes before the first member too
    std::string_view close{};  // Items: written after each member
  };

  // Tasks run last-pushed first; these helpers queue a sequence in reading order.
  std::vector<Task> pending_;
  void text(std::string_view s) { pending_.push_back({Task::Text, s, Value()}); }
  void value(Value v) { pending_.push_back({Task::Repr, {}, v}); }
  void flush() {
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) tasks_.push_back(*it);
    pending_.clear();
  }
  void push_value(Value v) {
    value(v);
    flush();
  }

  // Members with `sep` between them (and before the first when `open`), each followed by
  // `close`: "a, b", or ".add(a).add(b)".
  void sequence(std::span<const Value> items, std::string_view sep = ", ", bool open = false,
                std::string_view close = {}) {
    if (!items.empty()) pending_.push_back({Task::Items, sep, Value(), items.data(), items.size(), open, close});
  }
  void entries(std::span<const Dict::Entry> items) {
    if (!items.empty()) pending_.push_back({Task::Entries, ", ", Value(), items.data(), items.size()});
  }

  void next_item(const Task& t) {
    auto* items = static_cast<const Value*>(t.members);
    if (t.open) out_ += t.text;
    if (t.count > 1) tasks_.push_back({Task::Items, t.text, Value(), items + 1, t.count - 1, true, t.close});
    if (!t.close.empty()) tasks_.push_back({Task::Text, t.close, Value()});
    tasks_.push_back({Task::Repr, {}, items[0]});
  }

  void next_entry(const Task& t) {
    auto* entries = static_cast<const Dict::Entry*>(t.members);
    if (t.open) out_ += t.text;
    if (t.count > 1) tasks_.push_back({Task::Entries, t.text, Value(), entries + 1, t.count - 1, true});
    tasks_.push_back({Task::Repr, {}, entries[0].value});
    tasks_.push_back({Task::Text, ": ", Value()});
    tasks_.push_back({Task::Repr, {}, entries[0].key});
  }

  void print(Value v) {
    switch (v.kind()) {
      case Kind::None: out_ += "None"; return;
      case Kind::Bool: out_ += v.as_bool() ? "True" : "False"; return;
      case Kind::Int: detail::append_decimal(out_, detail::IntRef(v), options_.max_int_digits, options_.python); return;
      case Kind::Float: detail::append_repr_float(out_, v.as_float()); return;
      case Kind::Complex: append_complex(out_, v.as_complex()); return;
      case Kind::Str: detail::append_repr_str(out_, v.as_str().utf8(), options_.python); return;
      case Kind::Bytes: detail::append_repr_bytes(out_, v.as_bytes().view()); return;
      case Kind::ByteArray: detail::append_repr_bytearray(out_, v.as_bytes().view()); return;
      case Kind::Global: append_global(out_, v.as_global()); return;
      default: break;
    }
    // Containers and objects: CPython prints an object already being printed as an
    // ellipsis (Py_ReprEnter).
    detail::Node* node = v.node();
    if (active_.count(node)) {
      switch (v.kind()) {
        case Kind::List: out_ += "[...]"; break;
        case Kind::Tuple: out_ += "(...)"; break;
        case Kind::Dict: out_ += "{...}"; break;
        case Kind::Set: out_ += "set(...)"; break;
        case Kind::FrozenSet: out_ += "frozenset(...)"; break;
        default: out_ += "..."; break;
      }
      return;
    }
    active_.insert(node);
    switch (v.kind()) {
      case Kind::List:
        text("[");
        sequence(v.as_list().items());
        text("]");
        break;
      case Kind::Tuple:
        text("(");
        sequence(v.as_tuple().items());
        text(v.as_tuple().size() == 1 ? ",)" : ")");
        break;
      case Kind::Dict: {
        text("{");
        entries({v.as_dict().begin(), v.as_dict().size()});
        text("}");
        break;
      }
      case Kind::Set:
      case Kind::FrozenSet: {
        bool frozen = v.kind() == Kind::FrozenSet;
        if (v.as_set().size() == 0) {
          text(frozen ? "frozenset()" : "set()");
          break;
        }
        // CPython prints members in its table order (for the process with hash seed 0).
        owned_sets_.push_back(detail::set_iteration_order(v.as_set(), set_hashes_));
        text(frozen ? "frozenset({" : "{");
        sequence(owned_sets_.back());
        text(frozen ? "})" : "}");
        break;
      }
      case Kind::Object: object(v.as_object()); break;
      case Kind::PersistentId:
        text("persistent_load(");
        value(v.as_persistent_id().pid());
        text(")");
        break;
      case Kind::Native: {
        const NativeClass& cls = v.as_native().cls();
        owned_.push_back("<" + cls.module() + "." + cls.qualname() + " object>");
        text(owned_.back());
        break;
      }
      case Kind::Iterator:
        owned_.push_back("<" + type_name(v) + " object>");
        text(owned_.back());
        break;
      case Kind::Buffer: {
        const Buffer& b = v.as_buffer();
        // As it would be made: PickleBuffer(bytearray(...)) is the writable kind.
        text(b.is_memoryview() ? "memoryview(" : "PickleBuffer(");
        owned_.emplace_back();
        if (b.readonly()) {
          detail::append_repr_bytes(owned_.back(), b.view());
        } else {
          detail::append_repr_bytearray(owned_.back(), b.view());
        }
        text(owned_.back());
        text(")");
        break;
      }
      default: break;
    }
    pending_.push_back({Task::Leave, {}, v});
    flush();
  }

  // An object reads as the Python code that rebuilds it:
  //   module.f(args)  |  module.C.__new__(module.C, args, k=v)
  // followed by .__setstate__(state), .extend([...]), .update({...}), .add(...) as needed.
  // A class or function in call position reads best as its dotted name.
  void callable(Value c) {
    if (!c.is_global()) {
      value(c);
      return;
    }
    const Global& g = c.as_global();
    if (g.module() != "builtins") {
      text(g.module());
      text(".");
    }
    text(g.qualname());
  }

  void object(const Object& o) {
    const Tuple& args = o.args().as_tuple();
    switch (o.how()) {
      case Object::How::Reduce:
        callable(o.callable());
        text("(");
        sequence(args.items());
        text(")");
        break;
      case Object::How::NewObj: {
        callable(o.callable());
        text(".__new__(");
        callable(o.callable());
        sequence(args.items(), ", ", true);
        if (o.kwargs().is_dict()) {
          for (const Dict::Entry& e : o.kwargs().as_dict()) {
            text(", ");
            if (e.key.is_str()) {
              text(e.key.as_str().utf8());
            } else {
              value(e.key);
            }
            text("=");
            value(e.value);
          }
        }
        text(")");
        break;
      }
      case Object::How::Reconstructor:
        text("copyreg._reconstructor(");
        callable(o.callable());
        sequence(args.items(), ", ", true);
        text(")");
        break;
    }
    if (!o.list_items().empty()) {
      text(".extend([");
      sequence(o.list_items());
      text("])");
    }
    if (!o.dict_items().empty()) {
      text(".update({");
      entries(o.dict_items());
      text("})");
    }
    sequence(o.set_items(), ".add(", true, ")");
    if (o.has_state() && o.state_setter().is_none()) {
      text(".__setstate__(");
      value(o.state());
      text(")");
    } else if (o.has_state()) {
      text(".__setstate__(");
      value(o.state());
      text(", setter=");
      callable(o.state_setter());
      text(")");
    }
  }

  std::string& out_;
  ReprOptions options_;
  std::vector<Task> tasks_;
  std::unordered_set<detail::Node*> active_;
  std::deque<std::string> owned_;  // text pieces built while printing (stable addresses)
  std::deque<std::vector<Value>> owned_sets_;
  detail::CPythonHashes set_hashes_{0, options_.python};  // CPython's order: the process with hash seed 0
};

}  // namespace

std::string repr(Value v, const ReprOptions& options) try {
  std::string out;
  Printer(out, options).run(v);
  return out;
} catch (...) {
  detail::rethrow_allocation_failure();
}

// ---- deep_equal ----------------------------------------------------------------------------

namespace {

bool same_float(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

struct PairHash {
  std::size_t operator()(const std::pair<const void*, const void*>& p) const noexcept {
    return std::hash<const void*>()(p.first) * 31 + std::hash<const void*>()(p.second);
  }
};

}  // namespace

bool deep_equal(Value a, Value b) try {
  std::vector<std::pair<Value, Value>> work{{a, b}};
  // Pairs of nodes already assumed equal: revisiting them (cycles, sharing) succeeds.
  std::unordered_set<std::pair<const void*, const void*>, PairHash> seen;
  auto same_items = [&](auto&& xs, auto&& ys) {
    if (xs.size() != ys.size()) return false;
    auto y = ys.begin();
    for (auto x = xs.begin(); x != xs.end(); ++x, ++y) work.emplace_back(*x, *y);
    return true;
  };
  auto same_entries = [&](auto&& xs, auto&& ys) {
    if (xs.size() != ys.size()) return false;
    auto y = ys.begin();
    for (auto x = xs.begin(); x != xs.end(); ++x, ++y) {
      work.emplace_back(x->key, y->key);
      work.emplace_back(x->value, y->value);
    }
    return true;
  };
  // Sets are equal whatever the order their members arrived in: members are paired by
  // value (hash and ==); those that hash by identity (instances, which differ between
  // graphs) are paired in order among the rest.
  auto same_members = [&](const Set& xs, const Set& ys) {
    if (xs.size() != ys.size()) return false;
    std::unordered_multimap<std::uint64_t, Value> by_hash;
    for (Value m : ys) by_hash.emplace(py_hash(m), m);
    std::vector<Value> unmatched;
    for (Value m : xs) {
      auto [lo, hi] = by_hash.equal_range(py_hash(m));
      auto it = lo;
      while (it != hi && !(it->second.kind() == m.kind() && py_equal(it->second, m))) ++it;
      if (it == hi) {
        unmatched.push_back(m);
        continue;
      }
      work.emplace_back(m, it->second);
      by_hash.erase(it);
    }
    std::vector<Value> rest;
    for (Value m : ys) {
      auto [lo, hi] = by_hash.equal_range(py_hash(m));
      for (auto it = lo; it != hi; ++it) {
        if (it->second.is(m)) {
          rest.push_back(m);
          break;
        }
      }
    }
    if (rest.size() != unmatched.size()) return false;
    for (std::size_t i = 0; i < rest.size(); ++i) work.emplace_back(unmatched[i], rest[i]);
    return true;
  };
  while (!work.empty()) {
    auto [x, y] = work.back();
    work.pop_back();
    if (x.kind() != y.kind()) return false;
    switch (x.kind()) {
      case Kind::None: continue;
      case Kind::Bool:
        if (x.as_bool() != y.as_bool()) return false;
        continue;
      case Kind::Float:
        if (!same_float(x.as_float(), y.as_float())) return false;
        continue;
      case Kind::Int:
        if (!py_equal(x, y)) return false;
        continue;
      default: break;
    }
    if (!seen.insert({x.node(), y.node()}).second) continue;
    switch (x.kind()) {
      case Kind::Complex:
        if (!same_float(x.as_complex().real(), y.as_complex().real()) ||
            !same_float(x.as_complex().imag(), y.as_complex().imag())) {
          return false;
        }
        break;
      case Kind::Str:
        if (x.as_str().utf8() != y.as_str().utf8()) return false;
        break;
      case Kind::Bytes:
      case Kind::ByteArray:
        if (x.as_bytes().chars() != y.as_bytes().chars()) return false;
        break;
      case Kind::List:
        if (!same_items(x.as_list(), y.as_list())) return false;
        break;
      case Kind::Tuple:
        if (!same_items(x.as_tuple(), y.as_tuple())) return false;
        break;
      case Kind::Set:
      case Kind::FrozenSet:
        if (!same_members(x.as_set(), y.as_set())) return false;
        break;
      case Kind::Dict:
        if (!same_entries(x.as_dict(), y.as_dict())) return false;
        break;
      case Kind::Global:
        if (x.as_global().module() != y.as_global().module() || x.as_global().qualname() != y.as_global().qualname()) {
          return false;
        }
        break;
      case Kind::PersistentId: work.emplace_back(x.as_persistent_id().pid(), y.as_persistent_id().pid()); break;
      case Kind::Native:
        if (x.node() != y.node()) return false;
        break;
      case Kind::Iterator:
        if (x.as_iterator().over() != y.as_iterator().over()) return false;
        work.emplace_back(x.as_iterator().source(), y.as_iterator().source());
        break;
      case Kind::Buffer: {
        auto vx = x.as_buffer().view(), vy = y.as_buffer().view();
        if (x.as_buffer().readonly() != y.as_buffer().readonly() ||
            x.as_buffer().is_memoryview() != y.as_buffer().is_memoryview() ||
            std::string_view(reinterpret_cast<const char*>(vx.data()), vx.size()) !=
                std::string_view(reinterpret_cast<const char*>(vy.data()), vy.size())) {
          return false;
        }
        break;
      }
      case Kind::Object: {
        const Object &ox = x.as_object(), &oy = y.as_object();
        if (ox.how() != oy.how() || ox.has_state() != oy.has_state()) return false;
        work.emplace_back(ox.callable(), oy.callable());
        work.emplace_back(ox.args(), oy.args());
        work.emplace_back(ox.kwargs(), oy.kwargs());
        work.emplace_back(ox.state(), oy.state());
        work.emplace_back(ox.state_setter(), oy.state_setter());
        if (!same_items(ox.list_items(), oy.list_items()) || !same_entries(ox.dict_items(), oy.dict_items()) ||
            !same_items(ox.set_items(), oy.set_items())) {
          return false;
        }
        break;
      }
      default: break;
    }
  }
  return true;
} catch (...) {
  detail::rethrow_allocation_failure();
}

}  // namespace pickle
