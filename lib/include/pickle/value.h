// pickle/value.h: the Python value model.
//
// A pickle describes a graph of Python objects. pickle::Graph owns such a graph: every
// object that has identity in Python (str, bytes, containers, classes, instances, ...)
// is a node allocated in the graph's arena, and pickle::Value is a 16-byte handle that
// is either an immediate (None, bool, a 64-bit int, a float) or a pointer to a node.
//
//   pickle::Graph g;
//   pickle::Value list = g.new_list();
//   list.as_list().append(g, g.new_str("a"));
//   list.as_list().append(g, pickle::Value::integer(2));
//   g.set_root(list);                       // repr(g.root()) == "['a', 2]"
//
// Identity: two Values are the same Python object when `a.is(b)`; a shared reference in a
// pickle loads as one node referenced twice, and cycles are plain pointer cycles.
// Lifetime: Values and node references are valid while their Graph lives; the Graph frees
// everything at once, so cycles never leak and deep graphs never recurse on destruction.
// Threads: a Graph is not synchronised; distinct Graphs are independent.
#pragma once

#include <cstddef>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <typeinfo>
#include <utility>
#include <vector>
#include <string>
#include <string_view>
#include <unordered_map>

#include "pickle/detail/arena.h"
#include "pickle/python_version.h"

namespace pickle {

class Graph;

/// The Python type family of a value.
enum class Kind : std::uint8_t {
  None,
  Bool,
  Int,  ///< arbitrary precision; 64-bit values are immediates
  Float,
  Complex,
  Str,  ///< any sequence of code points, lone surrogates included
  Bytes,
  ByteArray,
  List,
  Tuple,
  Dict,
  Set,
  FrozenSet,
  Global,  ///< a class, function or other object named by (module, qualname)
  Object,  ///< an instance built by REDUCE / NEWOBJ / INST / OBJ, kept inert
  PersistentId,
  Buffer,    ///< a protocol-5 out-of-band buffer
  Native,    ///< a C++ object of a class registered with pickle::register_class
  Iterator,  ///< a Python iterator, as the list/dict items of a reduce tuple
};

/// The Python type name CPython uses in messages ("NoneType", "list", ...).
std::string_view kind_type_name(Kind kind) noexcept;

namespace detail {
struct Node {
  Kind kind;
  std::uint8_t flags = 0;
  /// Creation order within the graph, from 1 (Graph::stamp), modulo 2**32: a hint, not
  /// an identity. The pickler files its memo entries by it.
  std::uint32_t serial = 0;
  explicit Node(Kind k) : kind(k) {}
};
/// Node flags.
inline constexpr std::uint8_t kSharedSingleton = 1;  ///< a str/bytes CPython shares (Graph::make_*)
inline constexpr std::uint8_t kAttribute = 2;        ///< a Global reached as getattr(owner, name)
inline constexpr std::uint8_t kExported = 4;         ///< a bytearray a memoryview was made over
inline constexpr std::uint8_t kLargePayload = 8;     ///< bytes/bytearray data in an Arena large block
/// Throws IndexError(message).
[[noreturn]] void throw_index_error(const char* message);
/// Throws OverflowError for an int too large for int64.
[[noreturn]] void throw_int_overflow();
}  // namespace detail

class BigInt;
class Complex;
class Str;
class Bytes;
class List;
class Tuple;
class Dict;
class Set;
class Global;
class Object;
class PersistentId;
class Buffer;
class Native;
class Iterator;
class NativeClass;
namespace detail {
/// The library's own access to what the value model keeps private (lib/src/access.h).
struct Access;
class GlobalTable;
struct NameBuffer;
}  // namespace detail

class Value {
 public:
  /// None.
  constexpr Value() noexcept : kind_(Kind::None), big_(false), float_id_(0), i_(0) {}
  static constexpr Value none() noexcept { return Value(); }
  static constexpr Value boolean(bool b) noexcept {
    Value v(Kind::Bool);
    v.i_ = b;
    return v;
  }
  static constexpr Value integer(std::int64_t i) noexcept {
    Value v(Kind::Int);
    v.i_ = i;
    return v;
  }
  static constexpr Value floating(double d) noexcept {
    Value v(Kind::Float);
    v.f_ = d;
    return v;
  }
  Kind kind() const noexcept { return kind_; }
  bool is_none() const noexcept { return kind_ == Kind::None; }
  bool is_bool() const noexcept { return kind_ == Kind::Bool; }
  bool is_int() const noexcept { return kind_ == Kind::Int; }
  /// An int that fits in int64 (the fast path).
  bool is_small_int() const noexcept { return kind_ == Kind::Int && !big_; }
  bool is_float() const noexcept { return kind_ == Kind::Float; }
  bool is_str() const noexcept { return kind_ == Kind::Str; }
  bool is_bytes() const noexcept { return kind_ == Kind::Bytes; }
  bool is_tuple() const noexcept { return kind_ == Kind::Tuple; }
  bool is_list() const noexcept { return kind_ == Kind::List; }
  bool is_dict() const noexcept { return kind_ == Kind::Dict; }
  bool is_global() const noexcept { return kind_ == Kind::Global; }
  bool is_object() const noexcept { return kind_ == Kind::Object; }
  bool is_complex() const noexcept { return kind_ == Kind::Complex; }
  bool is_bytearray() const noexcept { return kind_ == Kind::ByteArray; }
  bool is_set() const noexcept { return kind_ == Kind::Set; }  ///< set only
  bool is_frozenset() const noexcept { return kind_ == Kind::FrozenSet; }
  bool is_buffer() const noexcept { return kind_ == Kind::Buffer; }
  bool is_native() const noexcept { return kind_ == Kind::Native; }
  bool is_persistent_id() const noexcept { return kind_ == Kind::PersistentId; }
  bool is_iterator() const noexcept { return kind_ == Kind::Iterator; }
  /// True for kinds that are heap nodes (everything but None, bool, small int, float).
  bool is_node() const noexcept { return kind_ > Kind::Float || big_; }

