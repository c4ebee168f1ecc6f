// pickle/io.h: loading pickles from, and dumping them to, streams, files and descriptors.
//
//   std::ifstream in("data.pickle", std::ios::binary);
//   pickle::Graph a = pickle::load(in);            // like pickle.load(f): one pickle
//   pickle::Graph b = pickle::load(in);            // the next one
//
//   pickle::Graph first = pickle::load_file("data.pickle");        // memory-mapped
//   pickle::dump_file(first.root(), "copy.pickle", {.protocol = 5});
//
//   pickle::FdSink out(fd);                       // several pickles in one stream,
//   pickle::Pickler p(out);                       // like pickle.Pickler(f)
//   p.dump(x);
//   p.dump(y);
//
// Reading follows CPython 3.11's C unpickler reading a file (`pickle.load(f)`): each load
// reads exactly one pickle and leaves the stream just past its STOP opcode, so pickles
// written one after another load one after another. Nothing is read past the pickle's
// end, so a pipe or a socket can carry more data after it. There is one exception, as in
// CPython: a FRAME whose declared length reaches past STOP has its whole length read
// (CPython reads a frame before executing it); a source that can seek (a regular file,
// a string stream, a seekable FILE) is then moved back to just past STOP, while a pipe is
// left at the end of the frame. (CPython's buffered files do the same for frames that fit
// their 8 KiB buffer; with larger frames, and with io.BytesIO or unbuffered files, CPython
// leaves even a seekable file at the end of the frame.) Pickles written by CPython or by
// this library always end their last frame at STOP.
//
// Errors: pickle::Error. The bytes of a pickle fail exactly as `pickle.load` of a file
// holding them fails in CPython (class, message), with the offset the in-memory loads()
// reports for the same bytes, counted from the pickle's first byte. A stream at its end
// is `EOFError: Ran out of input`; a pickle cut short is `UnpicklingError: pickle data
// was truncated`, or `EOFError: Ran out of input` where it is cut at an opcode boundary.
// One difference from loads(): a pickle that ends right after an empty SHORT_BINBYTES,
// BINBYTES, BINBYTES8 or BYTEARRAY8 is `EOFError: Ran out of input` from a file, where
// loads() of the same bytes says "pickle data was truncated" (CPython reads a file's
// payload with readinto(), which succeeds for zero bytes at the end). A length prefix
// larger than the data that follows is "pickle data was truncated", as with io.BytesIO
// (CPython's buffered files first try to allocate the declared size and raise
// MemoryError); nothing is allocated before the bytes arrive (see Limits below).
// The bytes are read before they are interpreted, as far as the pickle goes (its STOP,
// the end of the data, or a byte that is no opcode): the error is CPython's, but where
// CPython raises it as soon as it executes the bad opcode, a load from a pipe whose
// writer is still sending waits for the rest of the pickle (or the end) first.
//
// A failed read or write is an Error of type OSError whose message is CPython's:
// "[Errno 28] No space left on device", and for a path that cannot be opened
// "[Errno 2] No such file or directory: 'data.pickle'" (CPython raises the errno's
// subclass of OSError there, FileNotFoundError, PermissionError, IsADirectoryError,
// BrokenPipeError...; the library names them all OSError, the errno is in the message).
// Writing to a pipe whose reader has gone raises SIGPIPE unless the program ignores that
// signal (CPython ignores it at startup); then it is "[Errno 32] Broken pipe".
//
// Limits: a load buffers the bytes of the pickle it reads (the in-memory unpickler then
// runs over them), growing the buffer as the bytes arrive, never by a length the input
// declares. Those bytes count against UnpicklerOptions::limits.max_memory, separately
// from the graph: more than max_memory bytes of one pickle is a MemoryError ("pickle data
// exceeds the memory limit of N bytes", at the offset of the opcode being read).
//
// Borrowing: the bytes read from a stream live only during the call, so
// UnpicklerOptions::borrow_input is ignored by every function here (values are copied).
// To borrow from a file, map it with MappedFile and run a pickle::Unpickler over it.
//
// Thread safety: Sources, Sinks and StreamUnpicklers are not synchronized; use one from
// one thread at a time. The FILE* functions lock the FILE (flockfile) for the whole call,
// so that a pickle is read or written in one piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <span>
#include <vector>

