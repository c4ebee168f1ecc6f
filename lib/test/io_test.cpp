// Streams, FILEs, descriptors and paths (pickle/io.h): several pickles loaded one after
// another through every kind of source with the position after each load, truncated
// pickles, length prefixes far beyond the data, read and write errors, and dumps through
// every sink.
//
// Every expectation about loading and every OSError text comes from CPython 3.11 through
// golden/io_cases.tsv (golden/gen_io_cases.py, whose docstring describes it): the streams
// there were written by pickle.dump to a file and loaded back by pickle.load from a file on
// disk, io.BytesIO and a pipe. stream_values() below builds the same values as the
// script's stream_values(); change them together.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pickle/pickle.h"
#include "pickle_golden.h"
#include "text_golden.h"

namespace {

using pickle::Graph;
using pickle::Value;

// Writing to a pipe whose reader has gone must fail with EPIPE, not kill the test.
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// ---- golden expectations ------------------------------------------------------------------

const std::map<std::string, text_golden::Expectation>& golden() {
  static const auto m = text_golden::read_expectations("io_cases.tsv");
  return m;
}

const std::string& golden_field(const std::string& name, const std::string& kind) {
  static const std::string empty;
  const auto it = golden().find(name);
  if (it == golden().end()) {
    ADD_FAILURE() << "no expectation " << name << " in io_cases.tsv";
    return empty;
  }
  if (it->second.kind != kind) {
    ADD_FAILURE() << name << ": expected kind " << kind << ", the file has " << it->second.kind;
    return empty;
  }
  return it->second.data;
}

std::string golden_bytes(const std::string& name) {
  std::string out;
  if (!pickle_golden::decode_field(golden_field(name, "bytes"), out)) ADD_FAILURE() << name << ": malformed";
  return out;
}

/// "ClassName: message" (kind err) or a text (kind text).
std::string golden_text(const std::string& name, const std::string& kind = "err") {
  return text_golden::unhex(golden_field(name, kind));
}

/// What one load did: a value and the position after it, or an error.
struct Step {
  bool ok = false;
  std::size_t pos = 0;
  std::string value;  // as in the golden file: hex of repr(), or #LENGTH#CRC
  std::string error;  // "ClassName: message"
  bool operator==(const Step&) const = default;
};

std::vector<Step> golden_loads(const std::string& name) {
  std::vector<Step> out;
  std::string_view data = golden_field(name, "loads");
  while (!data.empty()) {
    const std::size_t comma = data.find(',');
    const std::string_view part = data.substr(0, comma);
    Step s;
    if (part.starts_with("!")) {
      s.error = text_golden::unhex(part.substr(1));
    } else {
      const std::size_t colon = part.find(':');
      s.ok = true;
      s.pos = std::stoul(std::string(part.substr(0, colon)));
      s.value = std::string(part.substr(colon + 1));
    }
    out.push_back(s);
    data = comma == std::string_view::npos ? std::string_view() : data.substr(comma + 1);
  }
  return out;
}

std::uint32_t crc32(std::string_view s) {
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/// The golden file's rendering of repr(v).
std::string repr_field(Value v) {
  const std::string r = pickle::repr(v);
  std::size_t chars = 0;
  for (unsigned char c : r) chars += (c & 0xc0) != 0x80;
  if (chars <= 200) return text_golden::hex(r);
  return "#" + std::to_string(chars) + "#" + std::to_string(crc32(r));
}

std::string error_text(const pickle::Error& e) { return std::string(e.python_type_name()) + ": " + e.message(); }

std::string show(const std::vector<Step>& steps) {
  std::string out;
  for (const Step& s : steps) {
    if (s.ok) {
      out += std::to_string(s.pos) + ":" +
             (s.value.starts_with("#") ? s.value : text_golden::show(text_golden::unhex(s.value), 60));
    } else {
      out += "!" + s.error;
    }
    out += "\n";
  }
  return out;
}

// ---- files, pipes and the values of the streams ---------------------------------------------

class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/pickle_io_test.XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path file(const std::string& content) {
    const std::filesystem::path p = path_ / ("f" + std::to_string(++count_));
    std::ofstream out(p, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) ADD_FAILURE() << "cannot write " << p;
    return p;
  }
  std::filesystem::path name() { return path_ / ("n" + std::to_string(++count_)); }

 private:
  std::filesystem::path path_;
  int count_ = 0;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A pipe that receives `data`, then is closed for writing: written at once when the pipe
/// can be made large enough (then prefilled() is true), else by a thread.
class PipeFeed {
 public:
  explicit PipeFeed(std::string data) {
    int fds[2];
    if (::pipe(fds) != 0) ADD_FAILURE() << "pipe: " << std::strerror(errno);
    read_fd_ = fds[0];
    if (data.size() <= (std::size_t{1} << 20) &&
        (data.size() < 4096 ||
         ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(std::max<std::size_t>(data.size(), 4096))) >= 0) &&
        (data.empty() || ::write(fds[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()))) {
      prefilled_ = true;
      ::close(fds[1]);
      return;
    }
    writer_ = std::thread([w = fds[1], d = std::move(data)] {
      std::size_t done = 0;
      while (done < d.size()) {
        const ssize_t n = ::write(w, d.data() + done, d.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the reader has gone (EPIPE)
        done += static_cast<std::size_t>(n);
      }
      ::close(w);
    });
  }
  ~PipeFeed() {
    if (read_fd_ >= 0) ::close(read_fd_);
    if (writer_.joinable()) writer_.join();
  }
  PipeFeed(const PipeFeed&) = delete;
  PipeFeed& operator=(const PipeFeed&) = delete;

  int fd() const { return read_fd_; }
  bool prefilled() const { return prefilled_; }
  /// Bytes still in the pipe (prefilled pipes only).
  std::size_t unread() const { return unread(read_fd_); }
  static std::size_t unread(int fd) {
    int n = 0;
    if (::ioctl(fd, FIONREAD, &n) != 0) ADD_FAILURE() << "FIONREAD: " << std::strerror(errno);
    return static_cast<std::size_t>(n);
  }
  /// Hands the read end over (to a FILE that will close it).
  int release() {
    const int fd = read_fd_;
    read_fd_ = -1;
    return fd;
  }

 private:
  int read_fd_ = -1;
  bool prefilled_ = false;
  std::thread writer_;
};

std::size_t drain_fd(int fd) {
  std::size_t n = 0;
  char buf[65536];
  for (;;) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return n;
    n += static_cast<std::size_t>(got);
  }
}

/// A stream buffer that cannot seek and hands out its data a few bytes at a time, like an
/// istream over a pipe; it knows how far its reader has got.
class TrickleBuf : public std::streambuf {
 public:
  explicit TrickleBuf(std::string data) : data_(std::move(data)) {}
  std::size_t position() const { return served_ - static_cast<std::size_t>(egptr() - gptr()); }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (served_ == data_.size()) return traits_type::eof();
    const std::size_t n = std::min<std::size_t>(5, data_.size() - served_);
    std::memcpy(chunk_, data_.data() + served_, n);
    served_ += n;
    setg(chunk_, chunk_, chunk_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string data_;
  std::size_t served_ = 0;
  char chunk_[5];
};

// The values of gen_io_cases.stream_values(), in order, with the same identities.
std::vector<Value> stream_values(Graph& g) {
  auto bytes = [&](std::string_view s) { return g.new_bytes(s); };
  auto list = [&](std::initializer_list<Value> items) {
    Value l = g.new_list();
    for (Value v : items) l.as_list().append(g, v);
    return l;
  };
  auto tuple = [&](std::initializer_list<Value> items) {
    std::vector<Value> v(items);
    return g.new_tuple(v);
  };
  std::vector<Value> out;
  out.push_back(Value::none());
  out.push_back(Value::boolean(true));
  out.push_back(Value::integer(12345));
  out.push_back(Value::integer(-(std::int64_t{1} << 40)));
  std::uint8_t two_100[13] = {};
  two_100[12] = 0x10;  // 2**100, little-endian two's complement
  out.push_back(g.new_int_from_bytes(two_100));
  out.push_back(Value::floating(1.5));
  out.push_back(g.new_str("h\xc3\xa9llo"));
  out.push_back(bytes(std::string_view("\x00\xff", 2)));
  const std::uint8_t ab[] = {'a', 'b'};
  out.push_back(g.new_bytearray(ab));
  out.push_back(list({Value::integer(1), list({Value::integer(2), g.shared_or_new_str("x")})}));
  out.push_back(tuple({Value::integer(1), Value::integer(2)}));
  Value d = g.new_dict();
  d.as_dict().set(g, g.shared_or_new_str("a"), Value::integer(1));
  d.as_dict().set(g, g.shared_or_new_str("b"), list({Value::none()}));
  out.push_back(d);
  Value s = g.new_set();
  s.as_set().add(g, Value::integer(1));
  s.as_set().add(g, Value::integer(2));
  out.push_back(s);
  Value fs = g.new_frozenset();
  fs.as_set().add(g, Value::integer(3));
  out.push_back(fs);
  out.push_back(bytes(std::string(70000, 'y')));
  out.push_back(list({bytes(std::string(40000, 'a')), bytes(std::string(40000, 'b'))}));
  Value nones = g.new_list();
  for (int i = 0; i < 70000; ++i) nones.as_list().append(g, Value::none());
  out.push_back(nones);
  Value shared = list({Value::integer(1)});
  out.push_back(list({shared, shared}));
  out.push_back(g.shared_or_new_bytes({}));
  out.push_back(g.new_str("end"));
  return out;
}

// gen_io_cases.stream_cases: SHARED = [[1], [1]] (one inner list), dumped twice, then
// [SHARED, 'z'].
std::vector<Value> pickler_values(Graph& g) {
  Value inner = g.new_list();
  inner.as_list().append(g, Value::integer(1));
  Value shared = g.new_list();
  shared.as_list().append(g, inner);
  shared.as_list().append(g, inner);
  Value last = g.new_list();
  last.as_list().append(g, shared);
  last.as_list().append(g, g.shared_or_new_str("z"));
  return {shared, shared, last};
}

// ---- reading through every kind of source ------------------------------------------------

enum class Via { Istream, IstreamUnseekable, File, FilePipe, Fd, FdPipe };
constexpr Via kAllVia[] = {Via::Istream, Via::IstreamUnseekable, Via::File, Via::FilePipe, Via::Fd, Via::FdPipe};

const char* via_name(Via v) {
  switch (v) {
    case Via::Istream: return "istringstream";
    case Via::IstreamUnseekable: return "istream over an unseekable buffer";
    case Via::File: return "FILE* of a file";
    case Via::FilePipe: return "FILE* of a pipe";
    case Via::Fd: return "fd of a file";
    case Via::FdPipe: return "fd of a pipe";
  }
  return "?";
}

/// Whether the source can seek back (CPython's buffered file), or not (its pipe).
bool can_seek(Via v) { return v == Via::Istream || v == Via::File || v == Via::Fd; }

/// A source over some data, loaded through the convenience function of its kind.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual pickle::Source& source() = 0;
  virtual Graph load(const pickle::UnpicklerOptions& options) = 0;
  /// Bytes consumed so far. A pipe may be drained to find out: then drains() is true
  /// and no more loads may follow.
  virtual std::size_t position() = 0;
  virtual bool drains() const { return false; }
};

class IstreamReader : public Reader {
 public:
  explicit IstreamReader(const std::string& data) : in_(data), source_(in_) {}
  pickle::Source& source() override { return source_; }
  Graph load(const pickle::UnpicklerOptions& o) override { return pickle::load(in_, o); }
  std::size_t position() override { return static_cast<std::size_t>(in_.tellg()); }

 private:
  std::istringstream in_;
  pickle::IstreamSource source_;
};

class UnseekableIstreamReader : public Reader {
 public:
  explicit UnseekableIstreamReader(const std::string& data) : buf_(data), in_(&buf_), source_(in_) {}
  pickle::Source& source() override { return source_; }
  Graph load(const pickle::UnpicklerOptions& o) override { return pickle::load(in_, o); }
  std::size_t position() override { return buf_.position(); }

 private:
  TrickleBuf buf_;
  std::istream in_;
  pickle::IstreamSource source_;
};

class FileReader : public Reader {
 public:
  FileReader(const std::string& data, TempDir& dir) : file_(std::fopen(dir.file(data).c_str(), "rb")), source_(file_) {}
  ~FileReader() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  pickle::Source& source() override { return source_; }
  Graph load(const pickle::UnpicklerOptions& o) override { return pickle::load(file_, o); }
  std::size_t position() override { return static_cast<std::size_t>(std::ftell(file_)); }

 private:
  std::FILE* file_;
  pickle::FileSource source_;
};

class FilePipeReader : public Reader {
 public:
  explicit FilePipeReader(const std::string& data)
      : size_(data.size()),
        feed_(data),
        feed_prefilled_(feed_.prefilled()),
        file_(::fdopen(feed_.release(), "rb")),
        source_(file_) {}
  ~FilePipeReader() override { std::fclose(file_); }
  pickle::Source& source() override { return source_; }
  Graph load(const pickle::UnpicklerOptions& o) override { return pickle::load(file_, o); }
  std::size_t position() override {
#ifdef __GLIBC__
    // What is left in the pipe and in the FILE's buffer.
    if (feed_prefilled_) {
      return size_ - PipeFeed::unread(::fileno(file_)) -
             static_cast<std::size_t>(file_->_IO_read_end - file_->_IO_read_ptr);
    }
#endif
    std::size_t rest = 0;
    char buf[65536];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, file_)) rest += n;
    return size_ - rest;
  }
  bool drains() const override {
#ifdef __GLIBC__
    if (feed_prefilled_) return false;
#endif
    return true;
  }

