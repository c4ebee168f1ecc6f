// pickletools.optimize: drop the memo stores nothing reads, renumber the rest, and frame
// the result the way pickle.py's _Framer does (which differs from the C pickler's:
// frames commit before each opcode, and only payloads over 64 KiB go unframed).
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "bigint.h"
#include "pickle/dis.h"
#include "pickle/optimize.h"
#include "pickle/error.h"
#include "value_internal.h"

namespace pickle {

namespace {

constexpr std::size_t kFrameSizeMin = 4;
constexpr std::size_t kFrameSizeTarget = 64 * 1024;

// A memo id as Python compares it: ints (bools included) by value.
std::string id_key(Value arg) {
  if (arg.is_bool()) return arg.as_bool() ? "1" : "0";
  return detail::to_decimal(arg);
}

class Framer {
 public:
  explicit Framer(std::string& out) : out_(out) {}
  void start() { framing_ = true; }
  void write(std::string_view data) {
    if (framing_) {
      frame_ += data;
    } else {
      out_ += data;
    }
  }
  void write_unframed(std::string_view data) { out_ += data; }
  void commit(bool force) {
    if (!framing_ || (frame_.size() < kFrameSizeTarget && !force)) return;
    if (frame_.size() >= kFrameSizeMin) {
      char header[9] = {static_cast<char>(0x95)};
      for (int i = 0; i < 8; ++i) header[1 + i] = static_cast<char>((frame_.size() >> (8 * i)) & 0xff);
      out_.append(header, 9);
    }
    out_ += frame_;
    frame_.clear();
  }
  void end() {
    if (framing_ && !frame_.empty()) commit(true);
    framing_ = false;
  }

 private:
  std::string& out_;
  std::string frame_;
  bool framing_ = false;
};

}  // namespace

std::string optimize(std::span<const std::uint8_t> data) try {
  struct Put {
    std::string id;
  };
  struct Get {
    std::string id;
  };
  struct Copy {
    std::size_t pos, end;
  };
  std::vector<std::variant<Put, Get, Copy>> ops;
  std::unordered_map<std::string, char> old_ids;
  std::unordered_map<std::string, long long> new_ids;  // -1: read by a GET, not yet stored
  int proto = 0;
  std::string_view proto_header;
  const auto* chars = reinterpret_cast<const char*>(data.data());

  Graph g;
  genops(data, g, [&](const GenOp& op) {
    std::string_view name = op.info->name;
    if (name.find("PUT") != std::string_view::npos) {
      std::string id = id_key(op.arg);
      old_ids.emplace(id, 0);
      ops.push_back(Put{id});
    } else if (name == "MEMOIZE") {
      std::string id = std::to_string(old_ids.size());
      old_ids.emplace(id, 0);
      ops.push_back(Put{id});
    } else if (name == "FRAME") {
      // frames are rebuilt
    } else if (name.find("GET") != std::string_view::npos) {
      proto = std::max<int>(proto, op.info->proto);
      std::string id = id_key(op.arg);
      new_ids.emplace(id, -1);
      ops.push_back(Get{id});
    } else if (name == "PROTO") {
      proto = std::max<int>(proto, static_cast<int>(op.arg.as_int()));
      if (op.pos == 0) {
        proto_header = std::string_view(chars + op.pos, op.end - op.pos);
      } else {
        ops.push_back(Copy{op.pos, op.end});
      }
    } else {
      ops.push_back(Copy{op.pos, op.end});
    }
  });
  if (proto > 5) throw Error(ErrorType::ValueError, "pickle protocol must be <= 5");

  std::string out(proto_header);
  Framer framer(out);
  if (proto >= 4) framer.start();
  const bool bin = proto > 0;
  long long next = 0;
  char buf[32];
  for (const auto& op : ops) {
    std::string piece;
    bool frameless = false;
    if (const Put* put = std::get_if<Put>(&op)) {
      auto it = new_ids.find(put->id);
      if (it == new_ids.end()) continue;  // never read
      long long idx = next++;
      it->second = idx;
      if (proto >= 4) {
        piece = "\x94";
      } else if (bin && idx < 256) {
        piece = {'q', static_cast<char>(idx)};
      } else if (bin) {
        piece = "r";
        for (int i = 0; i < 4; ++i) piece += static_cast<char>((idx >> (8 * i)) & 0xff);
      } else {
        std::snprintf(buf, sizeof buf, "p%lld\n", idx);
        piece = buf;
      }
    } else if (const Get* get = std::get_if<Get>(&op)) {
      long long idx = new_ids.at(get->id);
      if (idx < 0) {
        // A GET before its PUT: pickle.py's get(None).
        if (bin) throw Error(ErrorType::TypeError, "'<' not supported between instances of 'NoneType' and 'int'");
        piece = "gNone\n";
      } else if (bin && idx < 256) {
        piece = {'h', static_cast<char>(idx)};
      } else if (bin) {
        piece = "j";
        for (int i = 0; i < 4; ++i) piece += static_cast<char>((idx >> (8 * i)) & 0xff);
      } else {
        std::snprintf(buf, sizeof buf, "g%lld\n", idx);
        piece = buf;
      }
    } else {
      const Copy& c = std::get<Copy>(op);
      piece.assign(chars + c.pos, c.end - c.pos);
      frameless = piece.size() > kFrameSizeTarget;
    }
    framer.commit(frameless);
    if (frameless) {
      framer.write_unframed(piece);
    } else {
      framer.write(piece);
    }
  }
  framer.end();
  return out;
} catch (...) {
  detail::rethrow_allocation_failure();
}

}  // namespace pickle
