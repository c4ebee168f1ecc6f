#!/usr/bin/env python3
"""The scanner's regression corpus: one pickle per published bypass class of pickle
scanners (../doc/scan.md lists them), written by hand opcode by opcode, named after the
class and the advisory or issue it comes from. Each case says which verdict
`pickletool scan` must give under the builtins and ml policies; scan_check.py replays
them, and compares every scanned import with what CPython's unpickler asks find_class for.

    python3 conformance/scan_cases.py --out corpus/regressions/scan   # NAME.pkl per case
"""

import argparse
import os
import struct


def s(text):
    """SHORT_BINUNICODE."""
    b = text.encode('utf-8')
    return b'\x8c' + bytes([len(b)]) + b


def g(module, name):
    """GLOBAL."""
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


P2 = b'\x80\x02'
P4 = b'\x80\x04'
MARK, TUPLE, TUPLE1, TUPLE2, REDUCE, STOP, BUILD = b'(', b't', b'\x85', b'\x86', b'R', b'.', b'b'
STACK_GLOBAL, MEMOIZE, POP, EMPTY_DICT, NONE = b'\x93', b'\x94', b'0', b'}', b'N'


def binput(i):
    return b'q' + bytes([i])


def binget(i):
    return b'h' + bytes([i])


def call(callable_bytes, *args):
    """callable(*args) with REDUCE."""
    return callable_bytes + MARK + b''.join(args) + TUPLE + REDUCE