  // Checked access. Each accessor names a kind and throws pickle::Error of type
  // TypeError ("expected str, got int") when the value is not of that kind, so that code
  // reading a loaded pickle -- attacker-controlled data -- cannot misread it. The try_as_*
  // forms return nullptr or nullopt instead of throwing. Node references stay valid while
  // the Graph lives.

  /// A bool.
  bool as_bool() const;
  /// An int that fits in int64, or a bool (a Python int too). A larger int throws
  /// OverflowError; use as_bigint() or pickle::to<T>() for those.
  std::int64_t as_int() const;
  /// A float (an int is not converted; pickle::to<double>() does that, as float() does).
  double as_float() const;
  const BigInt& as_bigint() const;  ///< an int outside the int64 range
  const Complex& as_complex() const;
  const Str& as_str() const;
  const Bytes& as_bytes() const;  ///< bytes or bytearray
  Bytes& as_bytearray() const;    ///< bytearray only
  List& as_list() const;
  const Tuple& as_tuple() const;
  Dict& as_dict() const;
  Set& as_set() const;  ///< set or frozenset
  const Global& as_global() const;
  Object& as_object() const;
  const PersistentId& as_persistent_id() const;
  const Buffer& as_buffer() const;
  const Native& as_native() const;
  const Iterator& as_iterator() const;

  std::optional<bool> try_as_bool() const noexcept;
  std::optional<std::int64_t> try_as_int() const noexcept;  ///< nullopt for big ints too
  std::optional<double> try_as_float() const noexcept;
  const BigInt* try_as_bigint() const noexcept;
  const Complex* try_as_complex() const noexcept;
  const Str* try_as_str() const noexcept;
  const Bytes* try_as_bytes() const noexcept;  ///< bytes or bytearray
  Bytes* try_as_bytearray() const noexcept;
  List* try_as_list() const noexcept;
  const Tuple* try_as_tuple() const noexcept;
  Dict* try_as_dict() const noexcept;
  Set* try_as_set() const noexcept;  ///< set or frozenset
  const Global* try_as_global() const noexcept;
  Object* try_as_object() const noexcept;
  const PersistentId* try_as_persistent_id() const noexcept;
  const Buffer* try_as_buffer() const noexcept;
  const Native* try_as_native() const noexcept;
  const Iterator* try_as_iterator() const noexcept;

  /// The C++ object of a Native value when it is a T, else nullptr.
  template <class T>
  T* native() const noexcept;

  detail::Node* node() const noexcept { return is_node() ? node_ : nullptr; }

  /// Python `is`: the same node, or equal immediates of the same kind (for a NaN loaded
  /// from a pickle, the same float object: one reached twice through the memo).
  bool is(const Value& other) const noexcept {
    return kind_ == other.kind_ && big_ == other.big_ && float_id_ == other.float_id_ && i_ == other.i_;
  }

 private:
  friend class Graph;
  friend struct detail::Access;
  /// Wraps a node; `node` must belong to a Graph.
  static Value from_node(detail::Node* node) noexcept {
    Value v(node->kind);
    v.node_ = node;
    v.big_ = node->kind == Kind::Int;
    return v;
  }
  constexpr explicit Value(Kind k) noexcept : kind_(k), big_(false), float_id_(0), i_(0) {}
  Kind kind_;
  bool big_;  // an Int held as a BigInt node
  // A NaN the unpickler made: which float object it is (CPython tells NaNs apart by
  // identity, as dict keys and set members); 0 for other floats and other kinds.
  std::uint32_t float_id_;
  union {
    std::int64_t i_;
    double f_;
    detail::Node* node_;
  };
};

// ---------------------------------------------------------------------------------------
// Nodes. Read them through the Value accessors; create them through Graph.

/// An int outside the int64 range: sign and magnitude in base 2^32, least significant first.
class BigInt : public detail::Node {
 public:
  bool negative() const noexcept { return negative_; }
  std::span<const std::uint32_t> magnitude() const noexcept { return {limbs_, size_}; }

