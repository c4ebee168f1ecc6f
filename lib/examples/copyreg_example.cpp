// The example of Python's copyreg documentation, in C++:
//
//   >>> class C:
//   ...     def __init__(self, a):
//   ...         self.a = a
//   >>> def pickle_c(c):
//   ...     print("pickling a C instance...")
//   ...     return C, (c.a,)
//   >>> copyreg.pickle(C, pickle_c)
//   >>> c = C(1)
//   >>> d = copy.copy(c)
//   pickling a C instance...
//   >>> p = pickle.dumps(c)
//   pickling a C instance...
//
// It prints what the Python session prints, then the copy's field and the pickle in hex;
// conformance/copyreg_example_check.py runs it and loads the pickle with CPython.
#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>

#include "pickle/convert.h"
#include "pickle/copy.h"
#include "pickle/copyreg.h"
#include "pickle/pickler.h"

struct C {
  std::int64_t a;
};

int main() {
  // class C: calling C(a) builds one. The arguments come from the pickle being loaded, so
  // they are converted with checks: C() is a ValueError, C("x") a TypeError, never a misread.
  pickle::ClassHooks hooks;
  hooks.call = [](pickle::Graph& g, pickle::Value args, pickle::Value /*kwargs*/) {
    auto [a] = pickle::to<std::tuple<std::int64_t>>(args);
    return pickle::make_native(g, C{a});
  };
  pickle::register_class<C>("__main__", "C", std::move(hooks));

  // copyreg.pickle(C, pickle_c)
  pickle::pickle_class("__main__", "C", [](pickle::Graph& g, pickle::Value c) {
    std::puts("pickling a C instance...");
    pickle::Value args[] = {pickle::Value::integer(c.native<C>()->a)};
    pickle::Value rv[] = {g.global("__main__", "C"), g.new_tuple(args)};
    return g.new_tuple(rv);  // (C, (c.a,))
  });

  pickle::Graph g;
  pickle::Value c = pickle::make_native(g, C{1});
  pickle::Value d = pickle::copy(g, c);
  std::string p = pickle::dumps(c);

  std::printf("d.a = %lld\n", static_cast<long long>(d.native<C>()->a));
  std::printf("p = ");
  for (unsigned char byte : p) std::printf("%02x", byte);
  std::printf("\n");
  return 0;
}