 private:
  std::size_t size_;
  PipeFeed feed_;
  bool feed_prefilled_;
  std::FILE* file_;
  pickle::FileSource source_;
};

class FdReader : public Reader {
 public:
  FdReader(const std::string& data, TempDir& dir) : fd_(::open(dir.file(data).c_str(), O_RDONLY)), source_(fd_) {}
  ~FdReader() override { ::close(fd_); }
  pickle::Source& source() override { return source_; }
  Graph load(const pickle::UnpicklerOptions& o) override { return pickle::load_fd(fd_, o); }
  std::size_t position() override { return static_cast<std::size_t>(::lseek(fd_, 0, SEEK_CUR)); }

 private:
  int fd_;
  pickle::FdSource source_;
};

class FdPipeReader : public Reader {
 public:
  explicit FdPipeReader(const std::string& data) : size_(data.size()), feed_(data), source_(feed_.fd()) {}
  pickle::Source& source() override { return source_; }
  Graph load(const pickle::UnpicklerOptions& o) override { return pickle::load_fd(feed_.fd(), o); }
  std::size_t position() override { return size_ - (feed_.prefilled() ? feed_.unread() : drain_fd(feed_.fd())); }
  bool drains() const override { return !feed_.prefilled(); }

 private:
  std::size_t size_;
  PipeFeed feed_;
  pickle::FdSource source_;
};

