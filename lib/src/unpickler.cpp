// The unpickler: a stack machine over an in-memory buffer that follows CPython 3.11's C
// unpickler (Modules/_pickle.c, load_*) opcode by opcode, including its checks and their
// order, so that the same bytes fail with the same exception and message. Where CPython
// would import a module or call a Python callable, this machine builds inert nodes
// instead (see call() and find_class()).
#include "pickle/unpickler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>
#include <unordered_map>

#include "bigint.h"
#include "codecs.h"
#include "evaluate.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/opcodes.h"
#include "pytext.h"
#include "reduce.h"
#include "access.h"
#include "globals.h"
#include "load_observer.h"
#include "value_internal.h"

namespace pickle {

namespace {

using detail::unpickling_error;

[[noreturn]] void truncated() { unpickling_error("pickle data was truncated"); }

std::string quote(std::string_view wtf8) {
  std::string s;
  detail::append_repr_str(s, wtf8);
  return s;
}

// CPython copies each line into a NUL-terminated buffer before parsing it with C string
// functions, which therefore stop at the first NUL byte.
std::string_view c_string(std::string_view line) {
  std::size_t nul = line.find('\0');
  return nul == std::string_view::npos ? line : line.substr(0, nul);
}

std::uint64_t read_le(const std::uint8_t* p, int n) {
  std::uint64_t x = 0;
  for (int i = n - 1; i >= 0; --i) x = (x << 8) | p[i];
  return x;
}

// The unpickling stack: storage of its own, with its own size, so that a push is a
// plain store of the value. (std::vector::push_back, which GCC leaves out of line in the
// opcode loop, takes the value by reference: each push reloaded a value just stored in
// two halves, and that wide reload of narrow stores stalls.) It grows by
// detail::resize_block, which moves a large block by remapping its pages, neither
// copying nor zero-filling them.
class ValueStack {
 public:
  ValueStack() = default;
  ValueStack(const ValueStack&) = delete;
  ValueStack& operator=(const ValueStack&) = delete;
  ~ValueStack() { detail::free_block(slots_, capacity_ * sizeof(Value)); }

  std::size_t size() const noexcept { return size_; }
  bool full() const noexcept { return size_ == capacity_; }
  /// Requires !full().
  void push_unchecked(Value v) noexcept { slots_[size_++] = v; }
  void grow() {
    const std::size_t n = capacity_ ? capacity_ * 2 : 64;
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(Value)) throw std::bad_alloc();
    void* fresh = detail::resize_block(slots_, capacity_ * sizeof(Value), n * sizeof(Value), false);
    if (!fresh) throw std::bad_alloc();
    slots_ = static_cast<Value*>(fresh);
    capacity_ = n;
  }
  Value& back() noexcept { return slots_[size_ - 1]; }
  void pop_back() noexcept { --size_; }
  /// Drops the values from index n on (n <= size()).
  void truncate(std::size_t n) noexcept { size_ = n; }
  void clear() noexcept { size_ = 0; }
  Value* data() noexcept { return slots_; }
  Value& operator[](std::size_t i) noexcept { return slots_[i]; }

 private:
  static_assert(std::is_trivially_copyable_v<Value>, "moved by resize_block");
  Value* slots_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace

Value keep_persistent_ids(Graph& g, Value pid) { return g.new_persistent_id(pid); }

// The dense memo's arrays, grown with detail::resize_block: a large array is remapped
// rather than copied, and the stamps of new slots come zeroed (a value is read only where
// its stamp says it was set), so growing touches no more memory than the entries do.
class DenseMemo {
 public:
  static_assert(std::is_trivially_copyable_v<Value>);
  DenseMemo() = default;
  DenseMemo(const DenseMemo&) = delete;
  DenseMemo& operator=(const DenseMemo&) = delete;
  ~DenseMemo() { reset(); }
  std::size_t size() const noexcept { return size_; }
  Value& value(std::size_t i) noexcept { return values_[i]; }
  const Value& value(std::size_t i) const noexcept { return values_[i]; }
  std::uint32_t& stamp(std::size_t i) noexcept { return stamps_[i]; }
  std::uint32_t stamp(std::size_t i) const noexcept { return stamps_[i]; }
  /// n slots (n > size()), the new ones unset.
  void grow(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(Value)) throw std::bad_alloc();
    resize(values_, values_slots_, n, false);
    resize(stamps_, stamps_slots_, n, true);
    size_ = n;
  }
  void reset() noexcept {
    detail::free_block(values_, values_slots_ * sizeof(Value));
    detail::free_block(stamps_, stamps_slots_ * sizeof(std::uint32_t));
    values_ = nullptr;
    stamps_ = nullptr;
    values_slots_ = stamps_slots_ = size_ = 0;
  }

 private:
  // Each array keeps its own size, which a failure between the two resizes leaves apart.
  template <class T>
  static void resize(T*& array, std::size_t& slots, std::size_t n, bool zero_new) {
    void* p = detail::resize_block(array, slots * sizeof(T), n * sizeof(T), zero_new);
    if (!p) throw std::bad_alloc();
    array = static_cast<T*>(p);
    slots = n;
  }
  Value* values_ = nullptr;
  std::uint32_t* stamps_ = nullptr;
  std::size_t values_slots_ = 0;
  std::size_t stamps_slots_ = 0;
  std::size_t size_ = 0;  // slots in both
};

struct Unpickler::Impl {
  UnpicklerOptions opts;
  const std::uint8_t* begin = nullptr;
  const std::uint8_t* p = nullptr;
  const std::uint8_t* end = nullptr;
  const std::uint8_t* op_start = nullptr;
  const std::uint8_t* tuple2_end = nullptr;  // just past the last TUPLE2 (state setter detection)
  const std::uint8_t* tuple_end = nullptr;   // just past the last TUPLE or TUPLE2 (getattr's arguments)
  const std::uint8_t* str_end = nullptr;     // just past the last BINUNICODE-family opcode
  bool tuple_ends_with_str = false;          // that tuple's last item is the str built just before it

  Graph* g = nullptr;
  std::uint64_t memo_graph = 0;  // Graph::id() of the graph the memo points into
  ValueStack stack;
  std::vector<std::size_t> marks;
  std::size_t fence = 0;  // stack index of the top mark; pops may not go below it
  // A value REDUCE built (Evaluator::last_built) while it sits at stack index
  // `unescaped_at` with nothing else referring to it: not memoized, not DUP'ed, not
  // consumed. Popped there, its large blocks go back at once, as CPython frees it.
  Value unescaped;
  std::size_t unescaped_at = 0;
  // Memory the arena handed out since `fresh_mark` is referred to only from stack slots
  // `fresh_base` and up: since then nothing was memoized or duplicated, no global named,
  // nothing called, no value put into an older object. When the stack shrinks to
  // fresh_base all of it is garbage, and it goes back at once, as CPython frees what it
  // pops: EMPTY_LIST POP a million times costs no memory.
  detail::Arena::Mark fresh_mark{};
  std::size_t fresh_base = 0;
  bool fresh_active = false;
  int proto = 0;
  detail::Evaluator eval{nullptr, &opts, 0};
  detail::LoadObserver* observer = nullptr;  // pickle::scan's recorder, when scanning

