// Reducer returns, valid and malformed: the pickler (through a dispatch table and through
// reducer_override) and copy/deepcopy agree with CPython on every case of
// golden/reducer_cases.tsv (3.11), with golden/reducer_cases_by_version.tsv's outcomes
// for the other releases, both written by golden/gen_reducer_cases.py (its docstring gives
// the formats). The C++ reducer returns what the Python reducer returns, rebuilt from the
// case's spec; the object reduced is an instance of the case's class, as loaded from a
// pickle (an inert object).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pickle/copy.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/python_version.h"
#include "pickle/unpickler.h"
#include "text_golden.h"

namespace pickle {
namespace {

struct Case {
  std::string name, mode, cls, spec;
  std::vector<std::string> protocols;  // p0..p5
  std::string copy, deepcopy;
};

// The cases with the outcomes of `python`'s CPython.
std::vector<Case> read_cases(PythonVersion python) {
  std::vector<Case> cases;
  for (const text_golden::Row& row : text_golden::read_rows("reducer_cases.tsv")) {
    const auto& f = row.fields;
    if (f.size() != 12) {
      ADD_FAILURE() << "reducer_cases.tsv:" << row.line << ": expected 12 fields";
      continue;
    }
    cases.push_back({f[0], f[1], f[2], text_golden::unhex(f[3]), {f.begin() + 4, f.begin() + 10}, f[10], f[11]});
  }
  for (const text_golden::Row& row : text_golden::read_rows("reducer_cases_by_version.tsv")) {
    const auto& f = row.fields;
    if (f.size() != 5) {
      ADD_FAILURE() << "reducer_cases_by_version.tsv:" << row.line << ": expected 5 fields";
      continue;
    }
    if (parse_python_version(f[0]) != python) continue;
    auto c = std::find_if(cases.begin(), cases.end(), [&](const Case& c) { return c.name == f[1] && c.mode == f[2]; });
    if (c == cases.end()) {
      ADD_FAILURE() << "reducer_cases_by_version.tsv:" << row.line << ": no case " << f[1] << " (" << f[2] << ")";
      continue;
    }
    const std::string& column = f[3];
    std::string* outcome = column == "copy"                         ? &c->copy
                           : column == "deepcopy"                   ? &c->deepcopy
                           : column.size() == 2 && column[0] == 'p' ? &c->protocols.at(column[1] - '0')
                                                                    : nullptr;
    if (!outcome) {
      ADD_FAILURE() << "reducer_cases_by_version.tsv:" << row.line << ": bad column " << column;
      continue;
    }
    *outcome = f[4];
  }
  return cases;
}

bool is_global(Value v, std::string_view qualname) {
  return v.is_global() && v.as_global().module() == "reducer_cases" && v.as_global().qualname() == qualname;
}

// The spec with its placeholders replaced, made fresh on each call as the Python reducer
// makes its value: SELF is the object, It(list) iter(list), ItItems(d) iter(d.items()).
Value realize(Graph& g, Value spec, Value self) {
  if (is_global(spec, "SELF")) return self;
  switch (spec.kind()) {
    case Kind::Object: {
      const Object& o = spec.as_object();
      Value arg = o.args().as_tuple().size() == 1 ? realize(g, o.args().as_tuple()[0], self) : Value();
      if (is_global(o.callable(), "It")) return g.new_iterator(arg);
      if (is_global(o.callable(), "ItItems")) return g.new_iterator(arg, Iterator::Over::DictItems);
      return spec;
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
      for (const Dict::Entry& e : spec.as_dict()) d.as_dict().set(g, e.key, realize(g, e.value, self));
      return d;
    }
    default: return spec;
  }
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

template <class F>
std::string outcome(F&& f) {
  try {
    return "ok:" + hex(f());
  } catch (const Error& e) {
    return "err:" + std::string(e.python_type_name()) + ": " + e.message();
  }
}

class ReducerGolden : public ::testing::TestWithParam<PythonVersion> {};

TEST_P(ReducerGolden, PicklerAndCopyAgreeWithCPython) {
  const PythonVersion python = GetParam();
  std::vector<Case> cases = read_cases(python);
  ASSERT_GT(cases.size(), 90u) << "golden file missing or short";
  int checked = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " (" + c.mode + ")");
    Graph g = loads(c.spec);
    Value spec = g.root();
    Value x = g.new_object(Object::How::NewObj, g.global("reducer_cases", c.cls), g.empty_tuple());
    Reducer reducer = [&](Graph& scratch, Value obj) { return realize(scratch, spec, obj); };
    DispatchTable table;
    table.pickle("reducer_cases", c.cls, reducer);
    for (int proto = 0; proto <= 5; ++proto) {
      PicklerOptions opts;
      opts.protocol = proto;
      opts.python = python;
      if (c.mode == "dispatch") {
        opts.dispatch_table = &table;
      } else {
        opts.reducer_override = [&](Graph& scratch, Value obj) -> std::optional<Value> {
          if (obj.is_object() && is_global(obj.as_object().callable(), c.cls)) return reducer(scratch, obj);
          return std::nullopt;
        };
      }
      EXPECT_EQ(outcome([&] { return dumps(x, opts); }), c.protocols[proto]) << "protocol " << proto;
      ++checked;
    }
    // copy and deepcopy consult the process-wide table; the result is then pickled by
    // its default reduction.
    const DispatchTable none;
    CopyOptions copy_options;
    copy_options.python = python;
    for (bool deep : {false, true}) {
      const std::string& expected = deep ? c.deepcopy : c.copy;
      if (expected == "-") continue;
      dispatch_table().pickle("reducer_cases", c.cls, reducer);
      std::string got = outcome([&] {
        Value y;
        try {
          y = deep ? deepcopy(g, x, copy_options) : copy(g, x, copy_options);
        } catch (...) {
          dispatch_table().remove("reducer_cases", c.cls);
          throw;
        }
        dispatch_table().remove("reducer_cases", c.cls);
        PicklerOptions opts;
        opts.dispatch_table = &none;
        return dumps(y, opts);
      });
      EXPECT_EQ(got, expected) << (deep ? "deepcopy" : "copy");
      ++checked;
    }
  }
  std::printf("[ reducer ] %d outcomes checked against CPython %s\n", checked, to_string(python).c_str());
}

INSTANTIATE_TEST_SUITE_P(Python, ReducerGolden,
                         ::testing::Values(PythonVersion{3, 8}, PythonVersion{3, 9}, PythonVersion{3, 10},
                                           PythonVersion{3, 11}, PythonVersion{3, 12}, PythonVersion{3, 13}),
                         [](const ::testing::TestParamInfo<PythonVersion>& info) {
                           return "Python3_" + std::to_string(info.param.minor);
                         });

}  // namespace
}  // namespace pickle
