// pickletool: inspect pickles from the command line.
//
//   pickletool dis [-o OUTPUT] [-m] [-l N] [-a] [-p PREAMBLE] [FILE|-]...
//                                same output as `python3 -m pickletools` with the same
//                                options and files (before 3.13 every file is opened
//                                before anything is written, from 3.13 each in its turn);
//                                no FILE reads stdin; PREAMBLE's fields: {name}, {{, }}
//   pickletool show [--encoding E] [--errors E] [--no-fix-imports] [--persistent-ids] [FILE|-]
//                                repr of the loaded value (pickle.loads semantics);
//                                --persistent-ids (show, load): a persistent id is kept as
//                                the placeholder persistent_load(PID) instead of failing
//                                (a PyTorch data.pkl can be viewed)
//   pickletool load [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
//                                pickle.loads alone: nothing on stdout, only the status
//   pickletool json [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
//                                the loaded value as one line of JSON (doc/json.md);
//                                persistent ids are kept ({"$persistent_id": ...})
//   pickletool roundtrip [--protocol N] [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
//                                pickle.dumps(pickle.loads(data), N) to stdout
//   pickletool optimize [FILE|-] pickletools.optimize(data) to stdout
//   pickletool scan [--policy NAME|FILE] [--format text|json|sarif] [--encoding E] [--no-fix-imports]
//                   [--extension C=M:N] FILE...
//                                what loading each file would import and call, judged by a
//                                policy (builtins, weights-only, ml, or a policy file;
//                                default builtins); a zip archive (PyTorch checkpoint) is
//                                scanned member by member, a .npy file's object array as
//                                the pickle it is: exit status 0 when every file is clean,
//                                3 when one is flagged, else 1 when one could not be scanned
//                                completely (doc/scan.md)
//   --python-version X.Y         (any command, before or after it) behave as CPython X.Y,
//                                3.8 to 3.13 (default 3.11)
//   --extension CODE=MODULE:NAME (show, load, json, roundtrip; repeatable) an entry of the
//                                extension registry (copyreg.add_extension) for EXT1/2/4
//   --buffers DIR                (show, load, json, roundtrip) the out-of-band buffers for
//                                NEXT_BUFFER, pickle.loads(..., buffers=...): the files
//                                DIR/0, DIR/1, ... in order; a name ending in .readonly
//                                (DIR/0.readonly) is a read-only buffer (bytes), any
//                                other a writable one (bytearray); an empty DIR is []
//   --buffers-out DIR            (roundtrip, protocol 5) every buffer written out of band,
//                                as a buffer_callback returning False: NEXT_BUFFER in the
//                                pickle and the bytes in DIR/0, DIR/1, ... (named as for
//                                --buffers); DIR is created if need be
//   pickletool serve             the commands above, one per request read from stdin,
//                                each answered on stdout (below): many inputs, one process
//
//   pickletool --help | -h       this text's usage lines on stdout; COMMAND --help: its own
//   pickletool --version         the version on stdout
//
// Contract (scripts rely on it): exit status 0 on success; on any failure exit status 1
// and the last line on stderr is "ErrorClass: message", where ErrorClass names the
// Python exception CPython raises for the same input and each newline of the message
// is written as the two characters \n, so the error is always one line. A usage error
// (an unknown command or option, a missing value) is status 2, "UsageError: ...". Every
// write is checked: a full disk is "OSError: [Errno 28] No space left on device", status
// 1; a reader that closed the pipe (`| head`) ends the tool with status 1 and no message,
// never with a signal.
//
// serve: a request is the decimal count of arguments, a newline, then each argument and
// then the input as a decimal length, a newline and that many bytes:
//     2\n4\nshow\n10\n--encoding\n...   (no FILE argument: the input is the last field)
// The answer is "STATUS OUTLEN ERRLEN\n", then what the command would have written to
// stdout and to stderr, and the exit status it would have had. The loop ends at the end
// of stdin.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "containers.h"
#include "sarif.h"
#include "pickle/pickle.h"