  // The memo: dense for the indexes picklers write (0, 1, 2, ...), sparse for far
  // outliers, so that an index named by the input never sizes an array. A dense slot
  // is set when its stamp is the current epoch: clearing the memo between loads is a
  // new epoch, and the dense arrays keep their size for the next load.
  DenseMemo memo;
  std::uint32_t memo_epoch = 1;
  std::unordered_map<std::uint64_t, Value> memo_sparse;
  std::size_t memo_len = 0;

  std::size_t next_buffer = 0;
  std::string scratch;

  explicit Impl(UnpicklerOptions o) : opts(std::move(o)) {}

  // ---- input --------------------------------------------------------------------------

  [[gnu::always_inline]] const std::uint8_t* read(std::size_t n) {
    if (n > static_cast<std::size_t>(end - p)) [[unlikely]] {
      if (n > static_cast<std::size_t>(INT64_MAX) - static_cast<std::size_t>(p - begin)) {
        unpickling_error("read would overflow (invalid bytecode)");
      }
      truncated();
    }
    const std::uint8_t* r = p;
    p += n;
    return r;
  }
  std::string_view read_view(std::size_t n) { return {reinterpret_cast<const char*>(read(n)), n}; }
  /// One line, newline included.
  std::string_view readline() {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (!nl) truncated();
    auto* stop = static_cast<const std::uint8_t*>(nl) + 1;
    std::string_view line(reinterpret_cast<const char*>(p), static_cast<std::size_t>(stop - p));
    p = stop;
    return line;
  }
  /// CPython's calc_binsize: an unsigned little-endian size that must fit Py_ssize_t.
  std::uint64_t read_size(int nbytes, bool& too_large) {
    std::uint64_t x = read_le(read(nbytes), nbytes);
    too_large = x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return x;
  }

  // ---- stack ----------------------------------------------------------------------------

  [[noreturn]] void underflow() const {
    unpickling_error(marks.empty() ? "unpickling stack underflow" : "unexpected MARK found");
  }
  [[gnu::always_inline]] void push(Value v) {
    if (stack.full()) [[unlikely]]
      grow_stack();
    stack.push_unchecked(v);
  }
  [[gnu::noinline]] void grow_stack() {
    if (stack.size() + marks.size() >= opts.limits.max_stack) {
      fail(ErrorType::MemoryError,
           "unpickling stack exceeds the limit of " + std::to_string(opts.limits.max_stack) + " items");
    }
    stack.grow();
  }
  Value pop() {
    if (stack.size() <= fence) underflow();
    Value v = stack.back();
    stack.pop_back();
    return v;
  }
  Value& top() {
    if (stack.size() <= fence) underflow();
    return stack.back();
  }
  std::size_t marker() {
    if (marks.empty()) unpickling_error("could not find MARK");
    std::size_t mark = marks.back();
    marks.pop_back();
    fence = marks.empty() ? 0 : marks.back();
    return mark;
  }
  void truncate_stack(std::size_t size) { stack.truncate(size); }
  Value pop_tuple(std::size_t start) {
    if (start < fence) underflow();
    Value t =
        start == stack.size() ? g->empty_tuple() : g->new_tuple(std::span(stack.data() + start, stack.size() - start));
    truncate_stack(start);
    return t;
  }

  // ---- memo -----------------------------------------------------------------------------

  const Value* memo_get(std::uint64_t idx) const {
    if (idx < memo.size()) return memo.stamp(idx) == memo_epoch ? &memo.value(idx) : nullptr;
    auto it = memo_sparse.find(idx);
    return it == memo_sparse.end() ? nullptr : &it->second;
  }
  [[gnu::always_inline]] void memo_put(std::uint64_t idx, Value v) {
    if (!unescaped.is_none() && v.is(unescaped)) unescaped = Value();  // it escapes
    if (idx < memo.size()) [[likely]] {
      if (memo.stamp(idx) != memo_epoch) count_memo_entry();
      memo.value(idx) = v;
      memo.stamp(idx) = memo_epoch;
      return;
    }
    memo_put_beyond(idx, v);
  }
  [[gnu::noinline]] void memo_put_beyond(std::uint64_t idx, Value v) {
    // Grow the dense part only for indexes near the number of entries held: picklers
    // number entries consecutively, so anything far beyond is an outlier kept in the
    // sparse map, and the array stays within about twice the entries (a ladder of far
    // indexes, each within twice the array's size, would otherwise double it each time).
    if (idx <= 2 * memo_len + 1024) {
      const std::size_t n = std::max<std::size_t>(idx + 1, memo.size() * 2);
      memo.grow(n);
      // Each index lives in one place: outliers the dense part now covers move into it.
      for (auto it = memo_sparse.begin(); it != memo_sparse.end();) {
        if (it->first < n) {
          memo.value(it->first) = it->second;
          memo.stamp(it->first) = memo_epoch;
          it = memo_sparse.erase(it);
        } else {
          ++it;
        }
      }
      memo_put(idx, v);
      return;
    }
    auto [it, inserted] = memo_sparse.try_emplace(idx, v);
    if (inserted) {
      count_memo_entry();
    } else {
      it->second = v;
    }
  }
  [[gnu::always_inline]] void count_memo_entry() {
    if (memo_len >= opts.limits.max_memo) [[unlikely]]
      memo_limit_reached();
    ++memo_len;
  }
  [[noreturn, gnu::noinline]] void memo_limit_reached() const {
    fail(ErrorType::MemoryError, "memo exceeds the limit of " + std::to_string(opts.limits.max_memo) + " entries");
  }
  void clear_memo() {
    // A large memo is given back rather than kept for the next load.
    constexpr std::size_t kKeptMemo = std::size_t{1} << 16;
    if (memo.size() > kKeptMemo || ++memo_epoch == 0) {
      memo.reset();
      memo_epoch = 1;
    }
    memo_sparse.clear();
    memo_len = 0;
  }

  // ---- value construction -----------------------------------------------------------------

  Value make_str(std::string_view validated_wtf8) {
    if (opts.borrow_input && validated_wtf8.size() >= opts.borrow_threshold) {
      return g->new_str_view(validated_wtf8);
    }
    return g->shared_or_new_str(validated_wtf8);
  }
  Value make_bytes(std::string_view data, bool shared_singletons) {
    auto span = std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    if (opts.borrow_input && data.size() >= opts.borrow_threshold) return g->new_bytes_view(span);
    // BINBYTES builds a fresh object even for one byte; other paths share singletons.
    if (data.empty() || shared_singletons) return g->shared_or_new_bytes(span);
    return g->new_bytes(span);
  }
  /// UTF-8 with surrogates allowed (BINUNICODE family).
  Value utf8_surrogatepass(std::string_view data) {
    if (!detail::is_wtf8(data)) {
      scratch.clear();
      detail::decode(detail::Codec::Utf8, detail::ErrorHandler::SurrogatePass, data, scratch);
    }
    return make_str(data);
  }
  /// A Python 2 str (STRING, BINSTRING, SHORT_BINSTRING) per opts.encoding.
  Value py2_string(std::string_view data) {
    if (opts.encoding == "bytes") return make_bytes(data, true);
    scratch.clear();
    detail::decode_text(opts.encoding, opts.errors, data, scratch);
    return g->shared_or_new_str(scratch);
  }
  std::string_view utf8_strict(std::string_view data, std::string& out) {
    out.clear();
    detail::decode(detail::Codec::Utf8, detail::ErrorHandler::Strict, data, out);
    return out;
  }
  std::string_view ascii_strict(std::string_view data, std::string& out) {
    out.clear();
    detail::decode(detail::Codec::Ascii, detail::ErrorHandler::Strict, data, out);
    return out;
  }

