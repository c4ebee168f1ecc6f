// The containers `pickletool scan` opens: zip archives (through libzip) and .npy files.
#include "containers.h"

#include <map>
#include <set>
#include <string_view>

#include "pickle/error.h"

#ifdef PICKLETOOL_WITH_LIBZIP
#include <zip.h>
#endif

namespace pickletool {

namespace {

std::string_view as_text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

[[noreturn]] void os_error(const std::string& message) { throw pickle::Error(pickle::ErrorType::OSError, message); }

// .npy: magic, version, header length, then a Python dict literal; an array whose dtype
// holds objects is stored as a pickle after it (numpy.save pickles it, numpy.load with
// allow_pickle=True unpickles it).
Container open_npy(std::span<const std::uint8_t> bytes) {
  Container c;
  c.kind = "npy";
  if (bytes.size() < 10) {
    c.issues.push_back("the .npy header is cut short");
    return c;
  }
  const int major = bytes[6];
  std::size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = bytes[8] | std::size_t{bytes[9]} << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      c.issues.push_back("the .npy header is cut short");
      return c;
    }
    header_len = bytes[8] | std::size_t{bytes[9]} << 8 | std::size_t{bytes[10]} << 16 | std::size_t{bytes[11]} << 24;
    start = 12;
  } else {
    c.issues.push_back(".npy format version " + std::to_string(major) + " is unknown");
    return c;
  }
  if (header_len > bytes.size() - start) {
    c.issues.push_back("the .npy header is cut short");
    return c;
  }
  const std::string_view header = as_text(bytes.subspan(start, header_len));
  const std::size_t descr = header.find("'descr'");
  if (descr == header.npos) {
    c.issues.push_back("the .npy header has no 'descr'");
    return c;
  }
  // The dtype's description up to 'fortran_order'/'shape': any 'O' type code in it
  // (plain or inside a structured dtype) makes numpy pickle the data.
  const std::size_t end = std::min(header.find("'fortran_order'", descr), header.find("'shape'", descr));
  const std::string_view d = header.substr(descr, end == header.npos ? header.npos : end - descr);
  if (d.find("'|O'") != d.npos || d.find("'O'") != d.npos || d.find("'O8'") != d.npos) {
    c.pickles.push_back({"", {}, bytes.subspan(start + header_len)});
  } else {
    c.other_members = 1;  // plain array data: nothing is unpickled
  }
  return c;
}

#ifdef PICKLETOOL_WITH_LIBZIP
// libzip's consistency check (local headers against the central directory, which
// Python's zipfile also compares): the reason it fails, or "" when it passes.
std::string consistency_error(std::span<const std::uint8_t> bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* archive = source ? zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) : nullptr;
  std::string why;
  if (archive) {
    zip_discard(archive);
  } else {
    // Duplicate names are an issue of their own.
    if (zip_error_code_zip(&error) != ZIP_ER_EXISTS) why = zip_error_strerror(&error);
    if (source) zip_source_free(source);
  }
  zip_error_fini(&error);
  return why;
}

bool has_unsafe_path(std::string_view name) {
  if (name.starts_with('/') || name.find('\\') != name.npos || name.find('\0') != name.npos) return true;
  for (std::size_t start = 0; start <= name.size();) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    if (name.substr(start, slash - start) == "..") return true;
    start = slash + 1;
  }
  return false;
}

Container open_zip(std::span<const std::uint8_t> bytes, std::size_t max_member_size) {
  Container c;
  c.kind = "zip";
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* archive = source ? zip_open_from_source(source, ZIP_RDONLY, &error) : nullptr;
  if (!archive) {
    const std::string why = zip_error_strerror(&error);
    if (source) zip_source_free(source);
    zip_error_fini(&error);
    os_error("not a zip archive libzip can read: " + why);
  }
  zip_error_fini(&error);
  struct Closer {
    zip_t* a;
    ~Closer() { zip_discard(a); }
  } closer{archive};

  std::map<std::string, int> seen;
  std::set<std::string> top_folders;
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* raw = zip_get_name(archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    const std::string name = raw ? raw : "";
    if (++seen[name] == 2) {
      c.issues.push_back("member name '" + name + "' occurs more than once: zip readers differ in which they read");
    }
    if (has_unsafe_path(name)) c.issues.push_back("member name '" + name + "' leaves the archive's folder");
    if (!name.ends_with(".pkl")) {
      ++c.other_members;
      continue;
    }
    top_folders.insert(name.substr(0, name.find('/')));
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &st) != 0) {
      c.issues.push_back("member '" + name + "' cannot be read: " + zip_strerror(archive));
      continue;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
      c.issues.push_back("member '" + name + "' is encrypted: it cannot be scanned");
      continue;
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > max_member_size) {
      c.issues.push_back("member '" + name + "' is " + std::to_string(st.size) + " bytes, more than the limit of " +
                         std::to_string(max_member_size));
      continue;
    }
    zip_file_t* f = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    if (!f) {
      c.issues.push_back("member '" + name + "' cannot be read: " + zip_strerror(archive));
      continue;
    }
    ContainedPickle p;
    p.name = name;
    p.owned.resize(st.valid & ZIP_STAT_SIZE ? static_cast<std::size_t>(st.size) : 0);
    std::size_t got = 0;
    bool failed = false;
    for (;;) {  // read until the end, whatever size the header declared, within the limit
      if (got == p.owned.size()) {
        if (got >= max_member_size) break;
        p.owned.resize(std::min(max_member_size, got + (std::size_t{1} << 20)));
      }
      const zip_int64_t r = zip_fread(f, p.owned.data() + got, p.owned.size() - got);
      if (r < 0) {
        failed = true;
        c.issues.push_back("member '" + name + "' cannot be read: " + zip_file_strerror(f));
        break;
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    zip_fclose(f);
    if (failed) continue;
    p.owned.resize(got);
    p.bytes = p.owned;
    c.pickles.push_back(std::move(p));
  }
  if (const std::string why = consistency_error(bytes); !why.empty()) {
    c.issues.push_back("the archive's headers disagree (" + why + "): zip readers may read different members");
  }
  if (top_folders.size() > 1) {
    std::string folders;
    for (const std::string& t : top_folders) folders += (folders.empty() ? "" : ", ") + t + "/";
    c.issues.push_back("pickles under several top-level folders (" + folders +
                       "): torch.load reads the one its first member names");
  }
  return c;
}
#endif

}  // namespace

Container open_container(std::span<const std::uint8_t> bytes, std::size_t max_member_size) {
  const std::string_view text = as_text(bytes);
  if (text.starts_with("PK\x03\x04") || text.starts_with("PK\x05\x06")) {
#ifdef PICKLETOOL_WITH_LIBZIP
    return open_zip(bytes, max_member_size);
#else
    (void)max_member_size;
    os_error("a zip archive: this pickletool was built without libzip (install libzip-dev and rebuild)");
#endif
  }
  if (text.starts_with("\x93NUMPY")) return open_npy(bytes);
  Container c;
  c.kind = "pickle";
  c.pickles.push_back({"", {}, bytes});
  return c;
}

}  // namespace pickletool