namespace {

constexpr const char* kUsage =
    "usage: pickletool [--python-version X.Y] COMMAND ...\n"
    "       pickletool dis [-o OUTPUT] [-m] [-l N] [-a] [-p PREAMBLE] [FILE|-]...\n"
    "       pickletool show [--encoding E] [--errors E] [--no-fix-imports] [--extension C=M:N]\n"
    "                       [--buffers DIR] [--persistent-ids] [FILE|-]\n"
    "       pickletool load [--encoding E] [--errors E] [--no-fix-imports] [--extension C=M:N]\n"
    "                       [--buffers DIR] [--persistent-ids] [FILE|-]\n"
    "       pickletool json [--encoding E] [--errors E] [--no-fix-imports] [--extension C=M:N]\n"
    "                       [--buffers DIR] [FILE|-]\n"
    "       pickletool roundtrip [--protocol N] [--encoding E] [--errors E] [--no-fix-imports]\n"
    "                            [--extension C=M:N] [--buffers DIR] [--buffers-out DIR] [FILE|-]\n"
    "       pickletool optimize [FILE|-]\n"
    "       pickletool scan [--policy NAME|FILE] [--format text|json|sarif] [--encoding E] [--no-fix-imports]\n"
    "                       [--extension C=M:N] FILE...\n"
    "       pickletool serve\n";

struct UsageError {
  std::string message;
};

// Exit statuses: 0 done, 1 failed (the input, a file, a write), 2 usage; scan's 3 below.
constexpr int kFailed = 1, kUsageStatus = 2;

/// The lines of kUsage for `command` ("" for all of them), as `--help` prints them.
std::string usage_of(std::string_view command) {
  if (command.empty()) return kUsage;
  std::string out;
  bool in = false;
  for (std::string_view rest = kUsage; !rest.empty();) {
    const std::string_view line = rest.substr(0, rest.find('\n') + 1);
    rest.remove_prefix(line.size());
    std::string_view body = line.substr(line.find_first_not_of(' '));
    if (body.starts_with("usage: ")) body.remove_prefix(7);
    if (body.starts_with("pickletool ")) {  // a command's first line; others continue it
      const std::string_view name = body.substr(11);
      in = name.starts_with(command) && (name[command.size()] == ' ' || name[command.size()] == '\n');
      if (in) out += (out.empty() ? "usage: " : "       ") + std::string(body);
    } else if (in) {
      out += line;
    }
  }
  return out.empty() ? std::string(kUsage) : out;
}

void write(pickle::Sink& out, std::string_view s) {
  out.write(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

class StringSink final : public pickle::Sink {
 public:
  void write(std::span<const std::uint8_t> data) override { text.append(data.begin(), data.end()); }
  std::string text;
};

/// A command with its arguments: what one run, or one served request, does.
struct Command {
  std::string name;
  pickle::UnpicklerOptions options;
  pickle::PicklerOptions dump_options;
  pickle::DisOptions dis_options;
  pickle::ReprOptions repr_options;
  // copyreg.add_extension entries of the process that wrote or will read the pickle.
  std::unique_ptr<pickle::ExtensionRegistry> extensions;
  // Out-of-band buffers: the folder they are read from (NEXT_BUFFER), and written to.
  std::optional<std::string> buffers_in;
  std::optional<std::string> buffers_out;
  std::string path = "-";
  bool have_path = false;
  // scan and dis: the files.
  std::vector<std::string> paths;
  // dis: pickletools' -o, -m and -p.
  std::optional<std::string> output;
  bool keep_memo = false;
  std::string preamble = "==> {name} <==";
  // scan: the policy (a name or a file) and the report's format.
  std::string policy = "builtins";
  std::string format = "text";
};

// Exit statuses of scan.
constexpr int kScanClean = 0, kScanError = 1, kScanFlagged = 3;

/// --extension CODE=MODULE:NAME, as copyreg.add_extension(MODULE, NAME, CODE).
void add_extension(Command& c, const std::string& spec) {
  const std::size_t eq = spec.find('='), colon = spec.find(':', eq);
  std::int64_t code = 0;
  const char* end = spec.data() + (eq == std::string::npos ? 0 : eq);
  auto [ptr, ec] = std::from_chars(spec.data(), end, code);
  if (eq == std::string::npos || colon == std::string::npos || ec != std::errc() || ptr != end) {
    throw UsageError{"--extension needs CODE=MODULE:NAME, not " + spec};
  }
  if (!c.extensions) {
    c.extensions = std::make_unique<pickle::ExtensionRegistry>();
    c.options.extensions = c.extensions.get();
    c.dump_options.extensions = c.extensions.get();
  }
  c.extensions->add(spec.substr(eq + 1, colon - eq - 1), spec.substr(colon + 1), code);
}

Command parse(std::vector<std::string> args) {
  // --python-version may also come before the command.
  if (args.size() >= 3 && args[0] == "--python-version") std::rotate(args.begin(), args.begin() + 2, args.begin() + 3);
  if (args.empty()) throw UsageError{"missing command"};
  Command c;
  const std::string& command = c.name = args[0];
  const bool scan = command == "scan", dis = command == "dis";
  const bool loads_input =
      command == "show" || command == "load" || command == "json" || command == "roundtrip" || scan;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    std::optional<std::string> attached;  // --option=VALUE, or -oVALUE for dis's short options
    if (a.starts_with("--") && a.find('=') != std::string::npos) {
      attached = a.substr(a.find('=') + 1);
      a.resize(a.find('='));
    } else if (dis && a.size() > 2 && a[0] == '-' && std::string_view("olp").find(a[1]) != std::string_view::npos) {
      attached = a.substr(2);
      a.resize(2);
    }
    auto value = [&]() -> std::string {
      if (attached) return *std::exchange(attached, std::nullopt);
      if (i + 1 >= args.size()) throw UsageError{a + " needs a value"};
      return args[++i];
    };
    if (a == "--python-version") {
      const pickle::PythonVersion python = pickle::parse_python_version(value());
      c.options.python = python;
      c.dump_options.python = python;
      c.dis_options.python = python;
      c.repr_options.python = python;
    } else if (loads_input && a == "--extension") {
      add_extension(c, value());
    } else if (loads_input && a == "--encoding") {
      c.options.encoding = value();
    } else if (loads_input && a == "--errors") {
      c.options.errors = value();
    } else if (loads_input && a == "--no-fix-imports") {
      c.options.fix_imports = false;
    } else if (loads_input && a == "--buffers") {
      c.buffers_in = value();
    } else if ((command == "show" || command == "load") && a == "--persistent-ids") {
      c.options.persistent_load = pickle::keep_persistent_ids;
    } else if (command == "roundtrip" && a == "--buffers-out") {
      c.buffers_out = value();
    } else if (scan && a == "--policy") {
      c.policy = value();
    } else if (scan && a == "--format") {
      c.format = value();
      if (c.format != "text" && c.format != "json" && c.format != "sarif") {
        throw UsageError{"--format takes text, json or sarif"};
      }
    } else if ((scan || dis) && (a == "-" || !a.starts_with("-"))) {
      c.paths.push_back(a);
    } else if (dis && (a == "-o" || a == "--output")) {
      c.output = value();
    } else if (dis && (a == "-m" || a == "--memo")) {
      c.keep_memo = true;
    } else if (dis && (a == "-l" || a == "--indentlevel")) {
      const std::string v = value();
      int n = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
        throw UsageError{"argument -l/--indentlevel: invalid int value: '" + v + "'"};
      }
      c.dis_options.indentlevel = n;
    } else if (dis && (a == "-a" || a == "--annotate")) {
      c.dis_options.annotate = 30;  // pickletools' column for -a
    } else if (dis && (a == "-p" || a == "--preamble")) {
      c.preamble = value();
    } else if (command == "roundtrip" && a == "--protocol") {
      const std::string& v = value();
      char* end = nullptr;
      long p = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end) throw UsageError{"--protocol needs an integer"};
      c.dump_options.protocol = static_cast<int>(p);
    } else if (!c.have_path && (a == "-" || !a.starts_with("-"))) {
      c.path = a;
      c.have_path = true;
    } else {
      throw UsageError{"unexpected argument " + args[i]};
    }
    if (attached) throw UsageError{"unexpected argument " + args[i]};  // a value for a flag
  }
  if (scan && c.paths.empty()) c.paths.push_back("-");
  if (command == "json") c.options.persistent_load = pickle::keep_persistent_ids;
  if (command != "dis" && command != "show" && command != "load" && command != "json" && command != "optimize" &&
      command != "roundtrip" && !scan) {
    throw UsageError{"unknown command " + command};
  }
  return c;
}