#include "pickle/pickler.h"
#include "pickle/unpickler.h"
#include "pickle/value.h"

namespace pickle {

// ---- reading ------------------------------------------------------------------------------

/// Where a load reads from. Implement it to load from another kind of stream.
class Source {
 public:
  virtual ~Source() = default;
  /// Reads between 1 and data.size() bytes into data and returns how many, waiting for
  /// them if need be; returns 0 only at the end of the input. Throws pickle::Error
  /// (OSError) when reading fails. A load asks only for bytes the pickle is known to
  /// contain, unless can_read_ahead() is true, so a blocking source never waits for data
  /// past the pickle.
  virtual std::size_t read(std::span<std::uint8_t> data) = 0;
  /// Gives back the last n bytes read (n > 0), so that the next read() returns them again
  /// (seeks back n bytes). Returns false, having changed nothing, when the source cannot.
  /// Called after a load that read past the pickle's end (see can_read_ahead() and the
  /// FRAME case at the top of this file). The default cannot.
  virtual bool unread(std::size_t n) {
    (void)n;
    return false;
  }
  /// True when read() may be asked for more bytes than the pickle needs because
  /// unread() of the surplus always succeeds (a regular file): a load then reads in
  /// blocks and gives the surplus back. The default is false.
  virtual bool can_read_ahead() const { return false; }
};

/// Reads from a std::istream through its stream buffer: exactly the bytes a pickle needs,
/// so the stream is left just past each pickle. The stream must outlive the source.
/// State: a read that meets the end sets eofbit, one that gets nothing sets eofbit and
/// failbit (as std::istream::read does; the load then fails, and a successful load sets
/// neither even if it ends at the end of the stream); a stream buffer that throws sets
/// badbit. Exceptions the stream is configured to throw are not thrown: the load throws
/// pickle::Error instead. A stream already at eof reads as empty ("Ran out of input"); a
/// stream with failbit or badbit set, or without a buffer, fails with OSError
/// "[Errno 5] Input/output error" (errno, when the buffer set one, otherwise EIO). The
/// tied stream (std::cin's std::cout) is flushed before reading, as std::istream does.
class IstreamSource final : public Source {
 public:
  explicit IstreamSource(std::istream& in) noexcept : in_(in) {}
  std::size_t read(std::span<std::uint8_t> data) override;
  /// Seeks the stream buffer back (pubseekoff); false when it cannot seek.
  bool unread(std::size_t n) override;

 private:
  std::istream& in_;
};

/// Reads from a FILE* with fread: exactly the bytes a pickle needs, so the FILE is left
/// just past each pickle (the FILE's own buffer may have read further from its
/// descriptor, as stdio does). Does not close it. A FILE at end-of-file (feof) reads as
/// empty; a read error is OSError with fread's errno. A null FILE* is
/// "[Errno 9] Bad file descriptor".
class FileSource final : public Source {
 public:
  explicit FileSource(std::FILE* file) noexcept : file_(file) {}
  std::size_t read(std::span<std::uint8_t> data) override;
  /// fseeko back; false when the FILE cannot seek (a pipe).
  bool unread(std::size_t n) override;

 private:
  std::FILE* file_;
};

/// Reads from a file descriptor with read(2) (retried on EINTR), from its current
/// offset. Does not close it. A regular file or block device is read in blocks and the
/// offset is set back to just past each pickle (lseek). Anything else (a pipe, a socket,
/// a terminal) cannot give bytes back, so it is read exactly as far as the pickle goes:
/// a frame at a time for protocols 4 and 5, but one read(2) per opcode for protocols 0
/// to 3, which is slow for large pickles (about ten times slower than from a regular
/// file for a protocol-2 pickle of a million small tuples). Where the rest of the stream
/// is read through stdio anyway, a FILE (fdopen) reads faster. A read error is
/// OSError, e.g. "[Errno 9] Bad file descriptor" for a closed or write-only descriptor;
/// a non-blocking descriptor without data is "[Errno 11] Resource temporarily
/// unavailable".
class FdSource final : public Source {
 public:
  explicit FdSource(int fd) noexcept;
  std::size_t read(std::span<std::uint8_t> data) override;
  bool unread(std::size_t n) override;
  bool can_read_ahead() const override { return seekable_; }