 private:
  friend class Graph;
  BigInt() : Node(Kind::Int) {}
  bool negative_ = false;
  std::uint32_t size_ = 0;
  std::uint32_t* limbs_ = nullptr;
};

class Complex : public detail::Node {
 public:
  double real() const noexcept { return real_; }
  double imag() const noexcept { return imag_; }

 private:
  friend class Graph;
  Complex(double r, double i) : Node(Kind::Complex), real_(r), imag_(i) {}
  double real_, imag_;
};

/// A str. The code points are kept as UTF-8 in which surrogates (U+D800..U+DFFF) are
/// encoded like any other code point (what Python's "surrogatepass" produces), so every
/// Python str has exactly one encoding and equal strs have equal bytes.
class Str : public detail::Node {
 public:
  std::string_view utf8() const noexcept { return {data_, size_}; }

 private:
  friend class Graph;
  friend struct detail::Access;
  /// Hash memo used by dict and set (0: not computed yet).
  std::uint64_t cached_hash() const noexcept { return hash_; }
  void cache_hash(std::uint64_t h) const noexcept { hash_ = h; }
  Str() : Node(Kind::Str) {}
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  mutable std::uint64_t hash_ = 0;  // 0: not computed yet
};

/// bytes, or bytearray (Kind::ByteArray, mutable through data()).
class Bytes : public detail::Node {
 public:
  std::span<const std::uint8_t> view() const noexcept { return {data_, size_}; }
  std::string_view chars() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
  std::size_t size() const noexcept { return size_; }
  /// The bytes of a bytearray, writable. TypeError for bytes, which are immutable.
  /// assign() and extend() invalidate what view(), chars() and data() returned before,
  /// as growth does for std::vector.
  std::span<std::uint8_t> data();
  /// bytearray only (TypeError for bytes): replaces the contents; the node keeps its
  /// identity.
  void assign(Graph& g, std::span<const std::uint8_t> data);
  /// bytearray only (TypeError for bytes): bytearray.extend(data), in place with room to
  /// grow (amortized constant time a byte, as CPython's). BufferError while exported.
  void extend(Graph& g, std::span<const std::uint8_t> data);

 private:
  friend class Graph;
  friend struct detail::Access;
  std::uint64_t cached_hash() const noexcept { return hash_; }
  void cache_hash(std::uint64_t h) const noexcept { hash_ = h; }
  explicit Bytes(Kind k) : Node(k) {}
  std::size_t block_size() const noexcept { return capacity_ ? capacity_ : size_; }  // of data_
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;  // bytearray: bytes data_ has room for (0: just size_)
  mutable std::uint64_t hash_ = 0;
};

class List : public detail::Node {
 public:
  std::size_t size() const noexcept { return items_.size; }
  /// l[i], bounds-checked: IndexError("list index out of range").
  Value operator[](std::size_t i) const { return items_.data[checked(i)]; }
  Value& operator[](std::size_t i) { return items_.data[checked(i)]; }
  std::span<const Value> items() const noexcept { return {items_.data, items_.size}; }
  const Value* begin() const noexcept { return items_.begin(); }
  const Value* end() const noexcept { return items_.end(); }
  void append(Graph& g, Value v);
  /// l.extend(items), in one copy.
  void extend(Graph& g, std::span<const Value> items);
  void reserve(Graph& g, std::size_t n);

 private:
  friend class Graph;
  List() : Node(Kind::List) {}
  std::size_t checked(std::size_t i) const {
    if (i >= items_.size) [[unlikely]]
      detail::throw_index_error("list index out of range");
    return i;
  }
  detail::ArenaVec<Value> items_;
};

class Tuple : public detail::Node {
 public:
  std::size_t size() const noexcept { return size_; }
  /// t[i], bounds-checked: IndexError("tuple index out of range").
  Value operator[](std::size_t i) const {
    if (i >= size_) [[unlikely]]
      detail::throw_index_error("tuple index out of range");
    return begin()[i];
  }
  std::span<const Value> items() const noexcept { return {begin(), size_}; }
  const Value* begin() const noexcept { return reinterpret_cast<const Value*>(this + 1); }
  const Value* end() const noexcept { return begin() + size_; }