std::unique_ptr<Reader> make_reader(Via via, const std::string& data, TempDir& dir) {
  switch (via) {
    case Via::Istream: return std::make_unique<IstreamReader>(data);
    case Via::IstreamUnseekable: return std::make_unique<UnseekableIstreamReader>(data);
    case Via::File: return std::make_unique<FileReader>(data, dir);
    case Via::FilePipe: return std::make_unique<FilePipeReader>(data);
    case Via::Fd: return std::make_unique<FdReader>(data, dir);
    case Via::FdPipe: return std::make_unique<FdPipeReader>(data);
  }
  return nullptr;
}

/// Loads pickles from `data` through `via` until an error, as repeated pickle.load(f)
/// calls (or, with one_unpickler, as one pickle.Unpickler(f).load() after another), and
/// records each load. Where finding the position drains a pipe, the position after the
/// k-th load is found on a fresh pipe, drained after k loads.
std::vector<Step> run_loads(Via via, const std::string& data, TempDir& dir, bool one_unpickler = false) {
  // k loads from a fresh reader (0: until an error), with the position after each one,
  // or only after the last one when finding the position drains the source.
  bool drains = false;
  auto attempt = [&](std::size_t k) {
    std::unique_ptr<Reader> reader = make_reader(via, data, dir);
    drains = reader->drains();
    std::optional<pickle::StreamUnpickler> unpickler;
    if (one_unpickler) unpickler.emplace(reader->source());
    Graph shared;
    std::vector<Step> out;
    for (std::size_t i = 0; k == 0 || i < k; ++i) {
      Step s;
      try {
        if (unpickler) {
          s.value = repr_field(unpickler->load(shared));
        } else {
          Graph g = reader->load({});
          s.value = repr_field(g.root());
        }
        s.ok = true;
      } catch (const pickle::Error& e) {
        s.error = error_text(e);
      }
      if (s.ok && (k == 0 || i + 1 == k)) s.pos = reader->position();
      out.push_back(s);
      if (!s.ok) break;
      if (out.size() > 200) {
        ADD_FAILURE() << "no end of the stream";
        break;
      }
    }
    return out;
  };
  std::vector<Step> steps = attempt(0);
  if (!drains || steps.empty()) return steps;
  steps.clear();
  for (std::size_t k = 1; k <= 200; ++k) {
    steps.push_back(attempt(k).back());
    if (!steps.back().ok) break;
  }
  return steps;
}

void expect_loads(const std::string& stream, const std::string& expected_name, Via via, TempDir& dir,
                  bool one_unpickler = false) {
  const std::string data = golden_bytes(stream);
  const std::vector<Step> expected = golden_loads(expected_name);
  const std::vector<Step> got = run_loads(via, data, dir, one_unpickler);
  EXPECT_EQ(got, expected) << stream << " through " << via_name(via) << (one_unpickler ? " (one unpickler)" : "")
                           << "\nexpected:\n"
                           << show(expected) << "got:\n"
                           << show(got);
}