/// OSError as CPython words a failed open() or write of `path`.
[[noreturn]] void file_error(const std::filesystem::path& path, int error) {
  throw pickle::Error(pickle::ErrorType::OSError,
                      "[Errno " + std::to_string(error) + "] " + std::strerror(error) + ": '" + path.string() + "'");
}

/// The class CPython gives an OSError raised by opening a file: OSError(errno, ...) is
/// one of its subclasses for these errnos.
std::string_view os_error_class(std::string_view message) {
  constexpr std::pair<int, std::string_view> kSubclasses[] = {{ENOENT, "FileNotFoundError"},
                                                              {EACCES, "PermissionError"},
                                                              {EPERM, "PermissionError"},
                                                              {EISDIR, "IsADirectoryError"},
                                                              {ENOTDIR, "NotADirectoryError"}};
  for (const auto& [number, name] : kSubclasses) {
    if (message.starts_with("[Errno " + std::to_string(number) + "]")) return name;
  }
  return "OSError";
}

/// Whether a write failed because the reader closed the pipe (EPIPE): the tool then ends
/// quietly.
bool is_broken_pipe(const pickle::Error& e) {
  return e.type() == pickle::ErrorType::OSError && e.message().starts_with("[Errno " + std::to_string(EPIPE) + "]");
}

