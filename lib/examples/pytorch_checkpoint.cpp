// Recipe: read a PyTorch checkpoint's data.pkl through persistent_load.
//
// torch.save writes a zip whose data.pkl refers to tensor storages by persistent ids
// ('storage', storage_type, key, location, numel); the bytes of storage <key> are the
// archive's member data/<key>. Here the archive is already unpacked into a folder.
// persistent_load hands the loader each storage's bytes; the tensors load as inert calls
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks),
// which this recipe reads with checked conversions -- nothing of torch is imported.
//
//   pytorch_checkpoint DATA_DIR     (reads DATA_DIR/checkpoint/data.pkl and data/<key>)
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "pickle/pickle.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pytorch_checkpoint DATA_DIR\n";
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/checkpoint";
  pickle::UnpicklerOptions options;
  options.strict_globals = true;  // what a state dict of float tensors may name
  options.allowed_globals = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage"};
  options.persistent_load = [&dir](pickle::Graph& g, pickle::Value pid) {
    auto [kind, type, key, location, numel] =
        pickle::to<std::tuple<std::string, pickle::Value, std::string, std::string, std::int64_t>>(pid);
    if (kind != "storage" || key.find('/') != std::string::npos || numel < 0) {
      throw pickle::Error(pickle::ErrorType::UnpicklingError, "unexpected persistent id " + pickle::repr(pid));
    }
    std::ifstream in(dir + "/data/" + key, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.is_open() || bytes.size() != static_cast<std::size_t>(numel) * sizeof(float)) {
      throw pickle::Error(pickle::ErrorType::UnpicklingError, "storage " + key + " is missing or short");
    }
    return g.new_bytes(bytes);  // the storage, as a bytes value
  };
  try {
    pickle::Graph g = pickle::load_file(dir + "/data.pkl", options);
    for (const auto& [name, tensor] : pickle::to<pickle::OrderedDict>(g.root()).items) {
      const pickle::Object& call = tensor.as_object();
      if (call.callable().as_global().qualname() != "_rebuild_tensor_v2") {
        throw pickle::Error(pickle::ErrorType::TypeError, "not a tensor: " + pickle::repr(tensor));
      }
      const pickle::Tuple& args = call.args().as_tuple();
      const pickle::Bytes& storage = args[0].as_bytes();
      auto offset = pickle::to<std::size_t>(args[1]);
      auto size = pickle::to<std::vector<std::size_t>>(args[2]);
      auto stride = pickle::to<std::vector<std::size_t>>(args[3]);
      if (size.size() != stride.size()) throw pickle::Error(pickle::ErrorType::ValueError, "size and stride differ");
      std::size_t count = 1;
      for (std::size_t n : size) count *= n;
      std::cout << pickle::to<std::string>(name) << ": float32 size " << pickle::repr(args[2]) << " stride "
                << pickle::repr(args[3]) << " = [";
      for (std::size_t index = 0; index < count; ++index) {
        std::size_t pos = offset, rest = index;  // row-major index -> storage position
        for (std::size_t dim = size.size(); dim-- > 0;) {
          pos += (rest % size[dim]) * stride[dim];
          rest /= size[dim];
        }
        if ((pos + 1) * sizeof(float) > storage.size()) {
          throw pickle::Error(pickle::ErrorType::ValueError, "tensor outside its storage");
        }
        float x;
        std::memcpy(&x, storage.view().data() + pos * sizeof(float), sizeof x);  // little-endian file
        std::printf("%s%g", index ? ", " : "", x);
      }
      std::cout << "]\n";
    }
  } catch (const pickle::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