std::vector<std::string> golden_names(std::string_view prefix, std::string_view suffix) {
  std::vector<std::string> out;
  for (const auto& [name, entry] : golden()) {
    if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  return out;
}

// ---- loading ------------------------------------------------------------------------------

TEST(Load, StreamsOfPicklesLoadOneAfterAnotherFromEverySource) {
  TempDir dir;
  std::vector<std::string> streams = golden_names("stream.all.", ".loads");
  ASSERT_EQ(streams.size(), 6u);
  for (const std::string& s : golden_names("stream.special.", ".loads")) streams.push_back(s);
  streams.push_back("stream.mixed");
  for (const std::string& stream : streams) {
    for (Via via : kAllVia) expect_loads(stream, stream + ".loads", via, dir);
  }
}

TEST(Load, FramePastStopLeavesSeekableSourcesAtStopAndPipesAtTheFrameEnd) {
  TempDir dir;
  const std::vector<std::string> streams = golden_names("stream.special.", ".loads.pipe");
  ASSERT_EQ(streams.size(), 2u);
  for (const std::string& stream : streams) {
    for (Via via : kAllVia) {
      expect_loads(stream, stream + (can_seek(via) ? ".loads.seekable" : ".loads.pipe"), via, dir);
    }
  }
}

TEST(Load, StreamUnpicklerKeepsTheMemoAcrossLoadsAsPickleUnpickler) {
  TempDir dir;
  for (int q = 0; q <= 5; ++q) {
    const std::string stream = "stream.pickler." + std::to_string(q);
    for (Via via : kAllVia) {
      expect_loads(stream, stream + ".loads", via, dir);            // pickle.load(f)
      expect_loads(stream, stream + ".unpickler", via, dir, true);  // Unpickler(f).load()
    }
  }
}

TEST(Load, LoadedValuesEqualTheDumpedOnes) {
  TempDir dir;
  Graph g;
  const std::vector<Value> values = stream_values(g);
  for (int q = 0; q <= 5; ++q) {
    const std::string data = golden_bytes("stream.all." + std::to_string(q));
    std::istringstream in(data);
    for (Value v : values) {
      Graph loaded = pickle::load(in);
      EXPECT_TRUE(pickle::deep_equal(loaded.root(), v)) << "protocol " << q << ": " << pickle::repr(v).substr(0, 80);
    }
  }
}

TEST(Load, LoadFileLoadsTheFirstPickleOfAFile) {
  TempDir dir;
  for (const std::string& stream : golden_names("stream.", ".loads")) {
    const std::vector<Step> expected = golden_loads(stream + ".loads");
    const std::filesystem::path path = dir.file(golden_bytes(stream));
    Step s;
    try {
      Graph g = pickle::load_file(path);
      s.ok = true;
      s.value = repr_field(g.root());
      s.pos = expected[0].pos;  // a path has no position
    } catch (const pickle::Error& e) {
      s.error = error_text(e);
    }
    EXPECT_EQ(s, expected[0]) << stream << "\nexpected:\n" << show({expected[0]}) << "got:\n" << show({s});
  }
}

TEST(Load, LoadFileAllLoadsEveryPickleWithAFreshMemo) {
  TempDir dir;
  for (const std::string& stream : golden_names("stream.", ".loads")) {
    const std::vector<Step> expected = golden_loads(stream + ".loads");
    const std::string data = golden_bytes(stream);
    // Repeated pickle.load(f) reaches the end of the file without an error, or fails.
    const std::size_t end = expected.size() > 1 ? expected[expected.size() - 2].pos : 0;
    const bool loads_all = expected.back().error == "EOFError: Ran out of input" && end == data.size();
    try {
      const std::vector<Graph> graphs = pickle::load_file_all(dir.file(data));
      EXPECT_TRUE(loads_all) << stream << ": loaded " << graphs.size() << " pickles";
      ASSERT_EQ(graphs.size(), expected.size() - 1) << stream;
      for (std::size_t i = 0; i < graphs.size(); ++i) {
        EXPECT_EQ(repr_field(graphs[i].root()), expected[i].value) << stream << " #" << i;
      }
    } catch (const pickle::Error& e) {
      EXPECT_FALSE(loads_all) << stream;
      EXPECT_EQ(error_text(e), expected.back().error) << stream;
    }
  }
}

TEST(Load, MappedFileWithAnUnpicklerLoadsEveryPickleLikePickleUnpickler) {
  TempDir dir;
  for (int q = 0; q <= 5; ++q) {
    const std::string stream = "stream.pickler." + std::to_string(q);
    const std::vector<Step> expected = golden_loads(stream + ".unpickler");
    const pickle::MappedFile file(dir.file(golden_bytes(stream)));
    EXPECT_TRUE(file.is_mapped());
    pickle::Unpickler u({.borrow_input = true, .borrow_threshold = 1});
    u.set_input(file.bytes());
    Graph g;
    std::vector<Step> got;
    while (!u.at_end()) {
      Step s;
      s.value = repr_field(u.load(g));
      s.ok = true;
      s.pos = u.position();
      got.push_back(s);
    }
    Step end;
    end.error = "EOFError: Ran out of input";
    got.push_back(end);
    EXPECT_EQ(got, expected) << stream << "\nexpected:\n" << show(expected) << "got:\n" << show(got);
  }
}

TEST(Load, MappedFileReadsWhatCannotBeMapped) {
  TempDir dir;
  const pickle::MappedFile empty(dir.file(""));
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_FALSE(empty.is_mapped());

  // /proc files say they are empty; their content is read.
  const pickle::MappedFile proc("/proc/self/status");
  EXPECT_FALSE(proc.is_mapped());
  EXPECT_NE(std::string_view(reinterpret_cast<const char*>(proc.bytes().data()), proc.size()).find("Name:"),
            std::string_view::npos);

  // A FIFO: read to its end, then every pickle in it loads.
  const std::string data = golden_bytes("stream.all.2");
  const std::filesystem::path fifo = dir.name();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << data; });
  pickle::MappedFile m(fifo);
  writer.join();
  EXPECT_FALSE(m.is_mapped());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.bytes().data()), m.size()), data);
  pickle::MappedFile moved(std::move(m));
  EXPECT_EQ(moved.size(), data.size());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(moved.bytes().data()), moved.size()), data);
}