/// The class of Python exception an error is reported as.
std::string error_class(const pickle::Error& e) {
  return std::string(e.type() == pickle::ErrorType::OSError ? os_error_class(e.message()) : e.python_type_name());
}

/// The file name of out-of-band buffer `index` in a --buffers folder.
std::string buffer_file_name(std::size_t index, bool readonly) {
  return std::to_string(index) + (readonly ? ".readonly" : "");
}

/// The files of a --buffers folder, in order: DIR/0 or DIR/0.readonly, DIR/1 ...
std::vector<std::pair<pickle::MappedFile, bool>> read_buffers(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) file_error(dir, ec.value());
  std::vector<std::pair<fs::path, bool>> found;  // by index
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    const bool readonly = name.ends_with(".readonly");
    if (readonly) name.resize(name.size() - std::strlen(".readonly"));
    std::size_t index = 0;
    auto [ptr, err] = std::from_chars(name.data(), name.data() + name.size(), index);
    if (name.empty() || err != std::errc() || ptr != name.data() + name.size() || index > 1000000) {
      throw UsageError{"--buffers " + dir + ": unexpected file " + entry.path().filename().string()};
    }
    if (index >= found.size()) found.resize(index + 1);
    if (!found[index].first.empty()) throw UsageError{"--buffers " + dir + ": two files for buffer " + name};
    found[index] = {entry.path(), readonly};
  }
  std::vector<std::pair<pickle::MappedFile, bool>> buffers;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (found[i].first.empty()) throw UsageError{"--buffers " + dir + ": no file for buffer " + std::to_string(i)};
    buffers.emplace_back(pickle::MappedFile(found[i].first), found[i].second);
  }
  return buffers;
}

/// Writes `data` to the file `path`, or throws OSError.
void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) file_error(path, errno);
  const bool written = data.empty() || std::fwrite(data.data(), 1, data.size(), f) == data.size();
  const int error = errno;
  if (std::fclose(f) != 0 || !written) file_error(path, written ? errno : error);
}

/// The policy --policy names: a built-in one, or a policy file.
pickle::ScanPolicy scan_policy(const std::string& policy) {
  if (policy == "builtins" || policy == "weights-only" || policy == "ml") return pickle::ScanPolicy::named(policy);
  const pickle::MappedFile file(policy);
  const std::span<const std::uint8_t> text = file.bytes();
  return pickle::ScanPolicy::parse({reinterpret_cast<const char*>(text.data()), text.size()}, policy);
}