 private:
  friend class Graph;
  friend struct detail::Access;
  /// Hash memo (0: not computed yet). CPython recomputes a tuple's hash each time; the
  /// memo keeps hashing a graph of shared tuples linear in its nodes.
  std::uint64_t cached_hash() const noexcept { return hash_; }
  void cache_hash(std::uint64_t h) const noexcept { hash_ = h; }
  Tuple() : Node(Kind::Tuple) {}
  std::size_t size_ = 0;
  mutable std::uint64_t hash_ = 0;
  // The items follow the node in the same block.
};

/// Python dict: insertion ordered; keys compare with Python equality (1 == 1.0 == True);
/// setting an existing key keeps the first key object and replaces the value.
class Dict : public detail::Node {
 public:
  struct Entry {
    Value key;
    Value value;
    /// What the index places the key by: py_hash(key), or for a NaN key one of its own.
    /// 0 for a str key not hashed yet: a dict of up to 8 entries compares str keys by text.
    std::uint64_t hash;
  };
  std::size_t size() const noexcept { return entries_.size; }
  const Entry* begin() const noexcept { return entries_.begin(); }
  const Entry* end() const noexcept { return entries_.end(); }
  /// d[key] = value. Throws TypeError("unhashable type: ...") for unhashable keys.
  void set(Graph& g, Value key, Value value);
  /// Room for n more entries without regrowing (a hint; SETITEMS knows its count).
  void reserve(Graph& g, std::size_t n);
  /// d.get(key): the value for key, or nullptr. Throws TypeError for unhashable keys.
  const Value* find(Value key) const;
  /// d.get('key') for a str key given as UTF-8, without allocating.
  const Value* find(std::string_view key) const;
  /// d.get(42), with Python's key semantics (42, 42.0 and, for 0 and 1, False and True
  /// are the same key). An unsigned key above the int64 range is OverflowError: look such
  /// ints up with find(Value).
  template <std::integral I>
  const Value* find(I key) const {
    return find(int_key(key));
  }
  const Value* find(const char* key) const { return find(std::string_view(key)); }
  /// d[key]: KeyError (the key's repr as message, as CPython) when it is missing.
  Value at(Value key) const;
  Value at(std::string_view key) const;
  template <std::integral I>
  Value at(I key) const {
    return at(int_key(key));
  }
  Value at(const char* key) const { return at(std::string_view(key)); }
  template <class K>
  bool contains(const K& key) const {
    return find(key) != nullptr;
  }

 private:
  friend class Graph;
  friend class Set;
  friend struct detail::Access;
  Dict() : Node(Kind::Dict) {}
  template <std::integral I>
  static Value int_key(I key) {
    if constexpr (std::is_same_v<I, bool>) {
      return Value::boolean(key);
    } else {
      if (!std::in_range<std::int64_t>(key)) [[unlikely]]
        detail::throw_int_overflow();
      return Value::integer(static_cast<std::int64_t>(key));
    }
  }
  template <class Match>
  std::size_t lookup_if(std::uint64_t hash, Match match) const;  // entry index or npos
  std::size_t lookup(Value key, std::uint64_t hash) const;
  std::size_t lookup(Value key) const;                                // hashes key only where the index needs it
  std::size_t find_str_linear(std::string_view text) const noexcept;  // no index: by text
  /// d[k0] = v0, d[k1] = v1, ... for pairs = [k0, v0, k1, v1, ...] (an even count): a
  /// SETITEMS batch, with the index sized once.
  void set_items(Graph& g, std::span<const Value> pairs);
  /// The entry of `key`, or a new one (value None) appended for it; `added` says which.
  Entry& entry_for(Graph& g, Value key, bool& added);
  /// A fresh index with room for `entries` entries, holding the present ones.
  void build_index(Graph& g, std::size_t entries);
  /// Whether the index holds `entries` entries within its load factor (2/3).
  bool index_has_room(std::size_t entries) const noexcept { return index_ && entries * 3 < (index_mask_ + 1) * 2; }
  /// Gives back the entries and index when each has a large block of its own (see
  /// Graph::release_unreferenced); the dict is left empty.
  void release_large_blocks(detail::Arena& arena) noexcept;
  detail::ArenaVec<Entry> entries_;
  std::uint32_t* index_ = nullptr;  // open addressing over entries_, entry+1, 0 = empty
  std::size_t index_mask_ = 0;
};

/// Python set or frozenset (Kind::FrozenSet): members kept in insertion order.
class Set : public detail::Node {
 public:
  std::size_t size() const noexcept { return table_.size(); }
  struct Iterator {
    const Dict::Entry* e;
    Value operator*() const noexcept { return e->key; }
    Iterator& operator++() noexcept {
      ++e;
      return *this;
    }
    bool operator!=(const Iterator& o) const noexcept { return e != o.e; }
  };
  Iterator begin() const noexcept { return {table_.begin()}; }
  Iterator end() const noexcept { return {table_.end()}; }
  /// s.add(item). Throws TypeError for unhashable items. Returns false if already present.
  bool add(Graph& g, Value item);
  bool contains(Value item) const;