 private:
  int fd_;
  bool seekable_;
};

/// pickle.load(f): loads the next pickle of `source` into a new Graph (root = the value),
/// with a fresh memo, leaving the source just past the pickle. Errors: see the top of
/// this file; after an error the source's position is unspecified (somewhere between
/// the start of the pickle and the end of what was read).
Graph load(Source& source, const UnpicklerOptions& options = {});
/// load(IstreamSource(in), options).
Graph load(std::istream& in, const UnpicklerOptions& options = {});
/// load(FileSource(file), options); the FILE is locked for the call.
Graph load(std::FILE* file, const UnpicklerOptions& options = {});
/// load(FdSource(fd), options).
Graph load_fd(int fd, const UnpicklerOptions& options = {});
/// pickle.load(open(path, 'rb')): the first pickle of the file at `path`. A regular file
/// is memory-mapped (and read when mapping fails); anything else (a FIFO, /dev/stdin) is
/// read as by load_fd, only as far as the first pickle goes. Opening errors are OSError
/// with CPython's message, naming the path as Python's repr of it:
/// "[Errno 2] No such file or directory: 'x.pickle'", "[Errno 21] Is a directory: '/tmp'".
Graph load_file(const std::filesystem::path& path, const UnpicklerOptions& options = {});
/// Every pickle of the file at `path`, one Graph each, in order, as repeated
/// pickle.load(f) calls until the end of the file would load them (each with a fresh
/// memo; to keep the memo across pickles, as pickle.Unpickler(f).load() does, use a
/// StreamUnpickler or a pickle::Unpickler over a MappedFile). An empty file gives none.
/// The first pickle that fails throws; its offsets count from that pickle's first byte.
/// The file is mapped as by MappedFile.
std::vector<Graph> load_file_all(const std::filesystem::path& path, const UnpicklerOptions& options = {});

/// pickle.Unpickler(f): loads the pickles of one Source one after another, keeping its
/// memo across loads into the same Graph (so the second pickle of a stream written by
/// one pickle::Pickler, which refers to objects of the first through the memo, loads;
/// pickle::load would fail on it with "Memo value not found at index 0", as pickle.load
/// does). The source must outlive the StreamUnpickler. Not copyable; movable.
class StreamUnpickler {
 public:
  explicit StreamUnpickler(Source& source, UnpicklerOptions options = {});
  ~StreamUnpickler();
  StreamUnpickler(StreamUnpickler&&) noexcept;
  StreamUnpickler& operator=(StreamUnpickler&&) noexcept;

  /// Loads the next pickle into g and returns its value (also set as g's root); the memo
  /// is cleared first when g is not the Graph of the previous load. Errors as load().
  Value load(Graph& g);
  void clear_memo();
  const UnpicklerOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The whole content of a file, read-only: memory-mapped when it is a regular file that
/// can be mapped, otherwise (a FIFO, a character device, a /proc file, a file mmap
/// refuses) read to its end into memory. Run a pickle::Unpickler over bytes() to load
/// every pickle in it, with borrow_input to let large str and bytes point into the
/// mapping:
///
///   pickle::MappedFile file("data.pickle");
///   pickle::Unpickler u({.borrow_input = true});
///   u.set_input(file.bytes());
///   pickle::Graph g;                     // file must outlive g
///   while (!u.at_end()) use(u.load(g));  // like pickle.Unpickler(f).load() to EOF
///
/// Another process truncating a mapped file makes reading its pages fault (SIGBUS), as
/// with any mapping. Errors (opening, reading) are OSError naming the path, as
/// load_file's. Thread safety: bytes() may be read from any number of threads.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// The file's bytes; valid until the MappedFile is destroyed or moved from.
  std::span<const std::uint8_t> bytes() const noexcept { return {data_, size_}; }
  std::size_t size() const noexcept { return size_; }
  /// True when the bytes are a mapping of the file, false when they were read.
  bool is_mapped() const noexcept { return mapped_; }

 private:
  void release() noexcept;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
  std::vector<std::uint8_t> read_;  // the content, when not mapped
};

// ---- writing ------------------------------------------------------------------------------

/// Writes to a std::ostream (ostream::write). The stream must outlive the sink. A stream
/// that is or becomes bad or failed makes write() throw OSError with the errno its buffer
/// left (ENOSPC for an std::ofstream on a full disk), else "[Errno 5] Input/output
/// error"; exceptions the stream is configured to throw become that OSError too. The
/// stream buffers: call flush() after the last write so that errors are not missed.
class OstreamSink final : public Sink {
 public:
  explicit OstreamSink(std::ostream& out) noexcept : out_(out) {}
  void write(std::span<const std::uint8_t> data) override;
  /// ostream::flush(); OSError when it fails.
  void flush();