/// scan of one input: its report in the command's format; returns the exit status.
int scan_one(const Command& c, const pickle::ScanPolicy& policy, std::span<const std::uint8_t> bytes,
             std::string_view name, std::string& report, pickletool::SarifLog* sarif = nullptr,
             std::string_view file = {}, std::string_view member = {}) {
  pickle::ScanOptions options;
  options.policy = policy;
  options.fix_imports = c.options.fix_imports;
  options.encoding = c.options.encoding;
  options.errors = c.options.errors;
  options.python = c.options.python;
  options.extensions = c.options.extensions;
  const pickle::ScanReport r = pickle::scan(bytes, options);
  if (sarif) {
    sarif->add(r, file, member);
  } else {
    report = c.format == "json" ? pickle::to_json(r, name) : pickle::to_text(r, name);
  }
  return r.verdict == pickle::Verdict::Clean     ? kScanClean
         : r.verdict == pickle::Verdict::Flagged ? kScanFlagged
                                                 : kScanError;
}

/// The more severe of two scan statuses: flagged, then error, then clean.
int worse(int a, int b) { return a == kScanFlagged || b == kScanFlagged ? kScanFlagged : std::max(a, b); }

std::string_view verdict_name(int status) {
  return status == kScanClean ? "clean" : status == kScanFlagged ? "flagged" : "error";
}

/// scan of an archive or .npy file: each pickle in it, and what the container itself
/// does that loaders may read differently (each such issue flags the file).
int scan_container(const Command& c, const pickle::ScanPolicy& policy, const pickletool::Container& box,
                   const std::string& path, std::string& report, pickletool::SarifLog* sarif) {
  int status = box.issues.empty() ? kScanClean : kScanFlagged;
  if (sarif) {
    for (const std::string& issue : box.issues) sarif->add_issue(path, issue);
  }
  std::vector<std::string> members;
  for (const pickletool::ContainedPickle& p : box.pickles) {
    std::string r;
    status = worse(status, scan_one(c, policy, p.bytes, path + (p.name.empty() ? " (object array)" : ":" + p.name), r,
                                    sarif, path, p.name));
    if (!r.empty() && r.back() == '\n') r.pop_back();
    members.push_back(std::move(r));
  }
  const std::string counts = std::to_string(box.pickles.size()) + " pickle" + (box.pickles.size() == 1 ? "" : "s") +
                             ", " + std::to_string(box.other_members) + " other member" +
                             (box.other_members == 1 ? "" : "s");
  if (sarif) return status;
  if (c.format == "json") {
    report = "{\"file\": " + pickle::json_quote(path) + ", \"container\": " + pickle::json_quote(box.kind) +
             ", \"verdict\": \"" + std::string(verdict_name(status)) +
             "\", \"policy\": " + pickle::json_quote(policy.name()) +
             ", \"other_members\": " + std::to_string(box.other_members) + ", \"issues\": [";
    for (std::size_t i = 0; i < box.issues.size(); ++i) report += (i ? ", " : "") + pickle::json_quote(box.issues[i]);
    report += "], \"pickles\": [";
    for (std::size_t i = 0; i < members.size(); ++i) report += (i ? ",\n" : "\n") + members[i];
    report += "]}\n";
  } else {
    report = path + ": " + std::string(verdict_name(status)) + " (" + box.kind + ", " + counts + ", policy " +
             policy.name() + ")\n";
    for (const std::string& issue : box.issues) report += "  FLAGGED: " + issue + "\n";
    for (const std::string& m : members) report += m + "\n";
  }
  return status;
}

