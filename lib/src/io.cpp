// Loading from and dumping to streams, FILEs, descriptors and paths (pickle/io.h).
//
// Loading a stream reads the bytes of one pickle into a buffer, opcode by opcode, with the
// argument layout of each opcode (opcodes.h): fixed-size arguments, length-prefixed ones,
// newline-terminated lines of protocol 0, and FRAME, whose declared length is read whole
// as CPython reads it. It stops at STOP, at the end of the input, or at an opcode the
// unpickler will reject anyway, and then runs the in-memory unpickler over the buffer.
// The unpickler alone decides what the bytes mean (value, error, where the pickle ends);
// the collection only has to gather at least the bytes it will look at, and, for a source
// that cannot give bytes back, no byte past the pickle. Errors of the unpickler on a
// prefix of a pickle are those CPython raises reading a file cut there (checked against
// CPython for every cut of sample pickles, lib/test/golden/gen_io_cases.py), except for
// one case adjusted below (file_error).
#include "pickle/io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>

#include "codecs.h"
#include "pickle/detail/arena.h"
#include "pickle/error.h"
#include "pickle/opcodes.h"
#include "pytext.h"

namespace pickle {

namespace {

// ---- OSError ----------------------------------------------------------------------------

// strerror_r is the GNU one (returns the text) or the XSI one (fills the buffer).
[[maybe_unused]] const char* strerror_result(int rc, const char* buf) { return rc == 0 ? buf : nullptr; }
[[maybe_unused]] const char* strerror_result(const char* text, const char*) { return text; }

// Python's text for an errno: "[Errno 28] No space left on device".
std::string errno_text(int err) {
  char buf[256];
  buf[0] = '\0';
  const char* text = strerror_result(strerror_r(err, buf, sizeof buf), buf);
  std::string out = "[Errno " + std::to_string(err) + "] ";
  out += text != nullptr && *text != '\0' ? text : ("Unknown error " + std::to_string(err)).c_str();
  return out;
}

Error os_error(int err) { return Error(ErrorType::OSError, errno_text(err)); }

// OSError(errno, strerror, filename): the filename is shown as Python's repr of the str
// that os.fsdecode makes of the path's bytes (UTF-8, undecodable bytes as surrogates).
Error os_error(int err, const std::filesystem::path& path) {
  std::string message = errno_text(err);
  message += ": ";
  std::string name;
  try {
    detail::decode_text("utf-8", "surrogateescape", path.native(), name);
  } catch (const Error&) {
    name = path.native();  // not reached: surrogateescape decodes any bytes
  }
  detail::append_repr_str(message, name);
  return Error(ErrorType::OSError, std::move(message));
}

// errno after a failed call, or EIO when the call left none.
int errno_or_eio(int err) { return err != 0 ? err : EIO; }

// The errno an exception out of a stream buffer stands for: libstdc++ throws
// ios_base::failure carrying the errno of a failed read or write (system_category); other
// exceptions, and failures about the stream's state, carry none.
int errno_of_current_exception(int saved_errno) {
  try {
    throw;
  } catch (const std::ios_base::failure& f) {
    const std::error_code& code = f.code();
    if (code.value() != 0 &&
        (code.category() == std::system_category() || code.category() == std::generic_category())) {
      return code.value();
    }
  } catch (...) {
  }
  return errno_or_eio(saved_errno);
}

// Sets stream state bits without letting the stream's exception mask throw: the caller
// reports the failure as a pickle::Error.
void set_state(std::ios& stream, std::ios_base::iostate bits) {
  try {
    stream.setstate(bits);
  } catch (...) {
  }
}

struct FileLock {
  explicit FileLock(std::FILE* f) : file(f) {
    if (file != nullptr) flockfile(file);
  }
  ~FileLock() {
    if (file != nullptr) funlockfile(file);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  std::FILE* file;
};

struct UniqueFd {
  explicit UniqueFd(int f) : fd(f) {}
  ~UniqueFd() {
    if (fd >= 0) ::close(fd);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int fd;
};

int open_retrying(const std::filesystem::path& path, int flags, mode_t mode = 0) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

// open(path, 'rb'): FileIO refuses a directory after opening it.
int open_for_reading(const std::filesystem::path& path, struct stat& st) {
  const int fd = open_retrying(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw os_error(errno, path);
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw os_error(err, path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw os_error(EISDIR, path);
  }
  return fd;
}

// ---- what CPython's file reading changes --------------------------------------------------

std::uint64_t read_le(const std::uint8_t* p, int n) {
  std::uint64_t x = 0;
  for (int i = n - 1; i >= 0; --i) x = (x << 8) | p[i];
  return x;
}

// CPython reads the payload of SHORT_BINBYTES, BINBYTES, BINBYTES8 and BYTEARRAY8 with
// _Unpickler_ReadInto. In memory that fails at the end of the input even for zero bytes
// (the in-memory unpickler reproduces it: "pickle data was truncated"); from a file it
// calls readinto() with an empty buffer, which succeeds, and the next opcode's read then
// fails: EOFError "Ran out of input" at the end of the data.
Error file_error(Error e, std::span<const std::uint8_t> data) {
  if (e.type() != ErrorType::UnpicklingError || !e.offset() || e.message() != "pickle data was truncated") {
    return e;
  }
  const std::size_t at = *e.offset();
  if (at >= data.size()) return e;
  int len_bytes = 0;
  switch (static_cast<Op>(data[at])) {
    case Op::SHORT_BINBYTES: len_bytes = 1; break;
    case Op::BINBYTES: len_bytes = 4; break;
    case Op::BINBYTES8:
    case Op::BYTEARRAY8: len_bytes = 8; break;
    default: return e;
  }
  if (data.size() - at != 1 + static_cast<std::size_t>(len_bytes)) return e;
  if (read_le(data.data() + at + 1, len_bytes) != 0) return e;
  return Error(ErrorType::EOFError, "Ran out of input", data.size());
}

UnpicklerOptions without_borrowing(UnpicklerOptions options) {
  options.borrow_input = false;
  return options;
}

// ---- gathering one pickle's bytes ---------------------------------------------------------

constexpr std::size_t kMinRead = 4096;
// A buffer larger than this is released after a load rather than kept for the next.
constexpr std::size_t kKeepBuffer = std::size_t{1} << 20;
constexpr std::uint64_t kMaxSsize = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

class Collector {
 public:
  Collector(Source& source, std::vector<std::uint8_t>& buf, std::size_t limit)
      : src_(source), buf_(buf), limit_(limit), ahead_(source.can_read_ahead()) {}

  /// Reads until the pickle's STOP, the end of the input, or an opcode the unpickler
  /// rejects at once (an unknown byte, a length it refuses). Throws what the source throws
  /// and MemoryError at the limit.
  void collect();
  std::size_t have() const noexcept { return have_; }
  /// Offset of the opcode being read when collect() returned or threw.
  std::size_t op_start() const noexcept { return op_start_; }

 private:
  bool fill(std::uint64_t want);
  bool lines(std::size_t& pos, int count);

  Source& src_;
  std::vector<std::uint8_t>& buf_;  // its size is the capacity in use; have_ bytes are data
  std::size_t limit_;
  bool ahead_;
  std::size_t have_ = 0;
  std::size_t op_start_ = 0;
};

// Makes the first `want` bytes of the pickle available; false when the input ends first.
// Without read-ahead, asks the source only for bytes below `want`, which the caller
// knows the pickle contains. The buffer grows with the bytes that arrive (at most
// doubling per read), never by the size asked for.
bool Collector::fill(std::uint64_t want) {
  while (have_ < want) {
    if (have_ >= limit_) {
      // At the limit: one more byte tells a pickle that is too large from one cut short.
      std::uint8_t probe;
      if (src_.read(std::span(&probe, 1)) == 0) return false;
      throw Error(ErrorType::MemoryError,
                  "pickle data exceeds the memory limit of " + std::to_string(limit_) + " bytes", op_start_);
    }
    const std::size_t step = std::max(have_, kMinRead);
    std::size_t ask = ahead_ ? step : static_cast<std::size_t>(std::min<std::uint64_t>(want - have_, step));
    ask = std::min(ask, limit_ - have_);
    if (buf_.size() < have_ + ask) {
      try {
        buf_.resize(have_ + ask);
      } catch (const std::bad_alloc&) {
        throw Error(ErrorType::MemoryError, "out of memory", op_start_);
      }
    }
    const std::size_t got = src_.read(std::span(buf_.data() + have_, ask));
    if (got == 0) return false;
    have_ += std::min(got, ask);
  }
  return true;
}

// Reads `count` newline-terminated lines from pos. While a line is unfinished, its newline
// and the next opcode (the opcode is not STOP) are still to come: two bytes.
bool Collector::lines(std::size_t& pos, int count) {
  for (int i = 0; i < count; ++i) {
    std::size_t scan = pos;
    for (;;) {
      const void* nl = std::memchr(buf_.data() + scan, '\n', have_ - scan);
      if (nl != nullptr) {
        pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - buf_.data()) + 1;
        break;
      }
      scan = have_;
      if (!fill(std::uint64_t{have_} + 2) && have_ == scan) return false;
    }
  }
  return true;
}

void Collector::collect() {
  std::size_t pos = 0;
  for (;;) {
    op_start_ = pos;
    if (!fill(std::uint64_t{pos} + 1)) return;
    const std::uint8_t code = buf_[pos];
    const OpInfo* info = op_info(code);
    if (info == nullptr) return;  // invalid load key
    ++pos;
    if (code == static_cast<std::uint8_t>(Op::STOP)) return;
    // Every opcode but STOP is followed by another: after an argument, ask for one byte
    // more, so that a pipe is read in one call per opcode rather than two.
    std::uint64_t arg = 0;
    int len_bytes = 0;
    bool signed_len = false;
    switch (info->arg) {
      case ArgKind::None: continue;
      case ArgKind::Uint1: arg = 1; break;
      case ArgKind::Uint2: arg = 2; break;
      case ArgKind::Int4:
      case ArgKind::Uint4: arg = 4; break;
      case ArgKind::Float8: arg = 8; break;
      case ArgKind::Uint8: len_bytes = 8; break;  // FRAME
      case ArgKind::Long1:
      case ArgKind::String1:
      case ArgKind::Bytes1:
      case ArgKind::Unicodestring1: len_bytes = 1; break;
      case ArgKind::Long4:
        len_bytes = 4;
        signed_len = true;
        break;
      case ArgKind::String4:
      case ArgKind::Bytes4:
      case ArgKind::Unicodestring4: len_bytes = 4; break;
      case ArgKind::Bytes8:
      case ArgKind::Bytearray8:
      case ArgKind::Unicodestring8: len_bytes = 8; break;
      case ArgKind::DecimalnlShort:
      case ArgKind::DecimalnlLong:
      case ArgKind::Stringnl:
      case ArgKind::StringnlNoescape:
      case ArgKind::Unicodestringnl:
      case ArgKind::Floatnl:
        if (!lines(pos, 1)) return;
        continue;
      case ArgKind::StringnlNoescapePair:
        if (!lines(pos, 2)) return;
        continue;
    }
    if (len_bytes != 0) {
      if (!fill(std::uint64_t{pos} + static_cast<std::uint64_t>(len_bytes) + 1) &&
          have_ < pos + static_cast<std::size_t>(len_bytes)) {
        return;
      }
      const std::uint64_t len = read_le(buf_.data() + pos, len_bytes);
      pos += static_cast<std::size_t>(len_bytes);
      // The unpickler refuses these lengths before reading: LONG4's negative count, a
      // size beyond Py_ssize_t, a read that would overflow it.
      if (signed_len && (len & 0x80000000u) != 0) return;
      if (len > kMaxSsize - pos) return;
      if (code == static_cast<std::uint8_t>(Op::FRAME)) {
        // The whole frame, as CPython reads it; its opcodes are then read like any others.
        if (!fill(std::uint64_t{pos} + std::max<std::uint64_t>(len, 1)) && have_ - pos < len) return;
        continue;
      }
      arg = len;
    }
    if (!fill(std::uint64_t{pos} + arg + 1) && have_ - pos < arg) return;
    pos += static_cast<std::size_t>(arg);
  }
}

}  // namespace

// ---- sources ------------------------------------------------------------------------------

std::size_t IstreamSource::read(std::span<std::uint8_t> data) {
  if (data.empty()) return 0;
  std::streambuf* buf = in_.rdbuf();
  if (in_.bad() || buf == nullptr) throw os_error(EIO);
  if (in_.eof()) return 0;
  if (in_.fail()) throw os_error(EIO);
  const auto n = static_cast<std::streamsize>(
      std::min<std::size_t>(data.size(), static_cast<std::size_t>(std::numeric_limits<std::streamsize>::max())));
  std::streamsize got = 0;
  errno = 0;
  try {
    if (std::ostream* tied = in_.tie(); tied != nullptr && buf->in_avail() <= 0) tied->flush();
    got = buf->sgetn(reinterpret_cast<char*>(data.data()), n);
  } catch (...) {
    const int err = errno_of_current_exception(errno);
    set_state(in_, std::ios_base::badbit);
    throw os_error(err);
  }
  if (got <= 0) {
    set_state(in_, std::ios_base::eofbit | std::ios_base::failbit);
    return 0;
  }
  if (got < n) {
    // Short: the end, for the standard buffers; another may return what it has so far.
    bool at_end = true;
    try {
      at_end = std::istream::traits_type::eq_int_type(buf->sgetc(), std::istream::traits_type::eof());
    } catch (...) {
      at_end = false;  // the next read reports it
    }
    if (at_end) set_state(in_, std::ios_base::eofbit);
  }
  return static_cast<std::size_t>(got);
}

bool IstreamSource::unread(std::size_t n) {
  std::streambuf* buf = in_.rdbuf();
  if (buf == nullptr) return false;
  try {
    const std::streampos at = buf->pubseekoff(-static_cast<std::streamoff>(n), std::ios_base::cur, std::ios_base::in);
    return at != std::streampos(std::streamoff(-1));
  } catch (...) {
    return false;
  }
}

std::size_t FileSource::read(std::span<std::uint8_t> data) {
  if (file_ == nullptr) throw os_error(EBADF);
  if (data.empty()) return 0;
  errno = 0;
  const std::size_t got = std::fread(data.data(), 1, data.size(), file_);
  if (got < data.size() && !std::feof(file_) && std::ferror(file_)) throw os_error(errno_or_eio(errno));
  return got;
}

bool FileSource::unread(std::size_t n) {
  if (file_ == nullptr || n > static_cast<std::size_t>(std::numeric_limits<off_t>::max())) return false;
  return ::fseeko(file_, -static_cast<off_t>(n), SEEK_CUR) == 0;
}

FdSource::FdSource(int fd) noexcept : fd_(fd), seekable_(false) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
    seekable_ = ::lseek(fd, 0, SEEK_CUR) != static_cast<off_t>(-1);
  }
}

std::size_t FdSource::read(std::span<std::uint8_t> data) {
  if (data.empty()) return 0;
  const std::size_t n = std::min<std::size_t>(data.size(), std::numeric_limits<ssize_t>::max());
  for (;;) {
    const ssize_t got = ::read(fd_, data.data(), n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw os_error(errno);
  }
}

bool FdSource::unread(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<off_t>::max())) return false;
  return ::lseek(fd_, -static_cast<off_t>(n), SEEK_CUR) != static_cast<off_t>(-1);
}

