// pickle::ScanPolicy: the built-in policies, policy files and the judgement of events.
#include <initializer_list>
#include <string>

#include "pickle/scan.h"

namespace pickle {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The globals CPython's own pickler writes for values of built-in and common standard
// library types (copyreg's helpers, _codecs.encode for bytes below protocol 3, getattr
// for methods), which load without running code beyond the constructors of those types.
constexpr const char* kBuiltinRules = R"(
default deny
allow builtins:bool
allow builtins:bytearray
allow builtins:bytes
allow builtins:complex
allow builtins:dict
allow builtins:float
allow builtins:frozenset
allow builtins:getattr
allow builtins:int
allow builtins:list
allow builtins:object
allow builtins:range
allow builtins:set
allow builtins:slice
allow builtins:str
allow builtins:tuple
allow builtins:Ellipsis
allow builtins:NotImplemented
allow _codecs:encode
allow copyreg:_reconstructor
allow copyreg:__newobj__
allow copyreg:__newobj_ex__
allow collections:OrderedDict
allow collections:defaultdict
allow collections:deque
allow collections:Counter
allow datetime:date
allow datetime:time
allow datetime:datetime
allow datetime:timedelta
allow datetime:timezone
allow decimal:Decimal
allow uuid:UUID
allow fractions:Fraction
)";

// torch/_weights_only_unpickler.py's _get_allowed_globals(), with the modules it
// refuses even when a user allows them.
constexpr const char* kWeightsOnlyRules = R"(
default deny
deny sys.*:*
deny os.*:*
deny posix.*:*
deny nt.*:*
allow collections:OrderedDict
allow collections:Counter
allow torch.nn.parameter:Parameter
allow torch.serialization:_get_layout
allow torch:Size
allow torch:Tensor
allow torch:device
allow _codecs:encode
allow builtins:bytearray
allow builtins:set
allow builtins:complex
allow torch._utils:_rebuild_tensor
allow torch._utils:_rebuild_tensor_v2
allow torch._utils:_rebuild_tensor_v3
allow torch._utils:_rebuild_parameter
allow torch._utils:_rebuild_parameter_with_state
allow torch._utils:_rebuild_qtensor
allow torch._utils:_rebuild_sparse_tensor
allow torch._utils:_rebuild_meta_tensor_no_storage
allow torch._utils:_rebuild_wrapper_subclass
allow torch._utils:_rebuild_device_tensor_from_numpy
allow torch._utils:_rebuild_device_tensor_from_cpu_tensor
allow torch._tensor:_rebuild_from_type_v2
allow torch.storage:TypedStorage
allow torch:UntypedStorage
allow torch:per_tensor_affine
allow torch:per_channel_affine
allow torch:per_tensor_symmetric
allow torch:per_channel_symmetric
allow torch:per_channel_affine_float_qparams
allow torch:strided
allow torch:sparse_coo
allow torch:sparse_csr
allow torch:sparse_csc
allow torch:sparse_bsr
allow torch:sparse_bsc
allow torch:_mkldnn
)";

// The dtypes, tensor and storage classes of the weights_only allowlist, by name.
constexpr std::string_view kTorchDtypes[] = {"float32",
                                             "float",
                                             "float64",
                                             "double",
                                             "float16",
                                             "half",
                                             "bfloat16",
                                             "complex32",
                                             "chalf",
                                             "complex64",
                                             "cfloat",
                                             "complex128",
                                             "cdouble",
                                             "uint8",
                                             "int8",
                                             "int16",
                                             "short",
                                             "int32",
                                             "int",
                                             "int64",
                                             "long",
                                             "bool",
                                             "qint8",
                                             "quint8",
                                             "qint32",
                                             "quint4x2",
                                             "quint2x4",
                                             "float8_e4m3fn",
                                             "float8_e5m2",
                                             "float8_e4m3fnuz",
                                             "float8_e5m2fnuz",
                                             "uint16",
                                             "uint32",
                                             "uint64",
                                             "uint1",
                                             "uint2",
                                             "uint3",
                                             "uint4",
                                             "uint5",
                                             "uint6",
                                             "uint7",
                                             "int1",
                                             "int2",
                                             "int3",
                                             "int4",
                                             "int5",
                                             "int6",
                                             "int7",
                                             "bits8",
                                             "bits16",
                                             "bits1x8",
                                             "bits2x4",
                                             "bits4x2"};
