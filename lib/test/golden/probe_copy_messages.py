"""Prints the CPython outcomes that copy_test.cpp and copyreg_test.cpp assert literally.

Run with the reference interpreter (python3 lib/test/golden/probe_copy_messages.py); every
expected message in those tests is one of the lines printed here.
"""
import copy
import copyreg


def outcome(f, *args):
    try:
        f(*args)
        return "ok"
    except Exception as e:  # noqa: BLE001 - we report whatever CPython raises
        return f"{type(e).__name__}: {e}"


class C:
    pass


def state_setter(obj, state):
    pass


MALFORMED = {
    "not_iterable": 5,
    "one_item": (C,),
    "empty": (),
    "args_int": (C, 5),
    "args_none": (C, None),
    "func_int": (5, ()),
    "listiter_int": (C, (), None, 5),
    "dictiter_int": (C, (), None, None, 5),
    "dictiter_item_int": (C, (), None, None, [1]),
    "dictiter_item_triple": (C, (), None, None, [(1, 2, 3)]),
    "state_int": (C, (), 5),
    "state_list_of_ints": (C, (), [1, 2]),
    "state_str": (C, (), "ab"),
    "slotstate_int_key": (C, (), (None, {1: 2})),
    "slotstate_list": (C, (), (None, [1])),
    "append_to_list_class": (set, (), None, [1]),
    "six_items": (C, (), {}, None, None, state_setter),
    "six_items_none": (C, (), {}, None, None, None),
}


def main():
    C.__module__ = "__main__"
    for name, rv in MALFORMED.items():
        copyreg.pickle(C, lambda obj, rv=rv: rv)
        print(f"copy {name}: {outcome(copy.copy, C())}")
        print(f"deepcopy {name}: {outcome(copy.deepcopy, C())}")
    del copyreg.dispatch_table[C]

    class NoSetState:
        def __reduce_ex__(self, proto):
            return (NoSetState, (), {"foo": 1})
    # A C++ object has no __dict__: a list stands for it here.
    print("dict update on an object without __dict__:", outcome(lambda: [].__dict__))

    print("pickle(C, None):", outcome(copyreg.pickle, C, None, None))
    print("pickle(int, 'x'):", outcome(copyreg.pickle, int, "not a callable"))
    print("pickle(int, int, 'x'):", outcome(copyreg.pickle, int, int, "not a callable"))
    mod, func, code = "junk1 ", " junk2", 0xABCD
    print("remove unregistered:", outcome(copyreg.remove_extension, mod, func, code))
    copyreg.add_extension(mod, func, code)
    try:
        print("add conflicting code:", outcome(copyreg.add_extension, mod, func, code + 1))
        print("remove conflicting code:", outcome(copyreg.remove_extension, mod, func, code + 1))
        print("add conflicting module:", outcome(copyreg.add_extension, mod[1:], func, code))
        print("remove conflicting module:", outcome(copyreg.remove_extension, mod[1:], func, code))
        print("add conflicting name:", outcome(copyreg.add_extension, mod, func[1:], code))
        print("remove conflicting name:", outcome(copyreg.remove_extension, mod, func[1:], code))
        print("remove unknown:", outcome(copyreg.remove_extension, mod[1:], func[1:], code + 1))
    finally:
        copyreg.remove_extension(mod, func, code)
    for bad in (-1, 0, 0x80000000):
        print(f"add code {bad}:", outcome(copyreg.add_extension, mod, func, bad))
    import pickle
    buffers = {"PickleBuffer": pickle.PickleBuffer(b"ab"),
               "memoryview": memoryview(bytearray(b"ab")).toreadonly()}
    for name, b in buffers.items():
        print(f"copy {name}: {outcome(copy.copy, b)}")
        print(f"deepcopy {name}: {outcome(copy.deepcopy, b)}")


if __name__ == "__main__":
    main()