// ---- loading --------------------------------------------------------------------------------

struct StreamUnpickler::Impl {
  Source* source;
  Unpickler unpickler;
  std::vector<std::uint8_t> buf;

  Impl(Source& s, UnpicklerOptions options) : source(&s), unpickler(without_borrowing(std::move(options))) {}

  Value load(Graph& g) {
    Collector collector(*source, buf, unpickler.options().limits.max_memory);
    // A read error or the memory limit met while gathering the bytes. CPython executes
    // each opcode as it reads it, so an error of the opcodes before wins.
    std::optional<Error> failure;
    try {
      collector.collect();
    } catch (Error& e) {
      if (!e.offset()) e.set_offset(collector.op_start());
      failure = std::move(e);
    }
    const std::span<const std::uint8_t> data(buf.data(), collector.have());
    unpickler.set_input(data);
    Value v;
    try {
      v = unpickler.load(g);
    } catch (const Error& e) {
      Error err = file_error(e, data);
      release_large_buffer();
      if (failure && !(err.offset() && *err.offset() < collector.op_start())) throw *failure;
      throw err;
    }
    const std::size_t end = unpickler.position();
    release_large_buffer();
    if (end < collector.have() && !source->unread(collector.have() - end) && source->can_read_ahead()) {
      // A read-ahead source promised to take the surplus back.
      throw os_error(ESPIPE);
    }
    return v;
  }