  // ---- globals ---------------------------------------------------------------------------

  bool natively_safe(Global::Builtin b) const {
    using B = Global::Builtin;
    return b != B::Unknown && b != B::OtherBuiltin;
  }

  /// Unpickler.find_class without importing: fix_imports, the caller's policy, then the
  /// builtins module (whose contents are known) or an inert global.
  Value find_class(std::string_view module, std::string_view name) {
    const std::string_view raw_module = module, raw_name = name;
    if (proto < 3 && opts.fix_imports) {
      detail::QualifiedName mapped = detail::map_2to3(module, name);
      module = mapped.module;
      name = mapped.name;
    }
    if (observer) observer->on_import(offset(), static_cast<Op>(*op_start), raw_module, raw_name, module, name);
    if (opts.find_class) return opts.find_class(*g, module, name);
    if (opts.strict_globals && !natively_safe(detail::classify_global(module, name))) {
      std::string full = std::string(module) + "." + std::string(name);
      if (!opts.allowed_globals.count(full)) unpickling_error("global '" + full + "' is forbidden");
    }
    if (module.empty()) fail(ErrorType::ValueError, "Empty module name");
    if (module == "builtins") return builtins_attribute(name);
    // getattr(module, ''): no module has an attribute with an empty name, nor an empty
    // component of a dotted one from protocol 4 (CPython's message goes on with the
    // module's repr, which names its file).
    if (name.empty() || (proto >= 4 && (name.front() == '.' || name.back() == '.' || name.find("..") != name.npos))) {
      fail(ErrorType::AttributeError, "Can't get attribute " + quote(name) + " on <module " + quote(module) + ">");
    }
    detail::QualifiedName canonical = detail::canonical_name(module, name);
    return g->global(canonical.module, canonical.name);
  }

  Value builtins_attribute(std::string_view name) {
    std::string_view head = name;
    if (proto >= 4) {
      // getattribute() with qualified names: a dotted path, refusing <locals>.
      for (std::size_t start = 0;;) {
        std::size_t dot = name.find('.', start);
        if (name.substr(start, dot - start) == "<locals>") {
          fail(ErrorType::AttributeError,
               "Can't pickle local attribute " + quote(name) + " on <module 'builtins' (built-in)>");
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
      }
      head = name.substr(0, name.find('.'));
    }
    const detail::BuiltinName* b = detail::find_builtin(head);
    if (!b || !b->exists_in(opts.python) || (head.size() < name.size() && head.empty())) {
      fail(ErrorType::AttributeError, "Can't get attribute " + quote(name) + " on <module 'builtins' (built-in)>");
    }
    if (head.size() == name.size()) {
      if (name == "None") return Value();
      if (name == "True" || name == "__debug__") return Value::boolean(true);
      if (name == "False") return Value::boolean(false);
      if (name == "__name__") return g->shared_or_new_str("builtins");
      if (name == "__package__") return g->shared_or_new_str("");
    }
    detail::QualifiedName canonical = detail::canonical_name("builtins", name);
    return g->global(canonical.module, canonical.name);
  }

  // ---- calls, items and state (evaluate.h) ---------------------------------------------

  std::size_t offset() const noexcept { return static_cast<std::size_t>(op_start - begin); }
  void observe(ScanEvent::Kind kind, Value target, Value args) {
    if (observer) observer->on_action(offset(), static_cast<Op>(*op_start), kind, target, args);
  }
  // Items go into a list, dict, set or bytearray in place; into anything else through
  // its methods.
  void observe_items(Value target) {
    const Kind k = target.kind();
    if (observer && k != Kind::List && k != Kind::Dict && k != Kind::Set && k != Kind::ByteArray) {
      observe(ScanEvent::Kind::Items, target, Value());
    }
  }
  // As Evaluator::instantiate decides between cls.__new__(cls) and cls(*args).
  void observe_instantiate(Value cls, Value args) {
    const bool is_new = args.as_tuple().size() == 0 && detail::is_class_value(cls) && !cls.is_object() &&
                        cls.kind() != Kind::PersistentId;
    observe(is_new ? ScanEvent::Kind::New : ScanEvent::Kind::Call, cls, args);
  }

  void load_newobj(bool ex) {
    if (!ex && opts.python < PythonVersion{3, 10}) {
      // Before 3.10 NEWOBJ checked its arguments one by one as it popped them.
      Value args = pop();
      if (!args.is_tuple()) unpickling_error("NEWOBJ expected an arg tuple.");
      Value cls = pop();
      if (!detail::is_class_value(cls)) unpickling_error("NEWOBJ class argument isn't a type object");
      observe(ScanEvent::Kind::New, cls, args);
      push(eval.make_new(cls, args, Value()));
      return;
    }
    Value kwargs;
    if (ex) kwargs = pop();
    Value args = pop();
    Value cls = pop();
    const char* op = ex ? "NEWOBJ_EX" : "NEWOBJ";
    if (!detail::is_class_value(cls)) {
      unpickling_error(std::string(op) + " class argument must be a type, not " + type_name(cls));
    }
    if (!args.is_tuple()) {
      unpickling_error(std::string(op) + " args argument must be a tuple, not " + type_name(args));
    }
    if (ex && !kwargs.is_dict()) {
      unpickling_error(std::string(op) + " kwargs argument must be a dict, not " + type_name(kwargs));
    }
    observe(ScanEvent::Kind::New, cls, args);
    push(eval.make_new(cls, args, ex ? kwargs : Value()));
  }
  void do_append(std::ptrdiff_t x) {
    auto len = static_cast<std::ptrdiff_t>(stack.size());
    if (x > len || x <= static_cast<std::ptrdiff_t>(fence)) underflow();
    if (x == len) return;
    fresh_into(static_cast<std::size_t>(x - 1));
    Value target = stack[static_cast<std::size_t>(x - 1)];
    observe_items(target);
    eval.append_items(target, std::span(stack.data() + x, static_cast<std::size_t>(len - x)));
    truncate_stack(static_cast<std::size_t>(x));
  }

  void do_setitems(std::ptrdiff_t x) {
    auto len = static_cast<std::ptrdiff_t>(stack.size());
    if (x > len || x <= static_cast<std::ptrdiff_t>(fence)) underflow();
    if (x == len) return;
    if ((len - x) % 2 != 0) unpickling_error("odd number of items for SETITEMS");
    fresh_into(static_cast<std::size_t>(x - 1));
    Value target = stack[static_cast<std::size_t>(x - 1)];
    observe_items(target);
    // A dict (nearly every target) takes the batch at once rather than through eval.set_item.
    if (target.is_dict()) {
      detail::Access::set_items(target.as_dict(), *g, std::span(stack.data() + x, static_cast<std::size_t>(len - x)));
    } else {
      for (std::ptrdiff_t i = x; i < len; i += 2) {
        eval.set_item(target, stack[static_cast<std::size_t>(i)], stack[static_cast<std::size_t>(i + 1)]);
      }
    }
    truncate_stack(static_cast<std::size_t>(x));
  }

  void load_additems() {
    std::size_t mark = marker();
    std::size_t len = stack.size();
    if (mark > len || mark <= fence) underflow();
    if (mark == len) return;
    fresh_into(mark - 1);
    observe_items(stack[mark - 1]);
    eval.add_items(stack[mark - 1], std::span(stack.data() + mark, len - mark));
    truncate_stack(mark);
  }

  void load_build() {
    if (stack.size() < fence + 2) underflow();
    Value state = pop();
    if (observer) {
      // A value of a built-in type has no __setstate__ of a class's: CPython's default
      // state update runs no code the pickle chooses.
      Value inst = stack.back();
      if (inst.is_global()) observe(ScanEvent::Kind::SetAttributes, inst, state);
      else if (inst.is_object() || inst.kind() == Kind::PersistentId) observe(ScanEvent::Kind::SetState, inst, state);
    }
    eval.build(stack.back(), state);
  }

  // ---- the opcodes ------------------------------------------------------------------------

  void load_int() {
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    std::string_view s = c_string(line);
    detail::StrtolResult r = detail::c_strtol(s);
    char stop = r.end < s.size() ? s[r.end] : '\0';
    if (r.overflow || (stop != '\n' && stop != '\0')) {
      Value v;
      try {
        v = detail::py_long_from_cstring(*g, s, 0, opts.python);
      } catch (const Error& e) {
        if (e.type() == ErrorType::MemoryError) throw;
        fail(ErrorType::ValueError, "could not convert string to int");
      }
      push(v);
    } else if (line.size() == 3 && (r.value == 0 || r.value == 1)) {
      push(Value::boolean(r.value == 1));
    } else {
      push(Value::integer(r.value));
    }
  }

  void load_long() {
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    std::string_view s = line;
    if (line[line.size() - 2] == 'L') s = line.substr(0, line.size() - 2);
    push(detail::py_long_from_cstring(*g, c_string(s), 0, opts.python));
  }

  void load_counted_long(int nbytes) {
    std::int64_t n = static_cast<std::int64_t>(read_le(read(nbytes), nbytes));
    if (nbytes == 4) n = static_cast<std::int32_t>(n);
    if (n < 0) unpickling_error("LONG pickle has negative byte count");
    if (n == 0) {
      push(Value::integer(0));
      return;
    }
    push(g->new_int_from_bytes(std::span(read(static_cast<std::size_t>(n)), static_cast<std::size_t>(n))));
  }

  void load_float() {
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    std::string_view s = c_string(line);
    detail::StrtodResult r = detail::py_string_to_double(s);
    char stop = r.end < s.size() ? s[r.end] : '\0';
    if (stop != '\n' && stop != '\0') fail(ErrorType::ValueError, "could not convert string to float");
    push(float_object(r.value));
  }

  void load_binfloat() {
    std::uint64_t bits = 0;
    const std::uint8_t* s = read(8);
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | s[i];
    double d;
    std::memcpy(&d, &bits, sizeof d);
    push(float_object(d));
  }

  // A new float object: a NaN gets an identity of its own (see Value::is).
  static Value float_object(double d) noexcept {
    return std::isnan(d) ? detail::Access::nan_object(d) : Value::floating(d);
  }

  void load_string() {
    std::string_view line = readline();
    std::size_t len = line.size() - 1;  // strip the newline
    if (len >= 2 && line[0] == line[len - 1] && (line[0] == '\'' || line[0] == '"')) {
      std::string decoded = detail::escape_decode(line.substr(1, len - 2));
      push(py2_string(decoded));
    } else {
      unpickling_error("the STRING opcode argument must be quoted");
    }
  }

  void load_counted_binstring(int nbytes) {
    bool too_large;
    std::uint64_t n = read_size(nbytes, too_large);
    if (too_large) {
      unpickling_error("BINSTRING exceeds system's maximum size of 9223372036854775807 bytes");
    }
    push(py2_string(read_view(static_cast<std::size_t>(n))));
  }

  void load_counted_binbytes(int nbytes, bool bytearray) {
    bool too_large;
    std::uint64_t n = read_size(nbytes, too_large);
    if (too_large) {
      fail(ErrorType::OverflowError, std::string(bytearray ? "BYTEARRAY8" : "BINBYTES") +
                                         " exceeds system's maximum size of 9223372036854775807 bytes");
    }
    // CPython reads these payloads with _Unpickler_ReadInto, which fails at the end of
    // the input even for zero bytes: b'C\x00' is truncated, b'C\x00.' is not.
    if (n == 0 && p == end) truncated();
    std::string_view data = read_view(static_cast<std::size_t>(n));
    if (bytearray) {
      push(g->new_bytearray(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())));
    } else {
      push(make_bytes(data, false));
    }
  }