 private:
  std::ostream& out_;
};

/// Writes to a FILE* (fwrite). Does not close it. A short write is OSError with fwrite's
/// errno. The FILE buffers: call flush() after the last write so that errors (a full
/// disk) are not missed. A null FILE* is "[Errno 9] Bad file descriptor".
class FileSink final : public Sink {
 public:
  explicit FileSink(std::FILE* file) noexcept : file_(file) {}
  void write(std::span<const std::uint8_t> data) override;
  /// fflush(); OSError when it fails.
  void flush();

 private:
  std::FILE* file_;
};

/// Writes to a file descriptor with write(2), retried after partial writes and EINTR;
/// unbuffered (the Pickler hands over whole frames, or whole pickles below protocol 4).
/// Does not close it. Errors are OSError: "[Errno 28] No space left on device",
/// "[Errno 9] Bad file descriptor" (closed or read-only), "[Errno 32] Broken pipe".
class FdSink final : public Sink {
 public:
  explicit FdSink(int fd) noexcept : fd_(fd) {}
  void write(std::span<const std::uint8_t> data) override;

 private:
  int fd_;
};

/// Collects a pickle in pieces, for a caller that writes it whole or not at all: the
/// frames and opcodes the Pickler writes are copied (each once, one after the other
/// into blocks of growing size; nothing grows by copying), while large payloads
/// (Sink::write_payload) are kept as references to the dumped value's data, never
/// copied. The value, and any input its strs and bytes borrow, must stay alive and
/// unchanged until the pieces have been written out.
///
///   pickle::GatherSink pieces;
///   pickle::dump(g.root(), pieces, {.protocol = 5});
///   pieces.write_to(out);   // each piece to out.write(), in order
class GatherSink final : public Sink {
 public:
  void write(std::span<const std::uint8_t> data) override;
  void write_payload(std::span<const std::uint8_t> data) override;
  /// The pickle, in order.
  const std::vector<std::span<const std::uint8_t>>& pieces() const noexcept { return pieces_; }
  /// The pickle's length.
  std::size_t size() const noexcept { return size_; }
  /// Hands every piece, in order, to sink.write().
  void write_to(Sink& sink) const;
  /// Forgets every piece.
  void clear() noexcept;

 private:
  struct FreeBlock {
    std::size_t size;
    void operator()(std::uint8_t* block) const noexcept;
  };
  using Block = std::unique_ptr<std::uint8_t[], FreeBlock>;
  std::vector<Block> blocks_;  // the copies of written bytes, the last one being filled
  std::size_t used_ = 0;       // bytes filled in the last block
  std::vector<std::span<const std::uint8_t>> pieces_;
  std::size_t size_ = 0;
};

/// pickle.dump(v, f, ...): Pickler(sink, options).dump(v). The bytes are those of
/// pickle::dumps(v, options), handed over as the streaming Pickler does (frames, large
/// payloads apart). A failure after some writes leaves them written, as in CPython.
void dump(Value v, Sink& sink, const PicklerOptions& options = {});
/// dump to an OstreamSink, then flush the stream: write and flush errors are OSError.
void dump(Value v, std::ostream& out, const PicklerOptions& options = {});
/// dump to a FileSink, then fflush: write and flush errors are OSError. The FILE is
/// locked for the call.
void dump(Value v, std::FILE* file, const PicklerOptions& options = {});
/// dump to an FdSink.
void dump_fd(Value v, int fd, const PicklerOptions& options = {});
/// `with open(path, 'wb') as f: pickle.dump(v, f, ...)`: creates the file (mode 0666
/// less the umask) or truncates it, writes the pickle and closes it; a failed close is
/// an error too. The file is opened before the options are checked and the value is
/// pickled, as in that Python code, so a failing dump leaves it truncated or partly
/// written. Opening errors are OSError naming the path, as load_file's.
void dump_file(Value v, const std::filesystem::path& path, const PicklerOptions& options = {});

}  // namespace pickle