# (name, pickle bytes, verdict under builtins, verdict under ml)
CASES = [
    # A GLOBAL and REDUCE, what every scanner finds: the baseline.
    ('plain_global_reduce', P2 + call(g('os', 'system'), s('echo hi')) + STOP, 'flagged', 'flagged'),
    # INST imports and calls in one opcode (picklescan#13).
    ('inst_opcode__picklescan13', b'(S\'echo hi\'\nios\nsystem\n.', 'flagged', 'flagged'),
    # OBJ whose result is popped: the call still happens (GHSA-mxhj-88fx-4pcv).
    ('obj_popped__GHSA-mxhj-88fx-4pcv', P2 + MARK + g('os', 'system') + s('echo hi') + b'o' + POP + NONE + STOP,
     'flagged', 'flagged'),
    # Memo indexes set with PUT out of order and mixed with MEMOIZE: the GET reads what
    # CPython stored, not the text of the opcode before (picklescan#14, #22; modelscan#85).
    ('memo_put_out_of_order__picklescan14', P4 + s('collections') + binput(5) + POP + s('os') + MEMOIZE + POP +
     s('system') + binput(9) + POP + binget(1) + binget(9) + STACK_GLOBAL + s('echo hi') + TUPLE1 + REDUCE + STOP,
     'flagged', 'flagged'),
    # A memoized GLOBAL read back with BINGET and called (modelaudit#623).
    ('memoized_global__modelaudit623', P2 + g('os', 'system') + binput(0) + POP + binget(0) + s('echo hi') + TUPLE1 +
     REDUCE + STOP, 'flagged', 'flagged'),
    # Decoy strings pushed and popped before STACK_GLOBAL (modelaudit#518).
    ('stack_global_decoys__modelaudit518', P4 + s('torch') + s('LongStorage') + POP + POP + s('os') + s('system') +
     STACK_GLOBAL + s('echo hi') + TUPLE1 + REDUCE + STOP, 'flagged', 'flagged'),
    # STACK_GLOBAL operands as protocol-0 STRING at offset 0 (GHSA-9gvj-pp9x-gcfr).
    ('stack_global_string_operands__GHSA-9gvj-pp9x-gcfr', b"S'os'\nS'system'\n\x93S'echo hi'\n\x85R.",
     'flagged', 'flagged'),
    # The module name computed at load time by str.join (modelscan#331): unresolved.
    ('stack_global_computed__modelscan331', P4 + call(b'\x8c\x08builtins\x8c\x07getattr\x93', s(''), s('join')) +
     MARK + b']' + MARK + s('o') + s('s') + b'e' + TUPLE + REDUCE + s('system') + STACK_GLOBAL + s('echo hi') +
     TUPLE1 + REDUCE + STOP, 'flagged', 'flagged'),
    # BUILD plants an attribute on an allowlisted function, a dotted global reads it back
    # (modelscan#85).
    ('build_setattr_global__modelscan85', P4 + g('numpy', 'prod') + NONE + EMPTY_DICT + s('a') + s('os') + b's' +
     TUPLE2 + BUILD + POP + s('numpy') + s('prod.a') + STACK_GLOBAL + STOP, 'flagged', 'flagged'),
    # A dotted name from an allowlisted module reaches the builtins dict (modelscan#89).
    ('dotted_builtins__modelscan89', P4 + s('numpy') + s('__builtins__.get') + STACK_GLOBAL + s('eval') + TUPLE1 +
     REDUCE + s('1+1') + TUPLE1 + REDUCE + STOP, 'flagged', 'flagged'),
    # Every component of a dotted name counts: pathlib's os (GHSA-5j3x-jp52-966f).
    ('dotted_through_module__GHSA-5j3x-jp52-966f', P4 + s('pathlib') + s('os.system') + STACK_GLOBAL + s('echo hi') +
     TUPLE1 + REDUCE + STOP, 'flagged', 'flagged'),
    # getattr of an allowed global reaches an attribute (GHSA-h4rm-mm56-xf63).
    ('getattr_chain__GHSA-h4rm-mm56-xf63', P2 + call(g('builtins', 'getattr'), g('collections', 'OrderedDict'),
                                                     s('__init__')) + STOP, 'flagged', 'flagged'),
    # Trampolines to any callable (GHSA-vvpj-8cmc-gx39, picklescan#66, GHSA-955r-x9j8-7rhh).
    ('resolve_name__GHSA-vvpj-8cmc-gx39', P2 + call(call(g('pkgutil', 'resolve_name'), s('os:system')), s('echo hi')) +
     STOP, 'flagged', 'flagged'),
    ('import_module__picklescan66', P2 + call(g('importlib', 'import_module'), s('os')) + STOP, 'flagged', 'flagged'),
    ('methodcaller__GHSA-955r-x9j8-7rhh', P2 + call(call(g('_operator', 'methodcaller'), s('system'), s('echo hi')),
                                                    call(g('builtins', '__import__'), s('os'))) + STOP,
     'flagged', 'flagged'),
    # __setstate__ stored in an instance's dict by a first BUILD, called by a second.
    ('setstate_injection', P2 + g('collections', 'OrderedDict') + b')\x81' + EMPTY_DICT + s('__setstate__') +
     g('os', 'system') + b's' + BUILD + s('echo hi') + BUILD + STOP, 'flagged', 'flagged'),
    # Nested pickles: pickle.loads of bytes built by _codecs.encode.
    ('nested_loads', P2 + call(g('pickle', 'loads'), call(g('_codecs', 'encode'), s('cos\nsystem\n.'),
                                                           s('latin1'))) + STOP, 'flagged', 'flagged'),
    ('nested_c_loads', P2 + call(g('_pickle', 'loads'), b'C\x0ccos\nsystem\n.') + STOP, 'flagged', 'flagged'),
    # An EXT code: what it imports is the loading process's registry (fickling PR#172).
    ('ext_code__fickling172', P2 + b'\x82\x01' + s('echo hi') + TUPLE1 + REDUCE + STOP, 'flagged', 'flagged'),
    # Python 2 names mapped by fix_imports.
    ('fix_imports__builtin_eval', P2 + call(g('__builtin__', 'eval'), s('1')) + STOP, 'flagged', 'flagged'),
    ('fix_imports__commands', b'ccommands\ngetoutput\n(S\'id\'\ntR.', 'flagged', 'flagged'),
    # Findings before an error are kept (picklescan#52): a GET of a missing memo index.
    ('error_after_call__picklescan52', P2 + call(g('os', 'system'), s('echo hi')) + binget(7) + STOP,
     'flagged', 'flagged'),
    # A second pickle after a benign first one (loaders of stacked pickles read it).
    ('second_pickle', P2 + b'K\x01' + STOP + P2 + call(g('os', 'system'), s('echo hi')) + STOP,
     'flagged', 'flagged'),
    # pickletools and _pickle parse INT differently: genops stops, CPython runs on.
    ('int_base0__pickletools_differs', b'I0x10\n0' + P2 + call(g('os', 'system'), s('echo hi')) + STOP,
     'flagged', 'flagged'),
    # An opcode that runs past the end of its frame (cpython#154848): the 3.11 C
    # unpickler reads on in memory.
    ('frame_straddle__cpython154848', P4 + b'\x95' + struct.pack('<Q', 4) + g('os', 'system') + s('echo hi') +
     TUPLE1 + REDUCE + STOP, 'flagged', 'flagged'),
    # The same bytes read two ways: a frame ends inside a str's payload. pickle.loads reads
    # the payload on and then a SHORT_BINBYTES that hides the rest; CPython reading a file
    # without peek() (torch.load's io.BytesIO) takes the payload from after the frame,
    # dropping a byte, and runs the GLOBAL os.system the bytes hid.
    ('frame_file_reads_differ', P4 + b'\x95' + struct.pack('<Q', 3) + b'\x8c\x04abcd' + b'C' +
     g('os', 'system') + s('id') + TUPLE1 + REDUCE + POP + NONE + STOP + b'x' * 79 + POP + NONE + STOP,
     'flagged', 'flagged'),
    # Benign pickles, for the other side of the verdict.
    ('benign_builtins', P2 + b'}' + s('a') + call(g('__builtin__', 'set'), b']' + b'K\x01a') + b's' +
     s('b') + g('collections', 'OrderedDict') + b')R' + b's.', 'clean', 'clean'),
    ('benign_numpy_scalar', P2 + call(g('numpy.core.multiarray', 'scalar'),
                                      call(g('numpy', 'dtype'), s('f8'), b'\x89\x88'), b'C\x08' + b'\x00' * 8) + STOP,
     'flagged', 'clean'),
    ('truncated_benign', P2 + b']' + b'K\x01', 'error', 'error'),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', required=True, help='folder to write NAME.pkl into')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, data, _, _ in CASES:
        with open(os.path.join(args.out, name + '.pkl'), 'wb') as f:
            f.write(data)
    print('wrote %d cases to %s' % (len(CASES), args.out))


if __name__ == '__main__':
    main()