  // SHORT_BINUNICODE or BINUNICODE (kSizeBytes: the width of the length, 1 or 4) of
  // 2..32 ASCII characters (dict keys, short values, floats and ids as text), without the
  // general path's validation and sharing checks: such a str is never one CPython shares
  // (those are of length 0 or 1) and is valid as it stands. 16 (32 for more than 16
  // characters) bytes past the length must be in the input, so that the check reads
  // whole words.
  template <int kSizeBytes>
  [[gnu::always_inline]] void load_binunicode() {
    if (end - p >= kSizeBytes + 16 && !opts.borrow_input) {
      const std::size_t n = kSizeBytes == 1 ? p[0] : detail::load_le32(p);
      if (n >= 2 && (n <= 16 || (n <= 32 && end - p >= kSizeBytes + 32))) {
        const unsigned char* s = p + kSizeBytes;
        std::uint64_t high_bits = word_prefix(s, n, 0) | word_prefix(s, n, 1);
        if (n > 16) [[unlikely]]
          high_bits |= word_prefix(s, n, 2) | word_prefix(s, n, 3);
        if ((high_bits & 0x8080808080808080ULL) == 0) {
          push(detail::Access::new_str(*g, {reinterpret_cast<const char*>(s), n}));
          p += kSizeBytes + n;
          return;
        }
      }
    }
    load_counted_binunicode(kSizeBytes);
  }
  // Out of the loop, which keeps its registers for the protocol 4+ opcodes.
  [[gnu::noinline]] void load_long_binunicode() { load_binunicode<4>(); }
  // Word k of the n bytes at s, the bytes past n masked off.
  [[gnu::always_inline]] static std::uint64_t word_prefix(const unsigned char* s, std::size_t n, std::size_t k) {
    std::uint64_t w;
    std::memcpy(&w, s + 8 * k, 8);
    if (n >= 8 * (k + 1)) return w;
    return n <= 8 * k ? 0 : w & ((std::uint64_t{1} << (8 * (n - 8 * k))) - 1);
  }

  void load_counted_binunicode(int nbytes) {
    bool too_large;
    std::uint64_t n = read_size(nbytes, too_large);
    if (too_large) {
      fail(ErrorType::OverflowError, "BINUNICODE exceeds system's maximum size of 9223372036854775807 bytes");
    }
    push(utf8_surrogatepass(read_view(static_cast<std::size_t>(n))));
  }