 private:
  friend class Graph;
  friend struct detail::Access;
  /// Hash memo of a frozenset (0: not computed yet), as CPython's.
  std::uint64_t cached_hash() const noexcept { return hash_; }
  void cache_hash(std::uint64_t h) const noexcept { hash_ = h; }
  explicit Set(Kind k) : Node(k) {}
  Dict table_;  // values unused
  mutable std::uint64_t hash_ = 0;
};

/// A global named by module and qualified name: a class, function or singleton that the
/// loading side would import. `builtin()` tells whether the library knows its behaviour.
class Global : public detail::Node {
 public:
  std::string_view module() const noexcept { return module_; }
  std::string_view qualname() const noexcept { return qualname_; }
  /// Natively understood globals (see doc/design.md); Unknown for inert ones.
  enum class Builtin : std::uint8_t {
    Unknown,
    Set,
    FrozenSet,
    ByteArray,
    Bytes,
    Complex,
    CodecsEncode,   ///< _codecs.encode
    Reconstructor,  ///< copyreg._reconstructor
    NewObj,         ///< copyreg.__newobj__
    NewObjEx,       ///< copyreg.__newobj_ex__
    GetAttr,        ///< builtins.getattr
    Partial,        ///< functools.partial
    Type,           ///< builtins.type
    Object,         ///< builtins.object
    NoneType,       ///< type(None)
    EllipsisType,   ///< type(...)
    NotImplementedType,
    OtherBuiltin,  ///< some other attribute of the builtins module (known to exist)
  };
  Builtin builtin() const noexcept { return builtin_; }
  /// True for a global reached as getattr(owner, name) -- a bound or builtin method such as
  /// `collections.OrderedDict.fromkeys` -- which CPython pickles with getattr at every
  /// protocol; false for classes and functions named by a qualified name.
  bool is_attribute() const noexcept { return flags & detail::kAttribute; }

 private:
  friend class detail::GlobalTable;
  Global() : Node(Kind::Global) {}
  std::string_view module_, qualname_;
  Builtin builtin_ = Builtin::Unknown;
  // Kept by detail::GlobalTable: the names' hashes, the global this one is an attribute
  // of (when known), and the buffer a getattr-built qualname is spelled out in.
  std::uint64_t module_hash_ = 0, qualname_hash_ = 0;
  const Global* owner_ = nullptr;
  detail::NameBuffer* name_buffer_ = nullptr;
};

/// An object of a class this library does not rebuild natively, recorded as CPython built
/// it so that it can be inspected and pickled again.
class Object : public detail::Node {
 public:
  enum class How : std::uint8_t {
    Reduce,         ///< callable(*args): REDUCE, or INST/OBJ with arguments
    NewObj,         ///< cls.__new__(cls, *args, **kwargs): NEWOBJ, NEWOBJ_EX, INST/OBJ without
                    ///< arguments, copyreg.__newobj__, copyreg._reconstructor with base object
    Reconstructor,  ///< copyreg._reconstructor(cls, base, base_state), base other than object
  };
  How how() const noexcept { return how_; }
  /// Reduce: the callable. NewObj, Reconstructor: the class.
  Value callable() const noexcept { return callable_; }
  /// A tuple. Reconstructor: (base, base_state).
  Value args() const noexcept { return args_; }
  /// A dict (NEWOBJ_EX keyword arguments), or None.
  Value kwargs() const noexcept { return kwargs_; }
  /// The argument of the last BUILD, if any.
  bool has_state() const noexcept { return has_state_; }
  Value state() const noexcept { return state_; }
  void set_state(Value state) noexcept {
    state_ = state;
    has_state_ = true;
  }
  /// A state setter (the sixth item of a reduce tuple): the state was applied by calling
  /// setter(obj, state) rather than by BUILD. None when BUILD applied it.
  Value state_setter() const noexcept { return state_setter_; }
  void set_state_setter(Value setter, Value state) noexcept {
    state_setter_ = setter;
    set_state(state);
  }
  /// Items given by APPEND/APPENDS, SETITEM/SETITEMS and ADDITEMS, in order.
  std::span<const Value> list_items() const noexcept { return {list_items_.data, list_items_.size}; }
  std::span<const Dict::Entry> dict_items() const noexcept { return {dict_items_.data, dict_items_.size}; }
  std::span<const Value> set_items() const noexcept { return {set_items_.data, set_items_.size}; }
  void append(Graph& g, Value item);
  void set_item(Graph& g, Value key, Value value);
  void add(Graph& g, Value item);

 private:
  friend class Graph;
  Object() : Node(Kind::Object) {}
  How how_ = How::Reduce;
  bool has_state_ = false;
  Value callable_, args_, kwargs_, state_, state_setter_;
  detail::ArenaVec<Value> list_items_;
  detail::ArenaVec<Dict::Entry> dict_items_;
  detail::ArenaVec<Value> set_items_;
};

/// A persistent reference (PERSID / BINPERSID) kept as is.
class PersistentId : public detail::Node {
 public:
  Value pid() const noexcept { return pid_; }