  void release_large_buffer() {
    if (buf.size() > kKeepBuffer) std::vector<std::uint8_t>().swap(buf);
  }
};

StreamUnpickler::StreamUnpickler(Source& source, UnpicklerOptions options)
    : impl_(std::make_unique<Impl>(source, std::move(options))) {}
StreamUnpickler::~StreamUnpickler() = default;
StreamUnpickler::StreamUnpickler(StreamUnpickler&&) noexcept = default;
StreamUnpickler& StreamUnpickler::operator=(StreamUnpickler&&) noexcept = default;

Value StreamUnpickler::load(Graph& g) { return impl_->load(g); }
void StreamUnpickler::clear_memo() { impl_->unpickler.clear_memo(); }
const UnpicklerOptions& StreamUnpickler::options() const noexcept { return impl_->unpickler.options(); }

Graph load(Source& source, const UnpicklerOptions& options) {
  StreamUnpickler u(source, options);
  Graph g;
  u.load(g);
  return g;
}

Graph load(std::istream& in, const UnpicklerOptions& options) {
  IstreamSource source(in);
  return load(source, options);
}

Graph load(std::FILE* file, const UnpicklerOptions& options) {
  FileLock lock(file);
  FileSource source(file);
  return load(source, options);
}

Graph load_fd(int fd, const UnpicklerOptions& options) {
  FdSource source(fd);
  return load(source, options);
}

