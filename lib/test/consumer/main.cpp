// The consumer tests' program (lib/test/consumer/CMakeLists.txt), built the ways another
// project builds against pickle-cpp: find_package after an install, add_subdirectory of
// the source tree, pkg-config. Loads a pickle written by CPython, checks the value, dumps
// it again and checks that the bytes are CPython's.
#include <pickle/pickle.h>

#include <iostream>
#include <string>

namespace {

// Written by Python 3.11:
//   python3 -c "import pickle; d = pickle.dumps({'name': 'pickle-cpp', 'answer': 42,
//       'items': [1, 2.5, None, True, b'\x00\xff'], 'pair': (3, 'x')}, protocol=4);
//       print(', '.join('0x%02x' % b for b in d))"
constexpr unsigned char kPickle[] = {
    0x80, 0x04, 0x95, 0x51, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7d, 0x94, 0x28, 0x8c, 0x04, 0x6e, 0x61, 0x6d,
    0x65, 0x94, 0x8c, 0x0a, 0x70, 0x69, 0x63, 0x6b, 0x6c, 0x65, 0x2d, 0x63, 0x70, 0x70, 0x94, 0x8c, 0x06, 0x61, 0x6e,
    0x73, 0x77, 0x65, 0x72, 0x94, 0x4b, 0x2a, 0x8c, 0x05, 0x69, 0x74, 0x65, 0x6d, 0x73, 0x94, 0x5d, 0x94, 0x28, 0x4b,
    0x01, 0x47, 0x40, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4e, 0x88, 0x43, 0x02, 0x00, 0xff, 0x94, 0x65, 0x8c,
    0x04, 0x70, 0x61, 0x69, 0x72, 0x94, 0x4b, 0x03, 0x8c, 0x01, 0x78, 0x94, 0x86, 0x94, 0x75, 0x2e,
};
// repr() of the same object in Python.
constexpr const char* kRepr =
    "{'name': 'pickle-cpp', 'answer': 42, 'items': [1, 2.5, None, True, b'\\x00\\xff'], "
    "'pair': (3, 'x')}";

int fail(const std::string& what) {
  std::cerr << "consumer: " << what << "\n";
  return 1;
}

}  // namespace

int main() {
  const std::string data(reinterpret_cast<const char*>(kPickle), sizeof kPickle);
  try {
    pickle::Graph g = pickle::loads(data);
    if (!g.root().is_dict()) return fail("the root is not a dict");
    const pickle::Value* answer = g.root().as_dict().find("answer");
    if (answer == nullptr || pickle::try_to<int>(*answer) != 42) return fail("d['answer'] is not 42");
    const std::string r = pickle::repr(g.root());
    if (r != kRepr) return fail("repr is " + r);
    const std::string again = pickle::dumps(g.root(), {.protocol = 4});
    if (again != data) return fail("dumps(loads(p), 4) differs from Python's bytes");
    std::cout << "pickle-cpp " << PICKLE_CPP_VERSION_STRING << ": loaded " << r << ", dumped the same " << again.size()
              << " bytes\n";
    return 0;
  } catch (const pickle::Error& e) {
    return fail(e.what());
  }
}