 private:
  friend class Graph;
  explicit PersistentId(Value pid) : Node(Kind::PersistentId), pid_(pid) {}
  Value pid_;
};

/// A protocol-5 out-of-band buffer (NEXT_BUFFER), standing for a pickle.PickleBuffer;
/// or the read-only memoryview READONLY_BUFFER makes of a writable buffer or of a
/// bytearray. A memoryview cannot be pickled, copied or hashed, as in CPython. The bytes
/// of an out-of-band buffer belong to the caller that supplied it; they must outlive the
/// Graph.
class Buffer : public detail::Node {
 public:
  std::span<const std::uint8_t> view() const noexcept { return {data_, size_}; }
  bool readonly() const noexcept { return readonly_; }
  bool is_memoryview() const noexcept { return memoryview_; }

 private:
  friend class Graph;
  Buffer() : Node(Kind::Buffer) {}
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool readonly_ = false;
  bool memoryview_ = false;
};

/// A C++ object standing for an instance of a Python class (see pickle/copyreg.h). The
/// graph owns it and destroys it with the graph.
class Native : public detail::Node {
 public:
  const NativeClass& cls() const noexcept { return *cls_; }
  const std::type_info& type() const noexcept { return *type_; }
  void* object() const noexcept { return object_; }

 private:
  friend class Graph;
  Native() : Node(Kind::Native) {}
  const NativeClass* cls_ = nullptr;
  const std::type_info* type_ = nullptr;
  void* object_ = nullptr;
};

/// A Python iterator over a list, tuple, set or frozenset (its items), or over a dict
/// (its keys, or its (key, value) items). Reduce tuples carry their list and dict items
/// as iterators, and CPython's pickler insists on that.
class Iterator : public detail::Node {
 public:
  enum class Over : std::uint8_t { Items, DictKeys, DictItems };
  Value source() const noexcept { return source_; }
  Over over() const noexcept { return over_; }

 private:
  friend class Graph;
  Iterator() : Node(Kind::Iterator) {}
  Value source_;
  Over over_ = Over::Items;
};

namespace detail {
/// Throws TypeError("expected <expected>, got <type of v>").
[[noreturn]] void throw_wrong_kind(Value v, const char* expected);
}  // namespace detail

// The checked accessors, inline: one compare and a rarely taken branch.
#define PICKLE_CHECKED_ACCESSORS(Name, Type, Test, Expected) \
  inline Type& Value::as_##Name() const {                    \
    if (!(Test)) [[unlikely]]                                \
      detail::throw_wrong_kind(*this, Expected);             \
    return *static_cast<Type*>(node_);                       \
  }                                                          \
  inline Type* Value::try_as_##Name() const noexcept { return (Test) ? static_cast<Type*>(node_) : nullptr; }
PICKLE_CHECKED_ACCESSORS(bigint, const BigInt, kind_ == Kind::Int && big_, "int")
PICKLE_CHECKED_ACCESSORS(complex, const Complex, kind_ == Kind::Complex, "complex")
PICKLE_CHECKED_ACCESSORS(str, const Str, kind_ == Kind::Str, "str")
PICKLE_CHECKED_ACCESSORS(bytes, const Bytes, kind_ == Kind::Bytes || kind_ == Kind::ByteArray, "bytes or bytearray")
PICKLE_CHECKED_ACCESSORS(bytearray, Bytes, kind_ == Kind::ByteArray, "bytearray")
PICKLE_CHECKED_ACCESSORS(list, List, kind_ == Kind::List, "list")
PICKLE_CHECKED_ACCESSORS(tuple, const Tuple, kind_ == Kind::Tuple, "tuple")
PICKLE_CHECKED_ACCESSORS(dict, Dict, kind_ == Kind::Dict, "dict")
PICKLE_CHECKED_ACCESSORS(set, Set, kind_ == Kind::Set || kind_ == Kind::FrozenSet, "set or frozenset")
PICKLE_CHECKED_ACCESSORS(global, const Global, kind_ == Kind::Global, "a global (class or function)")
PICKLE_CHECKED_ACCESSORS(object, Object, kind_ == Kind::Object, "an inert object")
PICKLE_CHECKED_ACCESSORS(persistent_id, const PersistentId, kind_ == Kind::PersistentId, "a persistent id")
PICKLE_CHECKED_ACCESSORS(buffer, const Buffer, kind_ == Kind::Buffer, "pickle.PickleBuffer")
PICKLE_CHECKED_ACCESSORS(native, const Native, kind_ == Kind::Native, "a registered C++ object")
PICKLE_CHECKED_ACCESSORS(iterator, const Iterator, kind_ == Kind::Iterator, "iterator")
#undef PICKLE_CHECKED_ACCESSORS