/// Runs the command on `bytes`, writing what goes to stdout to `out`; failures throw.
/// Returns the exit status (0 but for scan).
int execute(const Command& c, std::span<const std::uint8_t> bytes, pickle::Sink& out) {
  if (c.name == "dis") {
    pickle::dis(bytes, out, c.dis_options);
    return 0;
  }
  if (c.name == "optimize") {
    write(out, pickle::optimize(bytes));
    return 0;
  }
  if (c.name == "scan") {
    std::string report;
    pickletool::SarifLog sarif;
    const bool as_sarif = c.format == "sarif";
    const int status = scan_one(c, scan_policy(c.policy), bytes, {}, report, as_sarif ? &sarif : nullptr, "<input>");
    write(out, as_sarif ? sarif.str() : report);
    return status;
  }
  pickle::UnpicklerOptions options = c.options;
  options.borrow_input = true;  // `bytes` outlives the graph: large payloads are not copied
  std::vector<std::pair<pickle::MappedFile, bool>> buffer_files;  // outlive the graph
  if (c.buffers_in) {
    buffer_files = read_buffers(*c.buffers_in);
    options.buffers.emplace();
    for (const auto& [file, readonly] : buffer_files) options.buffers->push_back({file.bytes(), readonly});
  }
  pickle::Graph g = pickle::loads(bytes, options);
  if (c.name == "show") {
    std::string text = pickle::repr(g.root(), c.repr_options);
    text += '\n';
    write(out, text);
  } else if (c.name == "json") {
    std::string text = pickle::to_json(g.root());
    text += '\n';
    write(out, text);
  } else if (c.name == "roundtrip") {
    pickle::PicklerOptions dump_options = c.dump_options;
    std::vector<pickle::Value> out_of_band;
    if (c.buffers_out) {
      dump_options.buffer_callback = [&](pickle::Value buffer) {
        out_of_band.push_back(buffer);
        return false;
      };
    }
    // Written whole or not at all, as pickle.dumps: gathered, large payloads by reference.
    pickle::GatherSink pickled;
    pickle::dump(g.root(), pickled, dump_options);
    if (c.buffers_out) {
      std::error_code ec;
      std::filesystem::create_directories(*c.buffers_out, ec);
      if (ec) file_error(*c.buffers_out, ec.value());
      for (std::size_t i = 0; i < out_of_band.size(); ++i) {
        const pickle::Buffer& b = out_of_band[i].as_buffer();
        write_file(std::filesystem::path(*c.buffers_out) / buffer_file_name(i, b.readonly()), b.view());
      }
    }
    pickled.write_to(out);
  }
  return 0;
}