  void load_unicode() {
    std::string_view line = readline();
    scratch.clear();
    detail::decode_raw_unicode_escape(line.substr(0, line.size() - 1), scratch);
    push(g->shared_or_new_str(scratch));
  }

  void load_counted_tuple(std::size_t n) {
    if (stack.size() < n) underflow();
    const std::size_t start = stack.size() - n;
    if (n == 0 || n > 3 || start < fence) {
      push(pop_tuple(start));
    } else {
      // TUPLE1-TUPLE3 and their like: the tuple takes its first item's place on the stack.
      Value* items = stack.data() + start;
      items[0] = n == 1   ? detail::Access::new_tuple<1>(*g, items)
                 : n == 2 ? detail::Access::new_tuple<2>(*g, items)
                          : detail::Access::new_tuple<3>(*g, items);
      truncate_stack(start + 1);
    }
    fresh_result_at(stack.size() - 1);
  }

  void load_dict() {
    std::size_t i = marker();
    std::size_t j = stack.size();
    if ((j - i) % 2 != 0) unpickling_error("odd number of items for DICT");
    Value d = g->new_dict();
    for (std::size_t k = i; k < j; k += 2) d.as_dict().set(*g, stack[k], stack[k + 1]);
    truncate_stack(i);
    push(d);
    fresh_result_at(i);
  }

  void load_list() {
    std::size_t i = marker();
    Value l = g->new_list();
    l.as_list().extend(*g, std::span(stack.data() + i, stack.size() - i));
    truncate_stack(i);
    push(l);
    fresh_result_at(i);
  }

  void load_frozenset() {
    std::size_t i = marker();
    if (i < fence) underflow();
    Value s = g->new_frozenset();
    for (std::size_t k = i; k < stack.size(); ++k) s.as_set().add(*g, stack[k]);
    truncate_stack(i);
    push(s);
    fresh_result_at(i);
  }

  void load_obj() {
    std::size_t i = marker();
    if (stack.size() < i + 1) underflow();
    Value args = pop_tuple(i + 1);
    Value cls = pop();
    observe_instantiate(cls, args);
    push(eval.instantiate(cls, args));
  }

  void load_inst() {
    std::size_t i = marker();
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    std::string module_buf, name_buf;
    std::string_view module = ascii_strict(line.substr(0, line.size() - 1), module_buf);
    line = readline();
    if (line.size() < 2) truncated();
    std::string_view name = ascii_strict(line.substr(0, line.size() - 1), name_buf);
    Value cls = find_class(module, name);
    Value args = pop_tuple(i);
    observe_instantiate(cls, args);
    push(eval.instantiate(cls, args));
  }

  void load_global() {
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    std::string module_buf, name_buf;
    std::string_view module = utf8_strict(line.substr(0, line.size() - 1), module_buf);
    line = readline();
    if (line.size() < 2) truncated();
    std::string_view name = utf8_strict(line.substr(0, line.size() - 1), name_buf);
    push(find_class(module, name));
  }

  void load_stack_global() {
    // Before 3.11 a stack too short for the two strs failed with the same message.
    if (opts.python < PythonVersion{3, 11} && stack.size() < fence + 2) unpickling_error("STACK_GLOBAL requires str");
    Value name = pop();
    Value module = pop();
    if (observer) observer->on_stack_global(offset(), module, name);
    if (!module.is_str() || !name.is_str()) unpickling_error("STACK_GLOBAL requires str");
    push(find_class(module.as_str().utf8(), name.as_str().utf8()));
  }

  [[noreturn]] void no_persistent_load() const {
    unpickling_error(opts.python < PythonVersion{3, 12} ? "A load persistent id instruction was encountered,\n"
                                                          "but no persistent_load function was specified."
                                                        : "A load persistent id instruction was encountered, "
                                                          "but no persistent_load function was specified.");
  }

  // From 3.13 the id is read (PERSID) or popped (BINPERSID) before persistent_load is
  // looked for, so a truncated or non-ASCII id fails first.
  bool persistent_load_checked_first() const { return opts.python < PythonVersion{3, 13}; }

  void load_persid() {
    if (persistent_load_checked_first() && !opts.persistent_load) no_persistent_load();
    std::string_view line = readline();
    std::string pid_buf;
    try {
      ascii_strict(line.substr(0, line.size() - 1), pid_buf);
    } catch (const Error& e) {
      if (e.type() == ErrorType::UnicodeDecodeError) {
        unpickling_error("persistent IDs in protocol 0 must be ASCII strings");
      }
      throw;
    }
    if (!opts.persistent_load) no_persistent_load();
    Value pid = g->shared_or_new_str(pid_buf);
    if (observer) observer->on_persistent_id(offset(), Op::PERSID, pid);
    push(opts.persistent_load(*g, pid));
  }

  void load_binpersid() {
    if (persistent_load_checked_first() && !opts.persistent_load) no_persistent_load();
    Value pid = pop();
    if (!opts.persistent_load) no_persistent_load();
    if (observer) observer->on_persistent_id(offset(), Op::BINPERSID, pid);
    push(opts.persistent_load(*g, pid));
  }

  void load_pop() {
    if (!marks.empty() && marks.back() == stack.size()) {
      marks.pop_back();
      fence = marks.empty() ? 0 : marks.back();
    } else {
      Value v = pop();
      if (stack.size() == unescaped_at) release_if_unescaped(v);
      give_back_garbage();
    }
  }

  void load_pop_mark() {
    std::size_t mark = marker();
    if (unescaped_at >= mark && unescaped_at < stack.size()) release_if_unescaped(stack[unescaped_at]);
    truncate_stack(mark);
    give_back_garbage();
  }

  // getattr(global, name) with arguments the TUPLE just before built: nothing else refers
  // to the tuple, nor to the name when the opcode before the TUPLE built it. Both go back
  // to the arena before the call, so that a chain of getattr calls costs no memory a
  // level beyond the globals it names (none for getattr(..., '__class__'), as in CPython).
  Value attribute_of_fresh_arguments(Value args) {
    const Tuple& a = args.as_tuple();
    const Global& owner = a[0].as_global();
    Value name = a[1];
    scratch.assign(name.as_str().utf8());
    detail::Access::release_last_tuple(*g, args);
    if (tuple_ends_with_str) detail::Access::release_last_str(*g, name);
    return eval.attribute_of(owner, scratch);
  }

  // `v` was just taken off the stack at unescaped_at.
  void release_if_unescaped(Value v) {
    if (unescaped.is_none() || !v.is(unescaped)) return;
    detail::Access::release_unreferenced(*g, unescaped);
    unescaped = Value();
  }

  // An opcode that may make fresh memory reachable from elsewhere (the memo, the graph's
  // globals, a call's result, a value the memo gave back).
  void forget_fresh() noexcept { fresh_active = false; }
  // A builder left its result at `slot`, made of the values from there up.
  void fresh_result_at(std::size_t slot) noexcept { fresh_base = std::min(fresh_base, slot); }
  // Values go into the object at `slot`: an object older than fresh_mark would refer to them.
  void fresh_into(std::size_t slot) noexcept {
    if (slot < fresh_base) fresh_active = false;
  }
  // After POP or POP_MARK: give the garbage back, or start tracking from here.
  void give_back_garbage() noexcept {
    detail::Arena& arena = detail::Access::arena(*g);
    if (fresh_active && stack.size() > fresh_base) return;
    if (!fresh_active || !arena.rewind(fresh_mark)) {
      fresh_active = true;
      fresh_mark = arena.mark();
    }
    fresh_base = stack.size();
  }