constexpr std::string_view kTorchTensorTypes[] = {"Double", "Float", "Half", "BFloat16", "Long",
                                                  "Int",    "Short", "Char", "Byte",     "Bool"};
constexpr std::string_view kTorchStorageTypes[] = {
    "Double", "Float",         "Half",         "BFloat16", "Long",  "Int",    "Short",    "Char",    "Byte",
    "Bool",   "ComplexDouble", "ComplexFloat", "QUInt8",   "QInt8", "QInt32", "QUInt4x2", "QUInt2x4"};

// What NumPy (1.x and 2.x spellings) and SciPy's sparse matrices pickle as; scikit-learn's
// estimators follow (doc/scan.md says where the list comes from).
constexpr const char* kMlRules = R"(
allow numpy:ndarray
allow numpy:dtype
allow numpy.core.multiarray:_reconstruct
allow numpy.core.multiarray:scalar
allow numpy.core.numeric:_frombuffer
allow numpy._core.multiarray:_reconstruct
allow numpy._core.multiarray:scalar
allow numpy._core.numeric:_frombuffer
allow numpy.ma.core:MaskedArray
allow numpy.ma.core:_mareconstruct
allow numpy.ma.core:MaskedConstant
allow numpy.random._pickle:__randomstate_ctor
allow numpy.random._pickle:__bit_generator_ctor
allow numpy.random._pickle:__generator_ctor
allow numpy.random.mtrand:RandomState
allow numpy.random._generator:Generator
allow numpy.random._mt19937:MT19937
allow numpy.random._pcg64:PCG64
allow numpy.random._pcg64:PCG64DXSM
allow numpy.random._philox:Philox
allow numpy.random._sfc64:SFC64
allow numpy.random.bit_generator:SeedSequence
allow scipy.sparse._csr:csr_matrix
allow scipy.sparse._csc:csc_matrix
allow scipy.sparse._coo:coo_matrix
allow scipy.sparse._bsr:bsr_matrix
allow scipy.sparse._dia:dia_matrix
allow scipy.sparse._dok:dok_matrix
allow scipy.sparse._lil:lil_matrix
allow scipy.sparse.csr:csr_matrix
allow scipy.sparse.csc:csc_matrix
allow scipy.sparse.coo:coo_matrix
)";

// numpy's scalar types, which dtypes and scalars of those dtypes pickle as.
constexpr std::string_view kNumpyScalarTypes[] = {
    "bool_",  "int8",    "int16",   "int32",   "int64",      "uint8",      "uint16",     "uint32",
    "uint64", "float16", "float32", "float64", "longdouble", "complex64",  "complex128", "clongdouble",
    "str_",   "bytes_",  "void",    "object_", "datetime64", "timedelta64"};

#include "ml_policy_sklearn.inc"

}  // namespace

ScanPolicy ScanPolicy::parse(std::string_view text, std::string name) {
  ScanPolicy p;
  p.name_ = std::move(name);
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == text.npos ? std::string_view() : text.substr(nl + 1);
    if (const std::size_t hash = line.find('#'); hash != line.npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::size_t space = line.find_first_of(" \t");
    const std::string_view verb = line.substr(0, space);
    const std::string_view arg = space == line.npos ? std::string_view() : trim(line.substr(space));
    auto bad = [&](std::string_view why) {
      throw Error(ErrorType::ValueError,
                  "policy " + p.name_ + " line " + std::to_string(line_no) + ": " + std::string(why));
    };
    if (verb == "default") {
      if (arg != "allow" && arg != "deny") bad("default takes allow or deny");
      p.default_allow_ = arg == "allow";
      continue;
    }
    if (verb != "allow" && verb != "deny") bad("expected default, allow or deny, not '" + std::string(verb) + "'");
    if (arg == "persistent-ids") {
      p.allow_persistent_ids_ = verb == "allow";
      continue;
    }
    const std::size_t colon = arg.find(':');
    if (colon == arg.npos || colon == 0 || colon + 1 == arg.size() || arg.find_first_of(" \t") != arg.npos) {
      bad("expected MODULE:NAME, not '" + std::string(arg) + "'");
    }
    Rule r;
    r.allow = verb == "allow";
    std::string_view module = arg.substr(0, colon);
    r.submodules = module.ends_with(".*");
    if (r.submodules) module.remove_suffix(2);
    r.module = module;
    r.name = arg.substr(colon + 1);
    p.rules_.push_back(std::move(r));
  }
  return p;
}