/// pickletools' -p PREAMBLE for the file `name`: str.format(name=name) for the fields
/// {name}, {{ and }}; other fields fail as str.format does, and a conversion or format
/// spec ({name!r}, {name:>9}) is refused.
std::string format_preamble(std::string_view preamble, std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < preamble.size(); ++i) {
    const char ch = preamble[i];
    if ((ch == '{' || ch == '}') && i + 1 < preamble.size() && preamble[i + 1] == ch) {
      out += ch;
      ++i;
    } else if (ch == '}') {
      throw pickle::Error(pickle::ErrorType::ValueError, "Single '}' encountered in format string");
    } else if (ch == '{') {
      const std::size_t close = preamble.find('}', i);
      if (close == std::string_view::npos) {
        throw pickle::Error(pickle::ErrorType::ValueError, "Single '{' encountered in format string");
      }
      const std::string_view field = preamble.substr(i + 1, close - i - 1);
      if (field == "name") {
        out += name;
      } else if (field.find_first_of("!:.[") != std::string_view::npos) {
        throw UsageError{"-p/--preamble: only the fields {name}, {{ and }} are supported, not {" + std::string(field) +
                         "}"};
      } else if (field.empty() || field.find_first_not_of("0123456789") == std::string_view::npos) {
        throw pickle::Error(pickle::ErrorType::IndexError, "Replacement index " +
                                                               std::string(field.empty() ? "0" : field) +
                                                               " out of range for positional args tuple");
      } else {
        throw pickle::Error(pickle::ErrorType::KeyError, "'" + std::string(field) + "'");
      }
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

/// dis [FILE...]: each file's listing in turn, as `python3 -m pickletools` writes them
/// (with a preamble each when there are several, and one memo for all with -m).
int dis_files(const Command& c) {
  std::FILE* file = stdout;
  if (c.output) {
    file = std::fopen(c.output->c_str(), "w");
    if (!file) file_error(*c.output, errno);
  }
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(c.output ? file : nullptr, std::fclose);
  pickle::FileSink out(file);
  const std::vector<std::string> paths = c.paths.empty() ? std::vector<std::string>{"-"} : c.paths;
  auto open = [](const std::string& path) { return pickle::MappedFile(path == "-" ? "/dev/stdin" : path); };
  // Before 3.13, argparse opens every file before anything is written: a usage error.
  std::vector<pickle::MappedFile> opened;
  if (c.dis_options.python < pickle::PythonVersion{3, 13}) {
    for (const std::string& path : paths) {
      try {
        opened.push_back(open(path));
      } catch (const pickle::Error& e) {
        throw UsageError{"argument pickle_file: can't open '" + path + "': " + e.message()};
      }
    }
  }
  pickle::DisMemo memo;
  pickle::DisOptions options = c.dis_options;
  if (c.keep_memo) options.memo = &memo;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string name = paths[i] == "-" ? "<stdin>" : paths[i];
    try {
      if (paths.size() > 1) write(out, format_preamble(c.preamble, name) + "\n");
      if (opened.size() <= i) opened.push_back(open(paths[i]));
      pickle::dis(opened[i].bytes(), out, options);
    } catch (const pickle::Error& e) {
      out.flush();  // what was written before the failure, as CPython prints it
      if (paths.size() > 1 && !is_broken_pipe(e)) {
        std::fprintf(stderr, "pickletool: in %s\n", name.c_str());
      }
      throw;
    }
  }
  out.flush();
  return 0;
}

/// scan FILE...: each file's report in turn (a JSON array of them for several files);
/// a file that cannot be read is reported on stderr and counts as an error.
int scan_files(const Command& c) {
  const pickle::ScanPolicy policy = scan_policy(c.policy);
  pickle::FileSink out(stdout);
  std::optional<pickletool::SarifLog> sarif;  // --format sarif: one log for all files
  if (c.format == "sarif") sarif.emplace();
  const bool json_array = c.format == "json" && c.paths.size() > 1;
  if (json_array) write(out, "[\n");
  int status = kScanClean;
  for (std::size_t i = 0; i < c.paths.size(); ++i) {
    const std::string& path = c.paths[i];
    std::string report;
    try {
      const pickle::MappedFile input(path == "-" ? "/dev/stdin" : path);
      const pickletool::Container box = pickletool::open_container(input.bytes(), pickle::Limits{}.max_memory);
      pickletool::SarifLog* log = sarif ? &*sarif : nullptr;
      status = worse(status, box.kind == "pickle" ? scan_one(c, policy, input.bytes(), path, report, log, path)
                                                  : scan_container(c, policy, box, path, report, log));
    } catch (const pickle::Error& e) {
      const std::string line = "pickletool: " + path + ": " + error_class(e) + ": " + e.message() + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
      status = worse(status, kScanError);
      if (sarif) sarif->add_unreadable(path, e);
      if (c.format == "json") {  // an entry for it all the same, with the error
        pickle::ScanReport unread;
        unread.error = e;
        unread.status = pickle::ScanStatus::Error;
        unread.verdict = pickle::Verdict::Error;
        unread.policy = policy.name();
        report = pickle::to_json(unread, path);
      }
    }
    if (json_array && i + 1 < c.paths.size() && !report.empty()) report.insert(report.size() - 1, ",");
    write(out, report);
  }
  if (json_array) write(out, "]\n");
  if (sarif) write(out, sarif->str());
  out.flush();
  return status;
}

/// What the current exception makes the tool write to stderr (the contract's last line).
std::string error_text() {
  try {
    throw;
  } catch (const UsageError& e) {
    return std::string(kUsage) + "UsageError: " + e.message + "\n";
  } catch (const pickle::Error& e) {
    if (is_broken_pipe(e)) return {};
    std::string text;
    if (e.offset()) text = "pickletool: error at byte " + std::to_string(*e.offset()) + "\n";
    text += error_class(e);
    text += ": ";
    for (char ch : e.message()) {
      if (ch == '\n') text += "\\n";
      else text += ch;
    }
    return text + "\n";
  } catch (const std::bad_alloc&) {
    return "MemoryError: out of memory\n";
  } catch (const std::exception& e) {
    return std::string("RuntimeError: ") + e.what() + "\n";
  }
}

/// The exit status for the current exception: 2 for a usage error, else 1.
int failure_status() {
  try {
    throw;
  } catch (const UsageError&) {
    return kUsageStatus;
  } catch (...) {
    return kFailed;
  }
}

/// Writes `text` to stdout; 0, or 1 with the error on stderr when the write fails.
int print_stdout(std::string_view text) {
  try {
    pickle::FileSink out(stdout);
    write(out, text);
    out.flush();
    return 0;
  } catch (...) {
    const std::string error = error_text();
    std::fwrite(error.data(), 1, error.size(), stderr);
    return kFailed;
  }
}

int run_once(const std::vector<std::string>& args) {
  // --help (or -h) alone or after a command, and --version: on stdout, status 0.
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) return print_stdout(kUsage);
  if (args.size() == 1 && args[0] == "--version") {
    return print_stdout("pickletool " PICKLE_CPP_VERSION_STRING " (pickle-cpp; CPython 3.8 to 3.13)\n");
  }
  if (args.size() >= 2 &&
      std::any_of(args.begin() + 1, args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; })) {
    return print_stdout(usage_of(args[0]));
  }
  std::string error;
  int status = kFailed;
  try {
    const Command c = parse(args);
    if (c.name == "scan") return scan_files(c);
    if (c.name == "dis") return dis_files(c);
    // Mapped when it is a regular file, read to its end otherwise (a pipe on stdin).
    const pickle::MappedFile input(c.path == "-" ? "/dev/stdin" : c.path);
    pickle::FileSink out(stdout);
    try {
      execute(c, input.bytes(), out);
    } catch (...) {
      std::fflush(stdout);  // what was written before the failure, as CPython prints it
      throw;
    }
    out.flush();
    return 0;
  } catch (...) {
    error = error_text();
    status = failure_status();
  }
  std::fwrite(error.data(), 1, error.size(), stderr);
  return status;
}

