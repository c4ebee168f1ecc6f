// reducers: the input decodes into what a reducer returns for an object x of class fz.C
// -- a reduce tuple of any length with valid or wrong items (non-callables, bad args,
// NEWOBJ/NEWOBJ_EX arguments of the wrong shape, non-iterator items, state setters), a
// str, any other value, or an exception -- and the library pickles x with that reducer
// (through a DispatchTable or reducer_override) as CPython does with the same Python
// reducer (fuzz/oracle.py, reduce_case): same bytes or same exception class and message.
// When both succeed, both load the result, calling the classes of fz (C++ NativeClass
// hooks mirroring oracle.py's Python classes, which raise on demand), and both pickle
// what they loaded again: same outcomes, same bytes.
//
// The spec travels to Python as a pickle (protocol 4) with placeholders: fz.SELF for x,
// fz.It(list) / fz.ItItems(dict) for iter(list) / iter(dict.items()), fz.Raise(code,
// message) for a reducer that raises.
#include "fuzz.h"

namespace {

using pickle::Graph;
using pickle::Value;

// ---- the classes of fz (oracle.py) -------------------------------------------------------

struct Rec {
  Value args, kwargs, state;
  bool has_state = false;
};
struct KRec : Rec {};
struct CRec : Rec {};
struct FTag {};
struct GTag {};
struct SetterTag {};

pickle::ErrorType error_type(char code) {
  switch (code) {
    case 'T': return pickle::ErrorType::TypeError;
    case 'R': return pickle::ErrorType::RuntimeError;
    case 'A': return pickle::ErrorType::AttributeError;
    case 'O': return pickle::ErrorType::OverflowError;
    case 'I': return pickle::ErrorType::IndexError;
    default: return pickle::ErrorType::ValueError;
  }
}

/// oracle._maybe_raise: a str '!<code><message>' raises.
void maybe_raise(Value v) {
  if (!v.is_str() || !v.as_str().utf8().starts_with('!')) return;
  std::string_view s = v.as_str().utf8();
  throw pickle::Error(error_type(s.size() > 1 ? s[1] : '\0'),
                      std::string(s.substr(std::min<std::size_t>(2, s.size()))));
}

Value first(Value args) { return args.as_tuple().size() ? args.as_tuple()[0] : Value(); }

/// `*args` and `**kwargs` as a Python function receives them: a new tuple and dict.
Value fresh_args(Graph& g, Value args) {
  const pickle::Tuple& t = args.as_tuple();
  return t.size() ? g.new_tuple(std::vector<Value>(t.begin(), t.end())) : g.empty_tuple();
}
Value fresh_kwargs(Graph& g, Value kwargs) {
  Value d = g.new_dict();
  if (kwargs.is_dict()) {
    for (const pickle::Dict::Entry& e : kwargs.as_dict()) d.as_dict().set(g, e.key, e.value);
  }
  return d;
}

/// What Python says when a __new__(cls, *args) gets keyword arguments.
void no_kwargs(const char* cls, Value kwargs) {
  if (!kwargs.is_dict() || kwargs.as_dict().size() == 0) return;
  std::string key(kwargs.as_dict().begin()->key.as_str().utf8());
  throw pickle::Error(pickle::ErrorType::TypeError,
                      std::string(cls) + ".__new__() got an unexpected keyword argument '" + key + "'");
}

template <class T>
void register_record(const char* name) {
  pickle::ClassHooks cls;
  cls.call = [](Graph& g, Value args, Value kwargs) {
    maybe_raise(first(args));
    T rec;
    rec.args = fresh_args(g, args);
    rec.kwargs = fresh_kwargs(g, kwargs);
    return pickle::make_native(g, rec);
  };
  cls.setstate = [](Graph&, Value self, Value state) {
    maybe_raise(state);
    Rec* rec = self.native<T>();
    rec->state = state;
    rec->has_state = true;
  };
  pickle::register_class<T>("fz", name, std::move(cls));
}

Rec* record(Value v) {
  if (KRec* k = v.native<KRec>()) return k;
  return v.native<CRec>();
}

void register_classes() {
  register_record<KRec>("K");
  register_record<CRec>("C");
  pickle::ClassHooks f_hooks;
  f_hooks.call = [](Graph& g, Value args, Value kwargs) {
    no_kwargs("F", kwargs);
    maybe_raise(first(args));
    Value l = g.new_list();
    for (Value v : args.as_tuple()) l.as_list().append(g, v);
    return l;
  };
  pickle::register_class<FTag>("fz", "F", std::move(f_hooks));
  pickle::ClassHooks g_hooks;
  g_hooks.call = [](Graph& g, Value args, Value kwargs) {
    no_kwargs("G", kwargs);
    maybe_raise(first(args));
    Value d = g.new_dict();
    std::int64_t i = 0;
    for (Value v : args.as_tuple()) d.as_dict().set(g, Value::integer(i++), v);
    return d;
  };
  pickle::register_class<GTag>("fz", "G", std::move(g_hooks));
  pickle::ClassHooks setter_hooks;
  setter_hooks.call = [](Graph&, Value args, Value kwargs) {
    no_kwargs("setter", kwargs);
    if (args.as_tuple().size() != 2) throw pickle::Error(pickle::ErrorType::TypeError, "setter takes 2 arguments");
    maybe_raise(args.as_tuple()[1]);
    Rec* rec = record(args.as_tuple()[0]);
    if (!rec) throw pickle::Error(pickle::ErrorType::AttributeError, "setter: not a K or C");
    rec->state = args.as_tuple()[1];
    rec->has_state = true;
    return Value();
  };
  pickle::register_class<SetterTag>("fz", "setter", std::move(setter_hooks));
}

/// oracle._describe, for pickling what was loaded.
Value describe(Graph& g, Value obj) {
  const Rec& r = *record(obj);
  Value args[] = {g.shared_or_new_str(obj.native<KRec>() ? "K" : "C"), r.args, r.kwargs, Value::boolean(r.has_state)};
  Value rv[] = {g.global("fz", "R"), g.new_tuple(args), r.has_state ? r.state : Value()};
  return g.new_tuple(rv);
}

// ---- the spec ---------------------------------------------------------------------------

Value placeholder(Graph& g, const char* name, std::vector<Value> args) {
  return g.new_object(pickle::Object::How::Reduce, g.global("fz", name), g.new_tuple(args));
}

/// str and bytes shared where CPython's unpickler shares them (the empty ones, one-character
/// strs): the Python side gets its spec by unpickling, and sharing decides the memo.
Value str(Graph& g, std::string_view s) { return g.shared_or_new_str(s); }
Value bytes(Graph& g, std::string_view s) { return s.empty() ? g.shared_or_new_bytes({}) : g.new_bytes(s); }

Value global(Graph& g, fuzz::Reader& in) {
  static const char* const kNames[][2] = {{"fz", "K"},
                                          {"fz", "C"},
                                          {"fz", "F"},
                                          {"fz", "G"},
                                          {"fz", "setter"},
                                          {"copyreg", "__newobj__"},
                                          {"copyreg", "__newobj_ex__"},
                                          {"builtins", "list"},
                                          {"builtins", "dict"}};
  auto& n = kNames[in.below(std::size(kNames))];
  return g.global(n[0], n[1]);
}

Value value(Graph& g, fuzz::Reader& in, int depth);

Value items(Graph& g, fuzz::Reader& in, int depth, pickle::Kind kind) {
  std::vector<Value> v;
  for (unsigned n = in.below(4); n > 0; --n) v.push_back(value(g, in, depth + 1));
  if (kind == pickle::Kind::Tuple) return v.empty() ? g.empty_tuple() : g.new_tuple(v);
  Value l = g.new_list();
  for (Value x : v) l.as_list().append(g, x);
  return l;
}

Value dict(Graph& g, fuzz::Reader& in, int depth) {
  Value d = g.new_dict();
  for (unsigned n = in.below(4); n > 0; --n) {
    Value key =
        in.byte() & 1 ? Value::integer(in.below(4)) : str(g, std::string(1, static_cast<char>('a' + in.below(4))));
    d.as_dict().set(g, key, value(g, in, depth + 1));
  }
  return d;
}

/// Any value the spec may hold; containers and placeholders while depth allows.
Value value(Graph& g, fuzz::Reader& in, int depth) {
  static const char* const kStrs[] = {"", "a", "x y", "!Vboom", "!Tbad type", "!Rno", "!Awhat", "!Oover", "!Iidx", "!"};
  static const double kFloats[] = {0.0, -0.0, 1.5, 1e308, -2.5e-300};
  switch (in.below(depth >= 3 ? 10 : 15)) {
    case 0: return Value();
    case 1: return Value::boolean(in.byte() & 1);
    case 2: return Value::integer(static_cast<std::int8_t>(in.byte()));
    case 3: {
      if (in.byte() & 1) return Value::integer(in.i64());
      bool negative = in.byte() & 1;  // (reads in sequence: the input decodes alike with any compiler)
      std::vector<std::uint32_t> magnitude{in.u32(), in.u32(), 1};
      return g.new_bigint(negative, magnitude);
    }
    case 4: return Value::floating(kFloats[in.below(std::size(kFloats))]);
    case 5: return str(g, kStrs[in.below(std::size(kStrs))]);
    case 6: return bytes(g, in.chars(4));
    case 7:
    case 8: return global(g, in);
    case 9: return g.global("fz", "SELF");
    case 10: return items(g, in, depth, pickle::Kind::Tuple);
    case 11: return items(g, in, depth, pickle::Kind::List);
    case 12: return dict(g, in, depth);
    case 13: return placeholder(g, "It", {items(g, in, depth, pickle::Kind::List)});
    default: return placeholder(g, "ItItems", {dict(g, in, depth)});
  }
}

/// What the reducer returns: mostly a reduce tuple whose items are drawn from what each
/// position usually holds, else a str, another value or an exception.
Value reduce_value(Graph& g, fuzz::Reader& in) {
  switch (in.below(12)) {
    case 0: return str(g, "SINGLETON");  // fz.SINGLETON is x
    case 1: return value(g, in, 0);
    case 2: return placeholder(g, "Raise", {str(g, std::string(1, "VTRAOIx"[in.below(7)])), str(g, "raised")});
    default: break;
  }
  unsigned n = in.below(8);
  std::vector<Value> t;
  for (unsigned i = 0; i < n; ++i) {
    bool usual = in.byte() < 200;
    if (!usual) {
      t.push_back(value(g, in, 1));
    } else if (i == 0) {
      t.push_back(global(g, in));
    } else if (i == 1) {
      t.push_back(items(g, in, 1, pickle::Kind::Tuple));
    } else if (i == 2) {
      t.push_back(in.byte() & 1 ? Value() : dict(g, in, 1));
    } else if (i == 3) {
      t.push_back(in.byte() & 1 ? Value() : placeholder(g, "It", {items(g, in, 1, pickle::Kind::List)}));
    } else if (i == 4) {
      t.push_back(in.byte() & 1 ? Value() : placeholder(g, "ItItems", {dict(g, in, 1)}));
    } else {
      t.push_back(in.byte() & 1 ? Value() : g.global("fz", "setter"));
    }
  }
  return t.empty() ? g.empty_tuple() : g.new_tuple(t);
}

bool is_global(Value v, std::string_view name) {
  return v.is_global() && v.as_global().module() == "fz" && v.as_global().qualname() == name;
}

/// The spec with its placeholders replaced, made anew on each call (oracle._realize).
Value realize(Graph& g, Value spec, Value self) {
  using pickle::Kind;
  if (is_global(spec, "SELF")) return self;
  switch (spec.kind()) {
    case Kind::Object: {
      const pickle::Object& o = spec.as_object();
      const pickle::Tuple& a = o.args().as_tuple();
      if (is_global(o.callable(), "Raise")) {
        throw pickle::Error(error_type(a[0].as_str().utf8()[0]), std::string(a[1].as_str().utf8()));
      }
      Value arg = realize(g, a[0], self);
      return g.new_iterator(
          arg, is_global(o.callable(), "It") ? pickle::Iterator::Over::Items : pickle::Iterator::Over::DictItems);
    }
    case Kind::Tuple: {
      std::vector<Value> items;
      for (Value v : spec.as_tuple()) items.push_back(realize(g, v, self));
      return items.empty() ? g.empty_tuple() : g.new_tuple(items);
    }
    case Kind::List: {
      Value l = g.new_list();
      for (Value v : spec.as_list()) l.as_list().append(g, realize(g, v, self));
      return l;
    }
    case Kind::Dict: {
      Value d = g.new_dict();
      for (const pickle::Dict::Entry& e : spec.as_dict()) d.as_dict().set(g, e.key, realize(g, e.value, self));
      return d;
    }
    default: return spec;
  }
}

/// The library's side of oracle.reduce_case.
std::vector<fuzz::Outcome> reduce_case(Value spec, bool dispatch, int protocol) {
  std::vector<fuzz::Outcome> out;
  Graph g;
  CRec x0;
  x0.args = g.empty_tuple();
  x0.kwargs = g.new_dict();
  Value x = pickle::make_native(g, x0);
  pickle::Reducer reducer = [&](Graph& scratch, Value obj) { return realize(scratch, spec, obj); };
  pickle::DispatchTable table;
  table.pickle("fz", "C", reducer);
  pickle::PicklerOptions options{.protocol = protocol};
  if (dispatch) {
    options.dispatch_table = &table;
  } else {
    options.reducer_override = [&](Graph& scratch, Value obj) -> std::optional<Value> {
      if (obj.native<CRec>()) return reducer(scratch, obj);
      return std::nullopt;
    };
  }
  out.push_back(fuzz::outcome_of([&] { return pickle::dumps(x, options); }));
  if (out[0].status != "ok") return out;

  pickle::UnpicklerOptions load_options;
  load_options.strict_globals = true;
  load_options.allowed_globals = {"fz.K", "fz.C", "fz.F", "fz.G", "fz.setter"};
  Graph loaded;
  out.push_back(fuzz::outcome_of([&] {
    loaded = pickle::loads(out[0].bytes, load_options);
    return std::string();
  }));
  // Where the library records a call CPython runs (copyreg.__newobj_ex__(None, ...)),
  // loading is not comparable.
  if (fuzz::leaves_a_call_inert(fuzz::bytes_of(out[0].bytes), load_options)) {
    out[1].status = "call";
    return out;
  }
  if (out[1].status != "ok") return out;
  pickle::DispatchTable describing;
  describing.pickle("fz", "K", describe);
  describing.pickle("fz", "C", describe);
  out.push_back(fuzz::outcome_of([&] { return pickle::dumps(loaded.root(), {.dispatch_table = &describing}); }));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char*** argv) {
  register_classes();
  fuzz::py::start((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  bool dispatch = in.byte() & 1;
  int protocol = static_cast<int>(in.below(6));
  Graph g;
  Value spec = reduce_value(g, in);
  // A reducer returning a str names a global CPython looks up (and checks to be the object
  // itself); the library cannot look up module attributes: only fz.SINGLETON is x.
  if (spec.is_str() && spec.as_str().utf8() != "SINGLETON") return fuzz::count("str-global"), 0;
  std::vector<fuzz::Outcome> cpp = reduce_case(spec, dispatch, protocol);

  std::string spec_pickle = pickle::dumps(spec, {.protocol = 4});
  fuzz::py::Capped cap;
  std::vector<fuzz::Outcome> py =
      fuzz::py::outcomes(fuzz::py::call("reduce_case", fuzz::py::bytes(spec_pickle), PyBool_FromLong(dispatch),
                                        fuzz::py::integer(protocol))
                             .get());

  static const char* const kSteps[] = {"pickling x", "loading that", "pickling what was loaded"};
  auto step = [](const std::vector<fuzz::Outcome>& v, std::size_t i) {
    return i < v.size() ? v[i] : fuzz::Outcome{"missing", "", "", ""};
  };
  for (std::size_t i = 0; i < std::max(cpp.size(), py.size()); ++i) {
    fuzz::Outcome c = step(cpp, i), p = step(py, i);
    bool forbidden = c.error == "UnpicklingError" && c.message.ends_with("' is forbidden");
    if ((p.status == "blocked" && forbidden) || c.status == "call" || p.status == "memory")
      return fuzz::count("skipped"), 0;
    if (p.status == "depth" && c.error == "RecursionError") p = c;  // the reducer re-entered
    if (c == p) continue;
    std::string report = std::string(dispatch ? "dispatch" : "override") + ", protocol " + std::to_string(protocol) +
                         ", spec " + pickle::repr(spec);
    for (std::size_t j = 0; j <= i; ++j) {
      report += std::string("\n") + kSteps[j] + "\n  library: " + fuzz::describe(step(cpp, j)) +
                "\n  CPython: " + fuzz::describe(step(py, j));
    }
    fuzz::fail("reducers: the library differs from CPython", {data, size}, report);
  }
  fuzz::count("agree");
  return 0;
}