namespace {

// One pickle from the start of `data`, a whole file in memory.
Graph load_from_memory(Unpickler& u, std::span<const std::uint8_t> data) {
  u.set_input(data);
  Graph g;
  try {
    u.load(g);
  } catch (const Error& e) {
    throw file_error(e, data);
  }
  return g;
}

// The whole file mapped read-only, or an empty span for what cannot be mapped: a FIFO, a
// device, an empty or /proc file, a file mmap refuses.
std::span<const std::uint8_t> map_whole_file(int fd, const struct stat& st) {
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
      static_cast<std::uint64_t>(st.st_size) > std::numeric_limits<std::size_t>::max()) {
    return {};
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return {};
  return {static_cast<const std::uint8_t*>(p), size};
}

}  // namespace

Graph load_file(const std::filesystem::path& path, const UnpicklerOptions& options) {
  struct stat st;
  UniqueFd fd(open_for_reading(path, st));
  if (const std::span<const std::uint8_t> mapped = map_whole_file(fd.fd, st); !mapped.empty()) {
    struct Unmap {
      std::span<const std::uint8_t> m;
      ~Unmap() { ::munmap(const_cast<std::uint8_t*>(m.data()), m.size()); }
    } unmap{mapped};
    Unpickler u(without_borrowing(options));
    return load_from_memory(u, mapped);
  }
  FdSource source(fd.fd);
  return load(source, options);
}