ScanPolicy ScanPolicy::builtins() { return parse(kBuiltinRules, "builtins"); }

ScanPolicy ScanPolicy::weights_only() {
  std::string text = kWeightsOnlyRules;
  for (std::string_view d : kTorchDtypes) text += "allow torch:" + std::string(d) + "\n";
  for (std::string_view t : kTorchTensorTypes) {
    text += "allow torch:" + std::string(t) + "Tensor\n";
    text += "allow torch.cuda:" + std::string(t) + "Tensor\n";
  }
  for (std::string_view s : kTorchStorageTypes) text += "allow torch:" + std::string(s) + "Storage\n";
  return parse(text, "weights-only");
}

ScanPolicy ScanPolicy::ml() {
  std::string text = kBuiltinRules;
  text += kMlRules;
  for (std::string_view t : kNumpyScalarTypes) text += "allow numpy:" + std::string(t) + "\n";
  for (std::string_view g : kSklearnGlobals) text += "allow " + std::string(g) + "\n";
  return parse(text, "ml");
}

ScanPolicy ScanPolicy::named(std::string_view name) {
  if (name == "builtins") return builtins();
  if (name == "weights-only") return weights_only();
  if (name == "ml") return ml();
  throw Error(ErrorType::ValueError,
              "unknown policy '" + std::string(name) + "' (builtins, weights-only, ml, or a policy file)");
}

bool ScanPolicy::matches(const Rule& r, std::string_view module, std::string_view name) {
  const bool module_matches = module == r.module || (r.submodules && module.size() > r.module.size() &&
                                                     module.starts_with(r.module) && module[r.module.size()] == '.');
  if (!module_matches) return false;
  if (r.name == "*") return !r.allow || name.find('.') == name.npos;  // a deny covers attribute walks too
  if (r.name == name) return true;
  // A denied name also covers the attributes reached through it.
  return !r.allow && name.size() > r.name.size() && name.starts_with(r.name) && name[r.name.size()] == '.';
}

bool ScanPolicy::allows_global(std::string_view module, std::string_view name) const {
  bool allowed = default_allow_;
  for (const Rule& r : rules_) {
    if (!matches(r, module, name)) continue;
    if (!r.allow) return false;
    allowed = true;
  }
  return allowed;
}

std::optional<std::string> ScanPolicy::judge(const ScanEvent& e) const {
  using K = ScanEvent::Kind;
  const std::string where = e.reached ? "" : " (in bytes CPython does not reach)";
  switch (e.kind) {
    case K::Import:
    case K::Attribute:
      if (e.source == ScanEvent::Source::Unresolved) {
        if (!e.reached) return std::nullopt;
        return "the name is computed by a call the scan cannot evaluate";
      }
      if (allows_global(e.module, e.name)) return std::nullopt;
      return "global " + e.module + "." + e.name + " is not allowed by policy " + name_ + where;
    case K::Call:
    case K::New:
      if (!e.reached) return std::nullopt;
      if (e.module.empty()) return "calls " + e.target + ", which the pickle computed";
      if (allows_global(e.module, e.name)) return std::nullopt;
      return "calls " + e.target + ", not allowed by policy " + name_;
    case K::SetAttributes:
      if (!e.reached) return std::nullopt;
      return "sets attributes of " + e.target + ", changing it for the whole process";
    case K::Extension:
      if (e.source == ScanEvent::Source::Unresolved) {
        return "EXT " + e.detail + " is not in the extension registry: the loading process decides what it imports" +
               where;
      }
      return std::nullopt;
    case K::PersistentId:
      if (allow_persistent_ids_ || !e.reached) return std::nullopt;
      return "persistent ids are not allowed by policy " + name_;
    case K::Framing: return e.detail;
    case K::SetState:
    case K::Items:
    case K::Buffer: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace pickle