inline bool Value::as_bool() const {
  if (kind_ != Kind::Bool) [[unlikely]]
    detail::throw_wrong_kind(*this, "bool");
  return i_ != 0;
}
inline std::int64_t Value::as_int() const {
  if (kind_ != Kind::Int && kind_ != Kind::Bool) [[unlikely]]
    detail::throw_wrong_kind(*this, "int");
  if (big_) [[unlikely]]
    detail::throw_int_overflow();
  return i_;
}
inline double Value::as_float() const {
  if (kind_ != Kind::Float) [[unlikely]]
    detail::throw_wrong_kind(*this, "float");
  return f_;
}
inline std::optional<bool> Value::try_as_bool() const noexcept {
  return kind_ == Kind::Bool ? std::optional<bool>(i_ != 0) : std::nullopt;
}
inline std::optional<std::int64_t> Value::try_as_int() const noexcept {
  return (kind_ == Kind::Int || kind_ == Kind::Bool) && !big_ ? std::optional<std::int64_t>(i_) : std::nullopt;
}
inline std::optional<double> Value::try_as_float() const noexcept {
  return kind_ == Kind::Float ? std::optional<double>(f_) : std::nullopt;
}

template <class T>
T* Value::native() const noexcept {
  const Native* n = try_as_native();
  return n && n->type() == typeid(T) ? static_cast<T*>(n->object()) : nullptr;
}

// ---------------------------------------------------------------------------------------

/// Owns a graph of Python values. Movable, not copyable.
class Graph {
 public:
  Graph();
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;
  ~Graph();

  /// Frees every value of the graph (each Value taken from it is invalid afterwards) but
  /// keeps its last block of memory: a reader that loads one small message per call into
  /// the same graph skips the cost of setting up a fresh one. The graph gets a new id().
  void clear() noexcept;

  Value root() const noexcept { return root_; }
  void set_root(Value v) noexcept { root_ = v; }
  /// Unique in the process for the lifetime of the graph's contents (a moved-to graph
  /// takes the id; the moved-from one gets a new one), unlike its address.
  std::uint64_t id() const noexcept { return id_; }