std::vector<Graph> load_file_all(const std::filesystem::path& path, const UnpicklerOptions& options) {
  MappedFile file(path);
  const std::span<const std::uint8_t> bytes = file.bytes();
  Unpickler u(without_borrowing(options));
  std::vector<Graph> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::span<const std::uint8_t> rest = bytes.subspan(pos);
    out.push_back(load_from_memory(u, rest));
    pos += u.position();
  }
  return out;
}

// ---- MappedFile ---------------------------------------------------------------------------

MappedFile::MappedFile(const std::filesystem::path& path) {
  struct stat st;
  UniqueFd fd(open_for_reading(path, st));
  if (const std::span<const std::uint8_t> mapped = map_whole_file(fd.fd, st); !mapped.empty()) {
    data_ = mapped.data();
    size_ = mapped.size();
    mapped_ = true;
    return;
  }
  // Read it to its end.
  std::size_t have = 0;
  for (;;) {
    if (read_.size() - have < kMinRead) read_.resize(std::max(read_.size() * 2, have + kMinRead));
    const ssize_t got = ::read(fd.fd, read_.data() + have, read_.size() - have);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw os_error(errno);
    }
    if (got == 0) break;
    have += static_cast<std::size_t>(got);
  }
  read_.resize(have);
  read_.shrink_to_fit();
  data_ = read_.data();
  size_ = have;
}

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(other.data_), size_(other.size_), mapped_(other.mapped_), read_(std::move(other.read_)) {
  if (!mapped_) data_ = read_.data();
  other.data_ = nullptr;
  other.size_ = 0;
  other.mapped_ = false;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    read_ = std::move(other.read_);
    if (!mapped_) data_ = read_.data();
    other.data_ = nullptr;
    other.size_ = 0;
    other.mapped_ = false;
  }
  return *this;
}