  void load_mark() {
    if (stack.size() + marks.size() >= opts.limits.max_stack) {
      fail(ErrorType::MemoryError,
           "unpickling stack exceeds the limit of " + std::to_string(opts.limits.max_stack) + " items");
    }
    marks.push_back(stack.size());
    fence = stack.size();
  }

  std::int64_t parse_memo_index(std::string_view line) {
    Value key = detail::py_long_from_cstring(*g, c_string(line), 10, opts.python);
    if (!key.is_small_int()) fail(ErrorType::OverflowError, "Python int too large to convert to C ssize_t");
    return key.as_int();
  }

  [[noreturn]] void memo_missing(std::int64_t idx) const {
    if (opts.python < PythonVersion{3, 9}) fail(ErrorType::KeyError, std::to_string(idx));
    unpickling_error("Memo value not found at index " + std::to_string(idx));
  }

  void load_get() {
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    std::int64_t idx = parse_memo_index(line);
    const Value* v = idx < 0 ? nullptr : memo_get(static_cast<std::uint64_t>(idx));
    if (!v) memo_missing(idx);
    push(*v);
  }

  void load_binget(int nbytes) {
    std::uint64_t idx = read_le(read(nbytes), nbytes);
    const Value* v = memo_get(idx);
    if (!v) memo_missing(static_cast<std::int64_t>(idx));
    push(*v);
  }

  void load_put() {
    std::string_view line = readline();
    if (line.size() < 2) truncated();
    Value v = top();
    std::int64_t idx = parse_memo_index(line);
    if (idx < 0) fail(ErrorType::ValueError, "negative PUT argument");
    memo_put(static_cast<std::uint64_t>(idx), v);
  }

  void load_binput(int nbytes) {
    std::uint64_t idx = read_le(read(nbytes), nbytes);
    memo_put(idx, top());
  }

  void load_extension(int nbytes) {
    std::int64_t code = static_cast<std::int64_t>(read_le(read(nbytes), nbytes));
    if (nbytes == 4) code = static_cast<std::int32_t>(code);
    if (code <= 0) unpickling_error("EXT specifies code <= 0");
    const ExtensionRegistry& registry = opts.extensions ? *opts.extensions : default_extensions();
    std::optional<ExtensionRegistry::Key> key = registry.lookup_code(code);
    if (observer) observer->on_extension(offset(), static_cast<Op>(*op_start), code, key.has_value());
    if (!key) fail(ErrorType::ValueError, "unregistered extension code " + std::to_string(code));
    push(find_class(key->first, key->second));
  }

  void load_next_buffer() {
    if (!opts.buffers) {
      unpickling_error("pickle stream refers to out-of-band data but no *buffers* argument was given");
    }
    if (observer) observer->on_buffer(offset(), next_buffer);
    if (next_buffer >= opts.buffers->size()) unpickling_error("not enough out-of-band buffers");
    const OutOfBandBuffer& b = (*opts.buffers)[next_buffer++];
    push(g->new_buffer(b.data, b.readonly));
  }

  // memoryview(top), made read-only; a read-only buffer stays as it is.
  void load_readonly_buffer() {
    Value& v = top();
    switch (v.kind()) {
      case Kind::Buffer:
        if (!v.as_buffer().readonly()) v = g->new_memoryview(v.as_buffer().view());
        return;
      case Kind::Bytes: return;
      case Kind::ByteArray:
        // The view shares the bytearray's storage, which therefore may no longer move.
        v.node()->flags |= detail::kExported;
        v = g->new_memoryview(v.as_bytes().view());
        return;
      default: fail(ErrorType::TypeError, "memoryview: a bytes-like object is required, not '" + type_name(v) + "'");
    }
  }

  void load_frame() {
    bool too_large;
    std::uint64_t n = read_size(8, too_large);
    if (too_large) {
      fail(ErrorType::OverflowError, "FRAME length exceeds system's maximum of 9223372036854775807 bytes");
    }
    // Frames are advisory in memory: CPython only checks that the bytes are there.
    read(n);
    p -= n;
  }

  void load_proto() {
    int v = *read(1);
    if (v > 5) fail(ErrorType::ValueError, "unsupported pickle protocol: " + std::to_string(v));
    proto = v;
    eval.set_proto(v);
  }

  [[noreturn]] static void invalid_opcode(std::uint8_t c) {
    char buf[40];
    if (c >= 0x20 && c <= 0x7e && c != '\'' && c != '\\') {
      std::snprintf(buf, sizeof buf, "invalid load key, '%c'.", c);
    } else {
      std::snprintf(buf, sizeof buf, "invalid load key, '\\x%02x'.", c);
    }
    unpickling_error(buf);
  }

