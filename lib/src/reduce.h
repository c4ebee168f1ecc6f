// Reduce values: the (callable, args, state, listitems, dictitems, state_setter) tuples
// that CPython's pickler turns into REDUCE / NEWOBJ / NEWOBJ_EX + BUILD, and the
// emulation of object.__reduce_ex__(protocol) for objects this library keeps inert.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "pickle/value.h"
#include "pyobject.h"

namespace pickle::detail {

/// One value returned by a __reduce__ (absent items are None / empty).
struct ReduceValue {
  Value callable;
  Value args;   ///< a tuple
  Value state;  ///< None: no BUILD
  bool has_listitems = false;
  std::span<const Value> listitems;
  bool has_dictitems = false;
  std::span<const Dict::Entry> dictitems;
  /// The dict items iterator went on with an item that is not a 2-tuple (not in
  /// `dictitems`): batch_dict raises TypeError once the items before it are saved.
  bool dictitems_not_pairs = false;
  Value state_setter;  ///< None: BUILD; otherwise setter(obj, state)
  /// The state is the object's __dict__ (or a (__dict__, slots) pair) as object.__getstate__
  /// returns it: a dict distinct from the loaded one, whose str keys are interned.
  bool state_is_instance_dict = false;

  static ReduceValue call(Value callable, Value args) {
    ReduceValue rv;
    rv.callable = callable;
    rv.args = args;
    return rv;
  }
};

/// What object.__reduce_ex__(proto) returns for an inert Object, given how it was built:
///  * built by a call (REDUCE): the same call, its BUILD state and items;
///  * a plain instance (NEWOBJ...): copyreg.__newobj__ / __newobj_ex__ at protocol 2+,
///    copyreg._reconstructor below (the base class inferred from the object's items:
///    list items mean a list subclass, dict items a dict subclass, a single int/float/str/
///    bytes/tuple __new__ argument that builtin; otherwise object);
///  * copyreg._reconstructor with a builtin base: the same below protocol 2, __newobj__
///    with the base's __getnewargs__ and items at 2+.
/// Temporaries CPython would create fresh are allocated in `scratch`: copyreg's base(self)
/// always; and, when `again` (the object is reached while its own reduction is under way,
/// so CPython calls __reduce_ex__ a second time), the argument tuple and the lists, dicts
/// and tuples directly in it, as list(self), tuple(self) and the like build them anew.
ReduceValue reduce_object(Value obj, int proto, Graph& scratch, bool again = false);

/// ndarray.__reduce_ex__(proto) for a numpy array loaded from either of numpy's forms
/// (numpy.cpp): from protocol 5, a contiguous array of a dtype without objects pickles as
/// `numeric._frombuffer(PickleBuffer, dtype, shape, order)`, below it (and for the other
/// arrays) as `multiarray._reconstruct` + BUILD state. The other form when the protocol
/// asks for it, nullopt to write the object as it was loaded (the same form, or an array
/// the views of pickle/numpy.h do not read).
std::optional<ReduceValue> reduce_numpy_array(Value obj, int proto, Graph& scratch);

/// numpy.dtype, which numpy's copyreg reducer for its DType classes names by the literal
/// "dtype": an interned str, the same object as an interned instance-dict key 'dtype'.
bool is_numpy_dtype_class(const Global& g) noexcept;

/// The name CPython's save_reduce reads from a callable (its __name__), empty if unknown.
std::string_view callable_name(Value callable);

/// object.__reduce_ex__(proto) for a Native value, with its class's hooks (getnewargs,
/// getnewargs_ex, getstate) and CPython's errors for them.
ReduceValue reduce_native(Value obj, int proto, Graph& scratch);
/// complex.__reduce_ex__(proto), for when no dispatch table entry reduces complex.
ReduceValue reduce_complex(Value obj, int proto, Graph& scratch);
/// __reduce_ex__(proto) of a memoryview or a PickleBuffer: CPython's TypeError.
[[noreturn]] void refuse_to_reduce_buffer(Value obj, int proto);
/// iterator.__reduce__(): (iter, (remaining items,)).
ReduceValue reduce_iterator(Value obj, Graph& scratch);
/// A reduce tuple checked as CPython's save_reduce checks it (PicklingError for a wrong
/// length, an items element that is not an iterator, ...), with its iterators resolved.
ReduceValue reduce_value_from_tuple(Value rv, Graph& scratch);

/// functools.partial(cls.__new__, cls, *args, **kwargs), as CPython builds it for
/// __newobj_ex__ at protocols 2 and 3 (args = (cls, args, kwargs)).
Value partial_for_newobj_ex(Value cls, Value args, Value kwargs, Graph& scratch);

}  // namespace pickle::detail