void MappedFile::release() noexcept {
  if (mapped_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
  read_.clear();
}

// ---- sinks ----------------------------------------------------------------------------------

void OstreamSink::write(std::span<const std::uint8_t> data) {
  errno = 0;
  try {
    if (!out_.fail() && !data.empty()) {
      out_.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    }
  } catch (...) {
    throw os_error(errno_of_current_exception(errno));
  }
  if (out_.fail()) throw os_error(errno_or_eio(errno));
}

void OstreamSink::flush() {
  errno = 0;
  try {
    if (!out_.fail()) out_.flush();
  } catch (...) {
    throw os_error(errno_of_current_exception(errno));
  }
  if (out_.fail()) throw os_error(errno_or_eio(errno));
}

void FileSink::write(std::span<const std::uint8_t> data) {
  if (file_ == nullptr) throw os_error(EBADF);
  if (data.empty()) return;
  errno = 0;
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) throw os_error(errno_or_eio(errno));
}

void FileSink::flush() {
  if (file_ == nullptr) throw os_error(EBADF);
  errno = 0;
  if (std::fflush(file_) != 0) throw os_error(errno_or_eio(errno));
}

void FdSink::write(std::span<const std::uint8_t> data) {
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const std::size_t n = std::min<std::size_t>(left, std::numeric_limits<ssize_t>::max());
    const ssize_t put = ::write(fd_, p, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw os_error(errno);
    }
    if (put == 0) throw os_error(EIO);  // no progress and no error: do not spin
    p += put;
    left -= static_cast<std::size_t>(put);
  }
}

void GatherSink::FreeBlock::operator()(std::uint8_t* block) const noexcept { detail::free_block(block, size); }

void GatherSink::write(std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  if (blocks_.empty() || blocks_.back().get_deleter().size - used_ < data.size()) {
    // Blocks double from 64 KiB to 16 MiB: a large pickle is copied into few of them,
    // each backed by huge pages (detail::allocate_block).
    constexpr std::size_t kFirst = std::size_t{64} << 10, kMost = std::size_t{16} << 20;
    const std::size_t last = blocks_.empty() ? kFirst / 2 : blocks_.back().get_deleter().size;
    const std::size_t size = std::max(std::min(2 * last, kMost), data.size());
    auto* block = static_cast<std::uint8_t*>(detail::allocate_block(size, false));
    if (!block) throw std::bad_alloc();
    blocks_.emplace_back(block, FreeBlock{size});
    used_ = 0;
  }
  std::uint8_t* at = blocks_.back().get() + used_;
  std::memcpy(at, data.data(), data.size());
  used_ += data.size();
  size_ += data.size();
  // Bytes that follow the last piece in its block extend it (a payload never ends in one).
  if (at != blocks_.back().get() && pieces_.back().data() + pieces_.back().size() == at) {
    pieces_.back() = std::span<const std::uint8_t>(pieces_.back().data(), pieces_.back().size() + data.size());
  } else {
    pieces_.emplace_back(at, data.size());
  }
}

void GatherSink::write_payload(std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  pieces_.push_back(data);
  size_ += data.size();
}

void GatherSink::write_to(Sink& sink) const {
  for (std::span<const std::uint8_t> piece : pieces_) sink.write(piece);
}

void GatherSink::clear() noexcept {
  blocks_.clear();
  used_ = 0;
  pieces_.clear();
  size_ = 0;
}

// ---- dumping --------------------------------------------------------------------------------

void dump(Value v, Sink& sink, const PicklerOptions& options) {
  Pickler pickler(sink, options);
  pickler.dump(v);
}

void dump(Value v, std::ostream& out, const PicklerOptions& options) {
  OstreamSink sink(out);
  dump(v, sink, options);
  sink.flush();
}

void dump(Value v, std::FILE* file, const PicklerOptions& options) {
  FileLock lock(file);
  FileSink sink(file);
  dump(v, sink, options);
  sink.flush();
}

void dump_fd(Value v, int fd, const PicklerOptions& options) {
  FdSink sink(fd);
  dump(v, sink, options);
}

void dump_file(Value v, const std::filesystem::path& path, const PicklerOptions& options) {
  const int fd = open_retrying(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw os_error(errno, path);
  try {
    FdSink sink(fd);
    dump(v, sink, options);
  } catch (...) {
    ::close(fd);
    throw;
  }
  // The descriptor is released even when close fails; EINTR is no failure of the write.
  if (::close(fd) != 0 && errno != EINTR) throw os_error(errno);
}

}  // namespace pickle