// ---- serve ----------------------------------------------------------------------------

/// A decimal length and its newline; false at the end of stdin.
bool read_length(std::size_t& n) {
  n = 0;
  int digits = 0;
  for (int ch; (ch = std::getchar()) != '\n'; ++digits) {
    if (ch == EOF && digits == 0) return false;
    if (ch < '0' || ch > '9' || digits == 19) throw UsageError{"serve: malformed request"};
    n = n * 10 + static_cast<std::size_t>(ch - '0');
  }
  return true;
}

std::string read_field() {
  std::size_t n = 0;
  if (!read_length(n)) throw UsageError{"serve: truncated request"};
  std::string field(n, '\0');
  if (n && std::fread(field.data(), 1, n, stdin) != n) throw UsageError{"serve: truncated request"};
  return field;
}

int serve() {
  for (std::size_t argc = 0; read_length(argc);) {
    std::vector<std::string> args(argc);
    for (auto& a : args) a = read_field();
    const std::string input = read_field();
    StringSink out;
    std::string error;
    int status = 0;
    try {
      const Command c = parse(args);
      if (c.have_path || (c.name == "dis" && !c.paths.empty())) {
        throw UsageError{"serve: the input is the request's last field, not a FILE"};
      }
      if (c.output) throw UsageError{"serve: the output is the answer, not a file"};
      status = execute(c, std::span(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()), out);
    } catch (...) {
      error = error_text();
      status = failure_status();
    }
    const std::string header =
        std::to_string(status) + " " + std::to_string(out.text.size()) + " " + std::to_string(error.size()) + "\n";
    for (const std::string* part : std::initializer_list<const std::string*>{&header, &out.text, &error}) {
      if (std::fwrite(part->data(), 1, part->size(), stdout) != part->size()) return 1;
    }
    if (std::fflush(stdout) != 0) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that closed the pipe (`pickletool dis f | head`) is a failed write, which
  // ends the tool quietly with status 1, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "serve") {
    try {
      return serve();
    } catch (...) {
      const std::string error = error_text();
      std::fwrite(error.data(), 1, error.size(), stderr);
      return 1;
    }
  }
  return run_once(args);
}