TEST(Load, LoadFileOfAFifoReadsOnlyTheFirstPickle) {
  TempDir dir;
  const std::string data = golden_bytes("stream.all.4");
  const std::vector<Step> expected = golden_loads("stream.all.4.loads");
  const std::filesystem::path fifo = dir.name();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // One writer; two readers of the FIFO: load_file's, which must read the first pickle
  // and no more, and ours, which keeps the FIFO's data alive and then gets the rest.
  int rd = -1;
  std::thread writer([&] {
    const int w = ::open(fifo.c_str(), O_WRONLY);
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(w, data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(w);
  });
  rd = ::open(fifo.c_str(), O_RDONLY);
  ASSERT_GE(rd, 0);
  Graph first = pickle::load_file(fifo);
  EXPECT_EQ(repr_field(first.root()), expected[0].value);
  // The rest of the stream is still in the FIFO, starting with the second pickle.
  Graph second = pickle::load_fd(rd);
  EXPECT_EQ(repr_field(second.root()), expected[1].value);
  EXPECT_EQ(drain_fd(rd), data.size() - expected[1].pos);
  ::close(rd);
  writer.join();
}

TEST(Load, TruncatedPicklesFailAsCPythonReadingAFile) {
  TempDir dir;
  std::size_t cases = 0;
  for (const auto& item : golden()) {
    const std::string& name = item.first;  // not a structured binding: clang 14 cannot capture one
    if (!name.starts_with("trunc.") || item.second.kind != "err") continue;
    const std::size_t dot = name.rfind('.');
    const std::string data = golden_bytes(name.substr(0, dot)).substr(0, std::stoul(name.substr(dot + 1)));
    const std::string expected = golden_text(name);
    // The offset is the one loads() reports for the same bytes, except where a file
    // reports another error than memory (an empty payload at the very end: the end).
    std::optional<std::size_t> offset;
    try {
      pickle::loads(data);
      ADD_FAILURE() << name << " loads";
    } catch (const pickle::Error& e) {
      offset = error_text(e) == expected ? e.offset() : std::optional<std::size_t>(data.size());
    }
    ++cases;
    auto check = [&](const char* how, const std::function<void()>& load) {
      try {
        load();
        ADD_FAILURE() << name << " through " << how << ": loaded";
      } catch (const pickle::Error& e) {
        EXPECT_EQ(error_text(e), expected) << name << " through " << how;
        EXPECT_EQ(e.offset(), offset) << name << " through " << how;
      }
    };
    for (Via via : kAllVia) {
      std::unique_ptr<Reader> reader = make_reader(via, data, dir);
      check(via_name(via), [&] { reader->load({}); });
    }
    check("load_file", [&] { pickle::load_file(dir.file(data)); });
  }
  EXPECT_GT(cases, 1000u);
}

TEST(Load, AnEmptyPayloadAtTheEndIsTheEndOfInputFromAFileButTruncationInMemory) {
  TempDir dir;
  const std::vector<std::string> names = golden_names("stream.special.empty_tail.", ".loads_err");
  ASSERT_EQ(names.size(), 5u);
  for (const std::string& name : names) {
    const std::string data = golden_bytes(name);
    try {
      pickle::loads(data);
      ADD_FAILURE() << name;
    } catch (const pickle::Error& e) {
      EXPECT_EQ(error_text(e), golden_text(name + ".loads_err")) << name;
    }
    for (Via via : kAllVia) {
      try {
        make_reader(via, data, dir)->load({});
        ADD_FAILURE() << name;
      } catch (const pickle::Error& e) {
        EXPECT_EQ(error_text(e), "EOFError: Ran out of input") << name << " through " << via_name(via);
        EXPECT_EQ(e.offset(), data.size()) << name << " through " << via_name(via);
      }
    }
  }
}

// A pickle of `prefix` + `tail` bytes where `prefix` declares a huge length.
void expect_fails_fast(const std::string& what, const std::string& data, const std::string& expected,
                       std::optional<std::size_t> offset) {
  for (std::size_t limit : {std::size_t{8} << 30, std::size_t{1} << 20}) {
    pickle::UnpicklerOptions options;
    options.limits.max_memory = limit;
    auto check = [&](const char* how, const std::function<Graph()>& load) {
      try {
        load();
        ADD_FAILURE() << what << " through " << how << ": loaded";
      } catch (const pickle::Error& e) {
        EXPECT_EQ(error_text(e), expected) << what << " through " << how << ", max_memory " << limit;
        EXPECT_EQ(e.offset(), offset) << what << " through " << how;
      }
    };
    check("a pipe", [&] {
      PipeFeed feed(data);
      return pickle::load_fd(feed.fd(), options);
    });
    check("an unseekable istream", [&] {
      TrickleBuf buf(data);
      std::istream in(&buf);
      return pickle::load(in, options);
    });
    TempDir dir;
    check("a file", [&] { return pickle::load_file(dir.file(data), options); });
  }
}

TEST(Load, HugeLengthPrefixesFailFastWithoutAllocating) {
  std::size_t cases = 0;
  for (const std::string& name : golden_names("huge.", ".err")) {
    const std::string data = golden_bytes(name);
    std::optional<std::size_t> offset;
    try {
      pickle::loads(data);
    } catch (const pickle::Error& e) {
      offset = e.offset();
    }
    expect_fails_fast(name, data, golden_text(name + ".err"), offset);
    ++cases;
  }
  EXPECT_EQ(cases, 10u);
  // BINBYTES, BINBYTES8 and BYTEARRAY8: CPython allocates the declared size before reading
  // (MemoryError), the library never does (doc/design.md): as loads() of the same bytes.
  const std::string q60("\x00\x00\x00\x00\x00\x00\x00\x10", 8);
  for (const std::string& data : {"\x80\x04\x8e" + q60 + "abc", "\x80\x05\x96" + q60 + "abc",
                                  std::string("B\xff\xff\xff\xff"
                                              "abc",
                                              8)}) {
    try {
      pickle::loads(data);
      ADD_FAILURE() << "loads";
    } catch (const pickle::Error& e) {
      EXPECT_EQ(error_text(e), "UnpicklingError: pickle data was truncated");
      expect_fails_fast(text_golden::show(data), data, error_text(e), e.offset());
    }
  }
}

TEST(Load, MoreDataThanTheMemoryLimitIsAMemoryError) {
  // BINUNICODE8 of 2**40 bytes, 3 MiB of which arrive, under a limit of 1 MiB.
  const std::string data = std::string("\x80\x04\x8d\x00\x00\x00\x00\x00\x01\x00\x00", 11) + std::string(3 << 20, 'u');
  pickle::UnpicklerOptions options;
  options.limits.max_memory = 1 << 20;
  for (int kind = 0; kind < 2; ++kind) {
    try {
      if (kind == 0) {
        PipeFeed feed(data);
        pickle::load_fd(feed.fd(), options);
      } else {
        std::istringstream in(data);
        pickle::load(in, options);
      }
      ADD_FAILURE() << "loaded";
    } catch (const pickle::Error& e) {
      EXPECT_EQ(error_text(e), "MemoryError: pickle data exceeds the memory limit of 1048576 bytes");
      EXPECT_EQ(e.offset(), 2u);
    }
  }
  // Without the limit the data ends first.
  PipeFeed feed(data);
  try {
    pickle::load_fd(feed.fd());
    ADD_FAILURE() << "loaded";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(error_text(e), "UnpicklingError: pickle data was truncated");
  }
  // An error of an earlier opcode wins over the limit, as CPython executes as it reads.
  const std::string underflow = std::string(
                                    "\x80\x04"
                                    "a\x8d\x00\x00\x00\x00\x00\x01\x00\x00",
                                    12) +
                                std::string(3 << 20, 'u');
  std::istringstream in(underflow);
  try {
    pickle::load(in, options);
    ADD_FAILURE() << "loaded";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(error_text(e), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(e.offset(), 2u);
  }
}

TEST(Load, APipeIsNeverReadPastThePickle) {
  // The writer keeps the pipe open and the reader does not block: a read past the pickle
  // would fail with EAGAIN.
  for (int q = 0; q <= 5; ++q) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    Graph g;
    // Pickles ending with every kind of argument before STOP: none, a line (protocol 0)
    // or a fixed size, a length-prefixed one (unmemoized at protocol 0), a frame.
    const std::vector<Value> values = {pickler_values(g)[2],
                                       Value::integer(5),
                                       Value::floating(2.5),
                                       g.new_bytes(std::string_view("\x00"
                                                                    "b\n",
                                                                    3)),
                                       g.new_str("second"),
                                       g.new_bytes(std::string(70000, 'x'))};
    std::string all;
    for (Value v : values) all += pickle::dumps(v, {.protocol = q});
    ASSERT_EQ(::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
    ASSERT_EQ(::write(fds[1], all.data(), all.size()), static_cast<ssize_t>(all.size()));
    for (Value v : values)
      EXPECT_TRUE(pickle::deep_equal(pickle::load_fd(fds[0]).root(), v)) << q << " " << pickle::repr(v).substr(0, 40);
    try {
      pickle::load_fd(fds[0]);
      ADD_FAILURE() << "loaded";
    } catch (const pickle::Error& e) {
      EXPECT_EQ(error_text(e), "OSError: [Errno 11] Resource temporarily unavailable");
      EXPECT_EQ(e.offset(), 0u);
    }
    ::close(fds[0]);
    ::close(fds[1]);
  }
}

TEST(Load, BorrowInputIsIgnoredForStreams) {
  const std::string big(10000, 'q');
  Graph g;
  const std::string data = pickle::dumps(g.new_bytes(big), {.protocol = 5});
  pickle::UnpicklerOptions options;
  options.borrow_input = true;
  options.borrow_threshold = 1;
  Graph loaded;
  {
    std::istringstream in(data);
    loaded = pickle::load(in, options);
  }
  TempDir dir;
  Graph from_file = pickle::load_file(dir.file(data), options);
  // The buffers are gone: the values must be copies.
  EXPECT_EQ(loaded.root().as_bytes().chars(), big);
  EXPECT_EQ(from_file.root().as_bytes().chars(), big);
}

// ---- errors --------------------------------------------------------------------------------

void expect_error(const std::string& what, const std::function<void()>& fn, const std::string& expected,
                  std::optional<std::size_t> offset = std::nullopt) {
  try {
    fn();
    ADD_FAILURE() << what << ": no error";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(error_text(e), expected) << what;
    EXPECT_EQ(e.offset(), offset) << what;
  }
}

TEST(Errors, ReadErrorsAreOSErrors) {
  TempDir dir;
  const std::filesystem::path path = dir.file(golden_bytes("stream.all.4"));
  const std::string ebadf = golden_text("os.ebadf");
  const int wfd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(wfd, 0);
  expect_error(
      "write-only fd", [&] { pickle::load_fd(wfd); }, ebadf, 0);
  ::close(wfd);
  expect_error(
      "closed fd", [&] { pickle::load_fd(wfd); }, ebadf, 0);
  expect_error(
      "fd -1", [&] { pickle::load_fd(-1); }, ebadf, 0);

  std::FILE* w = std::fopen(path.c_str(), "ab");
  ASSERT_NE(w, nullptr);
  expect_error(
      "write-only FILE", [&] { pickle::load(w); }, ebadf, 0);
  std::fclose(w);
  expect_error(
      "null FILE", [&] { pickle::load(static_cast<std::FILE*>(nullptr)); }, ebadf, 0);

  // A stream in a bad or failed state: EIO (there is no errno to report).
  std::istringstream bad(golden_bytes("stream.all.4"));
  bad.setstate(std::ios_base::badbit);
  expect_error(
      "istream with badbit", [&] { pickle::load(bad); }, "OSError: [Errno 5] Input/output error", 0);
  std::istringstream failed(golden_bytes("stream.all.4"));
  failed.setstate(std::ios_base::failbit);
  expect_error(
      "istream with failbit", [&] { pickle::load(failed); }, "OSError: [Errno 5] Input/output error", 0);
  std::istringstream at_eof("");
  at_eof.setstate(std::ios_base::eofbit);
  expect_error(
      "istream at eof", [&] { pickle::load(at_eof); }, "EOFError: Ran out of input", 0);

  // A stream buffer that throws in the middle of a pickle: badbit, OSError, the offset
  // of the opcode being read; the stream's exception mask does not change that.
  struct Throwing : std::streambuf {
    std::string data = std::string(
        "\x80\x02]q\x00(K\x01K\x02"
        "e.",
        13);
    std::size_t served = 0;
    int_type underflow() override {
      if (served == 6) throw std::runtime_error("device gone");
      setg(&data[served], &data[served], &data[served] + 1);
      return traits_type::to_int_type(data[served++]);
    }
  };
  for (bool exceptions : {false, true}) {
    Throwing buf;
    std::istream in(&buf);
    if (exceptions) in.exceptions(std::ios_base::badbit | std::ios_base::failbit | std::ios_base::eofbit);
    expect_error(
        "throwing streambuf", [&] { pickle::load(in); }, "OSError: [Errno 5] Input/output error", 6);
    EXPECT_TRUE(in.bad());
  }
  // Ending early sets eofbit and failbit, as std::istream::read; a complete load sets neither.
  std::istringstream cut(std::string("\x80\x02]q", 4));
  expect_error(
      "cut", [&] { pickle::load(cut); }, "UnpicklingError: pickle data was truncated", 3);
  EXPECT_TRUE(cut.eof() && cut.fail() && !cut.bad());
  std::istringstream whole(std::string("\x80\x02K\x01.", 5));
  pickle::load(whole);
  EXPECT_TRUE(whole.good());
  expect_error(
      "after the end", [&] { pickle::load(whole); }, "EOFError: Ran out of input", 0);
  EXPECT_TRUE(whole.eof() && whole.fail());
}

TEST(Errors, OpenErrorsNameThePathAsPython) {
  for (const char* name : {"enoent", "enoent_quote", "eisdir"}) {
    const std::string base = std::string("os.") + name;
    const std::filesystem::path path(golden_text(base + ".path", "text"));
    const std::string read = golden_text(base + ".read");
    expect_error(
        base + " load_file", [&] { pickle::load_file(path); }, read);
    expect_error(
        base + " load_file_all", [&] { pickle::load_file_all(path); }, read);
    expect_error(
        base + " MappedFile", [&] { pickle::MappedFile m(path); }, read);
    expect_error(
        base + " dump_file", [&] { pickle::dump_file(Value::none(), path); }, golden_text(base + ".write"));
  }
}

TEST(Errors, WriteErrorsAreOSErrors) {
  Graph g;
  const Value small = pickler_values(g)[2];
  const Value big = g.new_bytes(std::string(100000, 'b'));
  const std::string enospc = golden_text("os.enospc");
  for (Value v : {small, big}) {
    const char* what = v.is(small) ? "small" : "big";
    expect_error(
        std::string("dump_file /dev/full ") + what, [&] { pickle::dump_file(v, "/dev/full"); }, enospc);
    const int fd = ::open("/dev/full", O_WRONLY);
    expect_error(
        std::string("dump_fd /dev/full ") + what, [&] { pickle::dump_fd(v, fd); }, enospc);
    ::close(fd);
    std::FILE* f = std::fopen("/dev/full", "wb");
    expect_error(
        std::string("dump FILE* /dev/full ") + what, [&] { pickle::dump(v, f); }, enospc);
    std::fclose(f);
    std::ofstream out("/dev/full", std::ios::binary);
    expect_error(
        std::string("dump ofstream /dev/full ") + what, [&] { pickle::dump(v, out); }, enospc);
  }
  // A sink whose flush is left to the caller reports the error there.
  std::FILE* f = std::fopen("/dev/full", "wb");
  pickle::FileSink sink(f);
  pickle::Pickler(sink).dump(small);
  expect_error(
      "FileSink::flush", [&] { sink.flush(); }, enospc);
  std::fclose(f);

  TempDir dir;
  const std::filesystem::path path = dir.file("");
  const int rfd = ::open(path.c_str(), O_RDONLY);
  expect_error(
      "dump_fd read-only", [&] { pickle::dump_fd(small, rfd); }, golden_text("os.ebadf_write"));
  ::close(rfd);
  expect_error(
      "dump_fd closed", [&] { pickle::dump_fd(small, rfd); }, golden_text("os.ebadf_write"));
  expect_error(
      "dump null FILE", [&] { pickle::dump(small, static_cast<std::FILE*>(nullptr)); }, golden_text("os.ebadf_write"));
  std::ostringstream failed;
  failed.setstate(std::ios_base::failbit);
  expect_error(
      "dump failed ostream", [&] { pickle::dump(small, failed); }, "OSError: [Errno 5] Input/output error");

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  expect_error(
      "dump_fd to a pipe without reader", [&] { pickle::dump_fd(small, fds[1]); }, golden_text("os.epipe"));
  ::close(fds[1]);
}

// ---- dumping --------------------------------------------------------------------------------

enum class To { Ostream, File, Fd, Path, Gather };
constexpr To kAllTo[] = {To::Ostream, To::File, To::Fd, To::Path, To::Gather};
const char* to_name(To t) {
  switch (t) {
    case To::Ostream: return "ostream";
    case To::File: return "FILE*";
    case To::Fd: return "fd";
    case To::Path: return "path";
    case To::Gather: return "GatherSink";
  }
  return "?";
}

/// Each value dumped, one after another, through the convenience function of `to`.
std::string dump_all(To to, const std::vector<Value>& values, const pickle::PicklerOptions& o, TempDir& dir) {
  switch (to) {
    case To::Ostream: {
      std::ostringstream out;
      for (Value v : values) pickle::dump(v, out, o);
      return out.str();
    }
    case To::File: {
      const std::filesystem::path p = dir.file("");
      std::FILE* f = std::fopen(p.c_str(), "wb");
      for (Value v : values) pickle::dump(v, f, o);
      std::fclose(f);
      return read_file(p);
    }
    case To::Fd: {
      const std::filesystem::path p = dir.file("");
      const int fd = ::open(p.c_str(), O_WRONLY);
      for (Value v : values) pickle::dump_fd(v, fd, o);
      ::close(fd);
      return read_file(p);
    }
    case To::Gather: {
      pickle::GatherSink pieces;
      for (Value v : values) pickle::dump(v, pieces, o);
      std::ostringstream out;
      pickle::OstreamSink sink(out);
      pieces.write_to(sink);
      EXPECT_EQ(out.str().size(), pieces.size());
      return out.str();
    }
    case To::Path: {
      std::string all;
      const std::filesystem::path p = dir.file("stale content, truncated by dump_file");
      for (Value v : values) {
        pickle::dump_file(v, p, o);  // truncates
        all += read_file(p);
      }
      return all;
    }
  }
  return {};
}

TEST(Dump, EveryKindOfFileGetsCPythonsBytes) {
  TempDir dir;
  Graph g;
  const std::vector<Value> values = stream_values(g);
  for (int q = 0; q <= 5; ++q) {
    const std::string expected = golden_bytes("stream.all." + std::to_string(q));
    std::string dumps;
    for (Value v : values) dumps += pickle::dumps(v, {.protocol = q});
    EXPECT_EQ(pickle_golden::compare_bytes(expected, dumps), "") << "dumps, protocol " << q;
    for (To to : kAllTo) {
      const std::string got = dump_all(to, values, {.protocol = q}, dir);
      EXPECT_EQ(pickle_golden::compare_bytes(expected, got), "") << to_name(to) << ", protocol " << q;
    }
  }
}

TEST(Dump, OnePicklerStreamsSeveralDumpsIntoOneFile) {
  TempDir dir;
  for (int q = 0; q <= 5; ++q) {
    const std::string stream = "stream.pickler." + std::to_string(q);
    const std::string expected = golden_bytes(stream);
    Graph g;
    const std::vector<Value> values = pickler_values(g);
    auto dump_with = [&](pickle::Sink& sink) {
      pickle::Pickler p(sink, {.protocol = q});
      for (Value v : values) p.dump(v);
    };
    {
      std::ostringstream out;
      pickle::OstreamSink sink(out);
      dump_with(sink);
      sink.flush();
      EXPECT_EQ(pickle_golden::compare_bytes(expected, out.str()), "") << "OstreamSink " << q;
    }
    const std::filesystem::path p1 = dir.file("");
    {
      std::FILE* f = std::fopen(p1.c_str(), "wb");
      pickle::FileSink sink(f);
      dump_with(sink);
      sink.flush();
      std::fclose(f);
      EXPECT_EQ(pickle_golden::compare_bytes(expected, read_file(p1)), "") << "FileSink " << q;
    }
    const std::filesystem::path p2 = dir.file("");
    {
      const int fd = ::open(p2.c_str(), O_WRONLY);
      pickle::FdSink sink(fd);
      dump_with(sink);
      ::close(fd);
      EXPECT_EQ(pickle_golden::compare_bytes(expected, read_file(p2)), "") << "FdSink " << q;
    }
    // And back: one StreamUnpickler loads all three into one graph, sharing the memo.
    const int fd = ::open(p2.c_str(), O_RDONLY);
    pickle::FdSource source(fd);
    pickle::StreamUnpickler u(source);
    Graph back;
    for (Value v : values) EXPECT_TRUE(pickle::deep_equal(u.load(back), v)) << q;
    EXPECT_THROW(u.load(back), pickle::Error);
    ::close(fd);
  }
}

TEST(Dump, RoundTripThroughEveryKindOfSinkAndSource) {
  TempDir dir;
  Graph g;
  const std::vector<Value> values = stream_values(g);
  for (int q = 0; q <= 5; ++q) {
    for (To to : kAllTo) {
      if (to == To::Path) continue;  // one pickle per file
      const std::string data = dump_all(to, values, {.protocol = q}, dir);
      for (Via via : kAllVia) {
        std::unique_ptr<Reader> reader = make_reader(via, data, dir);
        for (Value v : values) {
          Graph loaded = reader->load({});
          EXPECT_TRUE(pickle::deep_equal(loaded.root(), v))
              << to_name(to) << " -> " << via_name(via) << ", protocol " << q << ": " << pickle::repr(v).substr(0, 60);
        }
        expect_error(
            std::string(to_name(to)) + " -> " + via_name(via) + " at the end", [&] { reader->load({}); },
            "EOFError: Ran out of input", 0);
      }
    }
    for (Value v : values) {
      const std::filesystem::path p = dir.name();
      pickle::dump_file(v, p, {.protocol = q});
      EXPECT_TRUE(pickle::deep_equal(pickle::load_file(p).root(), v)) << q;
      const std::vector<Graph> all = pickle::load_file_all(p);
      ASSERT_EQ(all.size(), 1u);
      EXPECT_TRUE(pickle::deep_equal(all[0].root(), v)) << q;
    }
  }
}

TEST(Dump, GatherSinkKeepsLargePayloadsWithoutCopyingThem) {
  Graph g;
  const Value big = g.new_bytes(std::string(100000, 'z'));
  const Value small = g.new_bytes(std::string(100, 's'));
  Value l = g.new_list();
  for (Value v : {big, small, big}) l.as_list().append(g, v);
  for (int q = 3; q <= 5; ++q) {
    pickle::GatherSink pieces;
    pickle::dump(l, pieces, {.protocol = q});
    std::string joined;
    int borrowed = 0;
    for (std::span<const std::uint8_t> piece : pieces.pieces()) {
      joined.append(reinterpret_cast<const char*>(piece.data()), piece.size());
      borrowed += piece.data() == big.as_bytes().view().data();
    }
    EXPECT_EQ(joined, pickle::dumps(l, {.protocol = q})) << q;
    EXPECT_EQ(pieces.size(), joined.size());
    EXPECT_EQ(borrowed, 1) << q;  // the second reference is a memo GET
    pieces.clear();
    EXPECT_TRUE(pieces.pieces().empty());
    EXPECT_EQ(pieces.size(), 0u);
  }
}

TEST(Dump, DumpFileCreatesWithTheUmaskAndFailedOptionsLeaveItTruncated) {
  TempDir dir;
  const std::filesystem::path p = dir.name();
  const mode_t old = ::umask(022);
  pickle::dump_file(Value::integer(1), p);
  ::umask(old);
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(read_file(p), pickle::dumps(Value::integer(1)));
  // As `with open(p, 'wb') as f: pickle.dump(1, f, protocol=6)`: opened, then refused.
  expect_error(
      "protocol 6", [&] { pickle::dump_file(Value::integer(1), p, {.protocol = 6}); },
      "ValueError: pickle protocol must be <= 5");
  EXPECT_EQ(read_file(p), "");
}

}  // namespace
