// pickletool: inspect pickles from the command line.
//
//   pickletool dis [FILE|-]      same stdout as `python3 -m pickletools FILE`
//   pickletool show [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
//                                repr of the loaded value (pickle.loads semantics)
//   pickletool load [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
//                                pickle.loads alone: nothing on stdout, only the status
//   pickletool roundtrip [--protocol N] [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
//                                pickle.dumps(pickle.loads(data), N) to stdout
//   pickletool optimize [FILE|-] pickletools.optimize(data) to stdout
//
// Contract (scripts rely on it): exit status 0 on success; on any failure exit status 1
// and the last line on stderr is "ErrorClass: message", where ErrorClass names the
// Python exception CPython raises for the same input and each newline of the message
// is written as the two characters \n, so the error is always one line.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/pickle.h"

namespace {

constexpr const char* kUsage =
    "usage: pickletool dis [FILE|-]\n"
    "       pickletool show [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]\n"
    "       pickletool load [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]\n"
    "       pickletool roundtrip [--protocol N] [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]\n"
    "       pickletool optimize [FILE|-]\n";

struct UsageError {
  std::string message;
};

void write_stdout(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

int run(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError{"missing command"};
  const std::string& command = args[0];
  pickle::UnpicklerOptions options;
  pickle::PicklerOptions dump_options;
  const bool loads_input = command == "show" || command == "load" || command == "roundtrip";
  std::string path = "-";
  bool have_path = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError{a + " needs a value"};
      return args[++i];
    };
    if (loads_input && a == "--encoding") {
      options.encoding = value();
    } else if (loads_input && a == "--errors") {
      options.errors = value();
    } else if (loads_input && a == "--no-fix-imports") {
      options.fix_imports = false;
    } else if (command == "roundtrip" && a == "--protocol") {
      const std::string& v = value();
      char* end = nullptr;
      long p = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end) throw UsageError{"--protocol needs an integer"};
      dump_options.protocol = static_cast<int>(p);
    } else if (!have_path && (a == "-" || !a.starts_with("-"))) {
      path = a;
      have_path = true;
    } else {
      throw UsageError{"unexpected argument " + a};
    }
  }

  // Mapped when it is a regular file, read to its end otherwise (a pipe on stdin).
  const pickle::MappedFile input(path == "-" ? "/dev/stdin" : path);
  const std::span<const std::uint8_t> bytes = input.bytes();
  if (command == "dis") {
    pickle::FileSink out(stdout);
    try {
      pickle::dis(bytes, out);
    } catch (...) {
      std::fflush(stdout);
      throw;
    }
    out.flush();
    return 0;
  }
  if (command == "show") {
    pickle::Graph g = pickle::loads(bytes, options);
    std::string text = pickle::repr(g.root());
    text += '\n';
    write_stdout(text);
    return 0;
  }
  if (command == "load") {
    (void)pickle::loads(bytes, options);
    return 0;
  }
  if (command == "optimize") {
    write_stdout(pickle::optimize(bytes));
    return 0;
  }
  if (command == "roundtrip") {
    pickle::Graph g = pickle::loads(bytes, options);
    write_stdout(pickle::dumps(g.root(), dump_options));
    return 0;
  }
  throw UsageError{"unknown command " + command};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%sUsageError: %s\n", kUsage, e.message.c_str());
  } catch (const pickle::Error& e) {
    if (e.offset()) std::fprintf(stderr, "pickletool: error at byte %zu\n", *e.offset());
    std::string line(e.python_type_name());
    line += ": ";
    for (char c : e.message()) {
      if (c == '\n') line += "\\n";
      else line += c;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "MemoryError: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "RuntimeError: %s\n", e.what());
  }
  return 1;
}