  [[noreturn, gnu::noinline]] static void ran_out_of_input() { throw Error(ErrorType::EOFError, "Ran out of input"); }
  // What the scanner's observer asks to see after an opcode.
  void after_op(Op op) {
    if (observer->after_ops[static_cast<std::uint8_t>(op)] ||
        (offset() < observer->watch_end && static_cast<std::size_t>(p - begin) > observer->watch_end)) {
      observer->after_op(offset(), static_cast<std::size_t>(p - begin), op, stack.size() == 0 ? Value() : stack.back());
    }
  }
  template <bool kObserved>
  Value run();
  Value load(Graph& graph);
};

// The opcodes run() handles, in the order of its handler table.
#define PICKLE_LOADED_OPCODES(X) \
  X(NONE)                        \
  X(NEWTRUE)                     \
  X(NEWFALSE)                    \
  X(BININT)                      \
  X(BININT1)                     \
  X(BININT2)                     \
  X(INT)                         \
  X(LONG)                        \
  X(LONG1)                       \
  X(LONG4)                       \
  X(FLOAT)                       \
  X(BINFLOAT)                    \
  X(SHORT_BINBYTES)              \
  X(BINBYTES)                    \
  X(BINBYTES8)                   \
  X(BYTEARRAY8)                  \
  X(NEXT_BUFFER)                 \
  X(READONLY_BUFFER)             \
  X(SHORT_BINSTRING)             \
  X(BINSTRING)                   \
  X(STRING)                      \
  X(UNICODE)                     \
  X(SHORT_BINUNICODE)            \
  X(BINUNICODE)                  \
  X(BINUNICODE8)                 \
  X(EMPTY_TUPLE)                 \
  X(TUPLE1)                      \
  X(TUPLE2)                      \
  X(TUPLE3)                      \
  X(TUPLE)                       \
  X(EMPTY_LIST)                  \
  X(LIST)                        \
  X(EMPTY_DICT)                  \
  X(DICT)                        \
  X(EMPTY_SET)                   \
  X(ADDITEMS)                    \
  X(FROZENSET)                   \
  X(OBJ)                         \
  X(INST)                        \
  X(NEWOBJ)                      \
  X(NEWOBJ_EX)                   \
  X(GLOBAL)                      \
  X(STACK_GLOBAL)                \
  X(APPEND)                      \
  X(APPENDS)                     \
  X(BUILD)                       \
  X(DUP)                         \
  X(BINGET)                      \
  X(LONG_BINGET)                 \
  X(GET)                         \
  X(MARK)                        \
  X(BINPUT)                      \
  X(LONG_BINPUT)                 \
  X(PUT)                         \
  X(MEMOIZE)                     \
  X(POP)                         \
  X(POP_MARK)                    \
  X(SETITEM)                     \
  X(SETITEMS)                    \
  X(PERSID)                      \
  X(BINPERSID)                   \
  X(REDUCE)                      \
  X(PROTO)                       \
  X(FRAME)                       \
  X(EXT1)                        \
  X(EXT2)                        \
  X(EXT4)                        \
  X(STOP)

namespace {
// Handler number (1-based position in PICKLE_LOADED_OPCODES) of each byte; 0 for bytes
// that are no opcode.
constexpr std::array<std::uint8_t, 256> kHandlerOf = [] {
  std::array<std::uint8_t, 256> table{};
  std::uint8_t n = 0;
#define X(name) table[static_cast<std::uint8_t>(Op::name)] = ++n;
  PICKLE_LOADED_OPCODES(X)
#undef X
  return table;
}();
}  // namespace

// With computed goto (GCC, Clang) every handler ends in a jump of its own to the next
// opcode's handler, so that the branch predictor learns which opcode follows which
// (a switch has one jump that all opcodes share). Other compilers get the switch.
#if defined(__GNUC__)
#define PICKLE_THREADED_DISPATCH 1
#else
#define PICKLE_THREADED_DISPATCH 0
#endif

template <bool kObserved>
Value Unpickler::Impl::run() {
  std::uint8_t op;
#if PICKLE_THREADED_DISPATCH
  static const void* const kHandlers[] = {&&invalid,
#define X(name) &&op_##name,
                                          PICKLE_LOADED_OPCODES(X)
#undef X
  };
#define OPCODE(name) op_##name:
#define NEXT_OPCODE                            \
  do {                                         \
    if constexpr (kObserved) after_op(Op(op)); \
    op_start = p;                              \
    if (p == end) [[unlikely]]                 \
      ran_out_of_input();                      \
    op = *p++;                                 \
    goto* kHandlers[kHandlerOf[op]];           \
  } while (false)
  op_start = p;
  if (p == end) ran_out_of_input();
  op = *p++;
  goto* kHandlers[kHandlerOf[op]];
  {
#else
#define OPCODE(name) case Op::name:
#define NEXT_OPCODE break
  for (;;) {
    op_start = p;
    if (p == end) ran_out_of_input();
    op = *p++;
    switch (static_cast<Op>(op)) {
#endif
    // A handler per opcode, laid out as the cases of a switch.
    // clang-format off
      OPCODE(NONE) push(Value()); NEXT_OPCODE;
      OPCODE(NEWTRUE) push(Value::boolean(true)); NEXT_OPCODE;
      OPCODE(NEWFALSE) push(Value::boolean(false)); NEXT_OPCODE;
      OPCODE(BININT) push(Value::integer(static_cast<std::int32_t>(read_le(read(4), 4)))); NEXT_OPCODE;
      OPCODE(BININT1) push(Value::integer(*read(1))); NEXT_OPCODE;
      OPCODE(BININT2) push(Value::integer(static_cast<std::int64_t>(read_le(read(2), 2)))); NEXT_OPCODE;
      OPCODE(INT) load_int(); NEXT_OPCODE;
      OPCODE(LONG) load_long(); NEXT_OPCODE;
      OPCODE(LONG1) load_counted_long(1); NEXT_OPCODE;
      OPCODE(LONG4) load_counted_long(4); NEXT_OPCODE;
      OPCODE(FLOAT) load_float(); NEXT_OPCODE;
      OPCODE(BINFLOAT) load_binfloat(); NEXT_OPCODE;
      OPCODE(SHORT_BINBYTES) load_counted_binbytes(1, false); NEXT_OPCODE;
      OPCODE(BINBYTES) load_counted_binbytes(4, false); NEXT_OPCODE;
      OPCODE(BINBYTES8) load_counted_binbytes(8, false); NEXT_OPCODE;
      OPCODE(BYTEARRAY8) load_counted_binbytes(8, true); NEXT_OPCODE;
      OPCODE(NEXT_BUFFER)
        forget_fresh();
        load_next_buffer();
        NEXT_OPCODE;
      OPCODE(READONLY_BUFFER)
        forget_fresh();
        load_readonly_buffer();
        NEXT_OPCODE;
      OPCODE(SHORT_BINSTRING) load_counted_binstring(1); NEXT_OPCODE;
      OPCODE(BINSTRING) load_counted_binstring(4); NEXT_OPCODE;
      OPCODE(STRING) load_string(); NEXT_OPCODE;
      OPCODE(UNICODE) load_unicode(); NEXT_OPCODE;
      OPCODE(SHORT_BINUNICODE)
        load_binunicode<1>();
        str_end = p;
        NEXT_OPCODE;
      OPCODE(BINUNICODE)
        load_long_binunicode();
        str_end = p;
        NEXT_OPCODE;
      OPCODE(BINUNICODE8)
        load_counted_binunicode(8);
        str_end = p;
        NEXT_OPCODE;
      OPCODE(EMPTY_TUPLE) push(g->empty_tuple()); NEXT_OPCODE;
      OPCODE(TUPLE1) load_counted_tuple(1); NEXT_OPCODE;
      OPCODE(TUPLE2)
        load_counted_tuple(2);
        tuple_end = tuple2_end = p;
        tuple_ends_with_str = str_end == op_start;
        NEXT_OPCODE;
      OPCODE(TUPLE3) load_counted_tuple(3); NEXT_OPCODE;
      OPCODE(TUPLE) {
        std::size_t i = marker();
        load_counted_tuple(stack.size() - i);
        tuple_end = p;
        tuple_ends_with_str = str_end == op_start;
        NEXT_OPCODE;
      }
      OPCODE(EMPTY_LIST) push(g->new_list()); NEXT_OPCODE;
      OPCODE(LIST) load_list(); NEXT_OPCODE;
      OPCODE(EMPTY_DICT) push(g->new_dict()); NEXT_OPCODE;
      OPCODE(DICT) load_dict(); NEXT_OPCODE;
      OPCODE(EMPTY_SET) push(g->new_set()); NEXT_OPCODE;
      OPCODE(ADDITEMS) load_additems(); NEXT_OPCODE;
      OPCODE(FROZENSET) load_frozenset(); NEXT_OPCODE;
      OPCODE(OBJ)
        forget_fresh();
        load_obj();
        NEXT_OPCODE;
      OPCODE(INST)
        forget_fresh();
        load_inst();
        NEXT_OPCODE;
      OPCODE(NEWOBJ)
        forget_fresh();
        load_newobj(false);
        NEXT_OPCODE;
      OPCODE(NEWOBJ_EX)
        forget_fresh();
        load_newobj(true);
        NEXT_OPCODE;
      OPCODE(GLOBAL)
        forget_fresh();
        load_global();
        NEXT_OPCODE;
      OPCODE(STACK_GLOBAL)
        forget_fresh();
        load_stack_global();
        NEXT_OPCODE;
      OPCODE(APPEND) {
        if (stack.size() <= fence + 1) underflow();
        do_append(static_cast<std::ptrdiff_t>(stack.size()) - 1);
        NEXT_OPCODE;
      }
      OPCODE(APPENDS) do_append(static_cast<std::ptrdiff_t>(marker())); NEXT_OPCODE;
      OPCODE(BUILD)
        forget_fresh();
        load_build();
        NEXT_OPCODE;
      OPCODE(DUP)
        forget_fresh();
        if (top().is(unescaped)) unescaped = Value();
        push(top());
        NEXT_OPCODE;
      OPCODE(BINGET)
        forget_fresh();
        load_binget(1);
        NEXT_OPCODE;
      OPCODE(LONG_BINGET)
        forget_fresh();
        load_binget(4);
        NEXT_OPCODE;
      OPCODE(GET)
        forget_fresh();
        load_get();
        NEXT_OPCODE;
      OPCODE(MARK) load_mark(); NEXT_OPCODE;
      OPCODE(BINPUT)
        forget_fresh();
        load_binput(1);
        NEXT_OPCODE;
      OPCODE(LONG_BINPUT)
        forget_fresh();
        load_binput(4);
        NEXT_OPCODE;
      OPCODE(PUT)
        forget_fresh();
        load_put();
        NEXT_OPCODE;
      OPCODE(MEMOIZE)
        forget_fresh();
        memo_put(memo_len, top());
        NEXT_OPCODE;
      OPCODE(POP) load_pop(); NEXT_OPCODE;
      OPCODE(POP_MARK) load_pop_mark(); NEXT_OPCODE;
      OPCODE(SETITEM) do_setitems(static_cast<std::ptrdiff_t>(stack.size()) - 2); NEXT_OPCODE;
      OPCODE(SETITEMS) do_setitems(static_cast<std::ptrdiff_t>(marker())); NEXT_OPCODE;
      OPCODE(PERSID)
        forget_fresh();
        load_persid();
        NEXT_OPCODE;
      OPCODE(BINPERSID)
        forget_fresh();
        load_binpersid();
        NEXT_OPCODE;
      OPCODE(REDUCE) {
        forget_fresh();
        Value args = pop();
        Value callable = pop();
        observe(ScanEvent::Kind::Call, callable, args);
        if (tuple_end == op_start && eval.is_getattr_of_global(callable, args)) {
          push(attribute_of_fresh_arguments(args));
          NEXT_OPCODE;
        }
        Value result = eval.call(callable, args);
        // CPython writes a reduce tuple's state setter as setter, obj, state, TUPLE2,
        // REDUCE, POP: remember it on the object so that it pickles the same way again.
        // (REDUCE POP also ends an object reached through its own arguments, followed by
        // a GET; its arguments are not built by the TUPLE2 just before.)
        if (p < end && *p == static_cast<std::uint8_t>(Op::POP) && tuple2_end == op_start &&
            args.as_tuple().size() == 2 && args.as_tuple()[0].is_object()) {
          args.as_tuple()[0].as_object().set_state_setter(callable, args.as_tuple()[1]);
        }
        if (result.is(eval.last_built()) && !result.is_none()) {
          unescaped = result;
          unescaped_at = stack.size();
        }
        push(result);
        NEXT_OPCODE;
      }
      OPCODE(PROTO) load_proto(); NEXT_OPCODE;
      OPCODE(FRAME) load_frame(); NEXT_OPCODE;
      OPCODE(EXT1)
        forget_fresh();
        load_extension(1);
        NEXT_OPCODE;
      OPCODE(EXT2)
        forget_fresh();
        load_extension(2);
        NEXT_OPCODE;
      OPCODE(EXT4)
        forget_fresh();
        load_extension(4);
        NEXT_OPCODE;
      OPCODE(STOP) {
        Value v = pop();
        if constexpr (kObserved) observer->after_op(offset(), static_cast<std::size_t>(p - begin), Op::STOP, v);
        return v;
      }
    // clang-format on
#if PICKLE_THREADED_DISPATCH
  invalid:
    invalid_opcode(op);
  }
#else
      default: invalid_opcode(op);
    }
    if constexpr (kObserved) after_op(Op(op));
  }
#endif
#undef OPCODE
#undef NEXT_OPCODE
}
#undef PICKLE_THREADED_DISPATCH
#undef PICKLE_LOADED_OPCODES

Value Unpickler::Impl::load(Graph& graph) {
  if (graph.id() != memo_graph) {
    clear_memo();
    memo_graph = graph.id();
  }
  g = &graph;
  eval.set_graph(graph);
  stack.clear();
  marks.clear();
  fence = 0;
  proto = 0;
  eval.set_proto(0);
  op_start = nullptr;
  tuple2_end = tuple_end = nullptr;  // no tuple yet in this pickle
  unescaped = Value();
  fresh_active = false;
  detail::Arena& arena = detail::Access::arena(graph);
  const std::size_t saved_limit = arena.limit();
  const std::size_t used = arena.bytes_allocated();
  arena.set_limit(used > std::numeric_limits<std::size_t>::max() - opts.limits.max_memory
                      ? std::numeric_limits<std::size_t>::max()
                      : used + opts.limits.max_memory);
  try {
    Value v = observer ? run<true>() : run<false>();
    arena.set_limit(saved_limit);
    graph.set_root(v);
    return v;
  } catch (Error& e) {
    arena.set_limit(saved_limit);
    if (!e.offset()) e.set_offset(static_cast<std::size_t>(op_start - begin));
    throw;
  } catch (const std::bad_alloc&) {
    arena.set_limit(saved_limit);
    throw Error(ErrorType::MemoryError, "out of memory", static_cast<std::size_t>(op_start - begin));
  } catch (const std::length_error&) {
    arena.set_limit(saved_limit);
    throw Error(ErrorType::MemoryError, "out of memory", static_cast<std::size_t>(op_start - begin));
  }
}

Unpickler::Unpickler(UnpicklerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Unpickler::~Unpickler() = default;
Unpickler::Unpickler(Unpickler&&) noexcept = default;
Unpickler& Unpickler::operator=(Unpickler&&) noexcept = default;

void Unpickler::set_input(std::span<const std::uint8_t> data) {
  impl_->begin = impl_->p = data.data();
  impl_->end = data.data() + data.size();
}

Value Unpickler::load(Graph& g) { return impl_->load(g); }
std::size_t Unpickler::position() const noexcept { return static_cast<std::size_t>(impl_->p - impl_->begin); }
bool Unpickler::at_end() const noexcept { return impl_->p == impl_->end; }
void Unpickler::clear_memo() { impl_->clear_memo(); }
const UnpicklerOptions& Unpickler::options() const noexcept { return impl_->opts; }

void detail::set_observer(Unpickler& u, LoadObserver* observer) { u.impl_->observer = observer; }

Graph loads(std::span<const std::uint8_t> data, const UnpicklerOptions& options) {
  Graph g;
  Unpickler u(options);
  u.set_input(data);
  u.load(g);
  return g;
}

}  // namespace pickle