  // Factories. Strings are copied into the graph unless stated otherwise.
  /// An int from sign and base-2^32 magnitude (least significant limb first); an
  /// immediate when it fits int64.
  Value new_bigint(bool negative, std::span<const std::uint32_t> magnitude);
  /// From little-endian two's complement bytes (the LONG1/LONG4 payload).
  Value new_int_from_bytes(std::span<const std::uint8_t> le_twos_complement);
  Value new_complex(double real, double imag);
  /// A new str node, never shared with another (see shared_or_new_str for CPython's
  /// sharing). `utf8` must be valid UTF-8 except that surrogates may be encoded (see Str).
  Value new_str(std::string_view utf8);
  /// A str viewing caller memory that outlives the graph (no copy).
  Value new_str_view(std::string_view utf8);
  Value new_bytes(std::span<const std::uint8_t> data);
  Value new_bytes(std::string_view data) {
    return new_bytes(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  }
  /// bytes viewing caller memory that outlives the graph (no copy).
  Value new_bytes_view(std::span<const std::uint8_t> data);
  Value new_bytearray(std::span<const std::uint8_t> data);
  Value new_list();
  Value new_tuple(std::span<const Value> items);
  Value new_dict();
  Value new_set();
  Value new_frozenset();
  /// The global (module, qualname): the same node for the same name within a graph.
  Value global(std::string_view module, std::string_view qualname);
  Value new_object(Object::How how, Value callable, Value args, Value kwargs = Value());
  Value new_persistent_id(Value pid);
  /// A pickle.PickleBuffer over `data`.
  Value new_buffer(std::span<const std::uint8_t> data, bool readonly);
  /// A read-only memoryview of `data`.
  Value new_memoryview(std::span<const std::uint8_t> data);
  /// iter(source) for a list, tuple, set or frozenset, iter(d) or iter(d.items()) for a
  /// dict `source`.
  Value new_iterator(Value source, Iterator::Over over = Iterator::Over::Items);
  /// A C++ object as an instance of `cls`; the graph destroys it with itself.
  template <class T>
  Value new_native(const NativeClass& cls, T object) {
    void* mem = arena_.allocate(sizeof(T), alignof(T));
    // Room for the destructor first: once T exists, nothing may fail before it is recorded.
    if constexpr (!std::is_trivially_destructible_v<T>) reserve_finalizer();
    T* p = new (mem) T(std::move(object));
    if constexpr (!std::is_trivially_destructible_v<T>) {
      finalizers_.emplace_back(p, [](void* q) { static_cast<T*>(q)->~T(); });
    }
    return adopt_native(cls, typeid(T), p);
  }

  /// A str as CPython creates one when decoding: the empty str and the one-character
  /// strs below U+0100 are shared instances (identity matters when pickling again);
  /// other strings are fresh nodes. `utf8` must be a valid Str encoding.
  Value shared_or_new_str(std::string_view utf8);
  /// bytes as CPython's bytes constructors create them: b'' and one-byte bytes shared.
  Value shared_or_new_bytes(std::span<const std::uint8_t> data);
  /// The shared empty tuple.
  Value empty_tuple();
  /// Marks a global as an attribute (see Global::is_attribute).
  void mark_attribute(Value global) noexcept { global.node()->flags |= detail::kAttribute; }

  /// Bytes this graph has taken from its arena (nodes, strings, tables).
  std::size_t bytes_allocated() const noexcept { return arena_.bytes_allocated(); }

 private:
  friend struct detail::Access;
  /// global(owner.module(), owner.qualname() + "." + attr), found or made in the time of
  /// `attr` (see lib/src/global_table.h).
  Value global_attribute(const Global& owner, std::string_view attr);
  /// Uninitialised storage in the graph (for building strings in place).
  char* allocate_chars(std::size_t n) { return static_cast<char*>(arena_.allocate(n, 1)); }
  /// The arena block of a str new_str makes: node and characters, padded to the node's
  /// alignment so that the block is the last one until the next node is allocated.
  static constexpr std::size_t str_block_size(std::size_t size) noexcept {
    return (sizeof(Str) + size + alignof(Str) - 1) & ~(alignof(Str) - 1);
  }
  /// A str whose bytes were written into allocate_chars() storage.
  Value adopt_str(const char* data, std::size_t size);
  Value adopt_bytes(Kind kind, std::uint8_t* data, std::size_t size);
  /// A bytes or bytearray node with room for `size` bytes of payload, uninitialised or
  /// zeroed, which the caller fills in. A large payload gets an arena block of its own,
  /// so that release_unreferenced can give it back.
  Value new_bytes_storage(Kind kind, std::size_t size, bool zeroed, std::uint8_t*& payload);
  /// Cuts a bytes from new_bytes_storage, not yet shared, to its first `size` bytes.
  void truncate_new_bytes(Value bytes, std::size_t size);
  /// Gives the large blocks of `v` (payload, items, table) back to the system at once.
  /// Only for a node that nothing refers to any more, which is not used again.
  void release_unreferenced(Value v) noexcept;
  // Nodes have private constructors: only the Graph builds them.
  template <class T, class... Args>
  T* make(Args&&... args) {
    return stamp(new (arena_.allocate(sizeof(T), alignof(T))) T(static_cast<Args&&>(args)...));
  }
  /// Gives a new node the next serial.
  template <class T>
  T* stamp(T* node) noexcept {
    node->serial = ++last_serial_;
    return node;
  }
  Value adopt_native(const NativeClass& cls, const std::type_info& type, void* object);
  void reserve_finalizer();
  static std::uint64_t next_id() noexcept;
  std::uint64_t id_ = next_id();
  std::uint32_t last_serial_ = 0;  // of the newest node (Node::serial)
  detail::Arena arena_;
  std::vector<std::pair<void*, void (*)(void*)>> finalizers_;  // natives' destructors
  Value root_;
  Value* small_strs_ = nullptr;   // 257 lazily created: "" and U+0000..U+00FF
  Value* small_bytes_ = nullptr;  // 257 lazily created: b"" and b"\x00".."\xff"
  Value empty_tuple_;
  std::unique_ptr<detail::GlobalTable> globals_;  // made with the first global
};

// ---------------------------------------------------------------------------------------
// Python semantics over values.

/// Python hash() for hashable values, consistent with py_equal (1, 1.0 and True hash
/// alike). Throws TypeError("unhashable type: 'list'") like CPython.
std::uint64_t py_hash(Value v);
/// Python `==` for hashable values (used for dict keys and set members). Objects and
/// unknown globals compare by identity.
bool py_equal(Value a, Value b);
/// The Python type name of a value as CPython prints it in messages.
std::string type_name(Value v);
struct ReprOptions {
  /// Ints of more decimal digits make repr throw ValueError, as CPython's int->str limit
  /// does (sys.get_int_max_str_digits()); 0 prints every digit.
  std::size_t max_int_digits = 4300;
  /// The CPython whose messages repr's errors use (python_version.h).
  PythonVersion python{};
};
/// repr(v), Python style; cycles print as `...`, `[...]`, `{...}`; sets in CPython's
/// iteration order.
std::string repr(Value v, const ReprOptions& options = {});
/// Structural equality of two graphs (for tests and round trips): same kinds and values,
/// same shape of sharing is not required; cycles are handled.
bool deep_equal(Value a, Value b);

}  // namespace pickle
