// Recipe: load untrusted input.
//
// Loading never imports or runs anything: a global becomes an inert pickle::Global and a
// call an inert pickle::Object. Still, for data from outside, say what you expect:
//  * strict_globals with an allowlist refuses every other global with CPython's
//    UnpicklingError, at the byte of the opcode that named it;
//  * limits bound the memory, memo and stack a pickle may make the loader spend;
//  * read the result through the checked API (as_*(), at(), to<T>), which throws
//    pickle::Error on anything unexpected instead of misreading it.
//
//   untrusted DATA_DIR      (reads untrusted.pickle, which calls os.system, and
//                            appointment.pickle, a datetime with a timezone)
#include <cstdio>
#include <iostream>
#include <string>

#include "pickle/pickle.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: untrusted DATA_DIR\n";
    return 2;
  }
  pickle::UnpicklerOptions options;
  options.strict_globals = true;
  options.allowed_globals = {"datetime.datetime", "datetime.timezone", "datetime.timedelta"};
  options.limits.max_memory = 1 << 20;  // bytes the loaded graph may take
  options.limits.max_memo = 1 << 12;
  options.limits.max_stack = 1 << 12;
  for (const char* name : {"untrusted.pickle", "appointment.pickle"}) {
    std::cout << name << ": ";
    try {
      pickle::Graph g = pickle::load_file(std::string(argv[1]) + "/" + name, options);
      auto when = pickle::to<pickle::DateTime>(g.root());  // TypeError unless a datetime
      if (!when.timezone) throw pickle::Error(pickle::ErrorType::ValueError, "expected an aware datetime");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d UTC%+d", when.year, when.month, when.day, when.hour,
                    when.minute,
                    static_cast<int>(when.timezone->offset.seconds / 3600 + when.timezone->offset.days * 24));
      std::cout << buf << " (" << when.timezone->name.value_or("") << ")\n";
    } catch (const pickle::Error& e) {
      std::cout << "refused: " << e.what() << "\n";
    }
  }
  return 0;
}
