#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script (README "Fuzzing"). Builds every target of
# fuzz/ with the environment's compilers, flags and engine, and installs into $OUT:
#   fuzz_<target>                   the fuzzer
#   fuzz_<target>_seed_corpus.zip   corpus/<target>/ and corpus/regressions/<target>/
#   fuzz_<target>.dict              the opcode dictionary, for the targets that read pickles
#   fuzz_<target>.options           libFuzzer options (no per-input leak check where CPython is embedded)
#
# Honours $CC, $CXX, $CFLAGS, $CXXFLAGS, $LIB_FUZZING_ENGINE, $OUT (and $WORK for the build
# tree). The differential targets embed CPython 3.11: they are built when
# PICKLE_CPP_FUZZ_PYTHON=ON and python3.11's embedding library is found, and need
# libpython3.11 on the machine that runs them; off by default, as OSS-Fuzz runners lack it.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${WORK:-/tmp}/pickle-fuzz-build
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}" "${OUT:=$ROOT/build-oss-fuzz}"
mkdir -p "$OUT"

# The project with only the library and the fuzz targets.
cmake -S "$ROOT" -B "$BUILD" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DPICKLE_CPP_BUILD_TESTS=OFF -DPICKLE_CPP_BUILD_TOOLS=OFF -DPICKLE_CPP_BUILD_BENCH=OFF \
  -DPICKLE_CPP_BUILD_PYEXT=OFF -DPICKLE_CPP_INSTALL=OFF -DPICKLE_CPP_BUILD_FUZZERS=ON \
  -DPICKLE_CPP_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DPICKLE_CPP_FUZZ_PYTHON="${PICKLE_CPP_FUZZ_PYTHON:-OFF}"
cmake --build "$BUILD" --target fuzzers -j"$(nproc)"

zip_dir() {  # zip_dir ARCHIVE DIR...: the files of the directories that exist, flat
  local archive=$1; shift
  local files=()
  for dir in "$@"; do
    [ -d "$dir" ] && while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$dir" -maxdepth 1 -type f -print0)
  done
  rm -f "$archive"
  [ ${#files[@]} -eq 0 ] && return
  if command -v zip > /dev/null; then
    zip -qj "$archive" "${files[@]}"
  else
    python3 -m zipfile -c "$archive" "${files[@]}"
  fi
}

for binary in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$binary" ] || continue
  name=$(basename "$binary")
  target=${name#fuzz_}
  cp "$binary" "$OUT/"
  zip_dir "$OUT/${name}_seed_corpus.zip" "$ROOT/corpus/$target" "$ROOT/corpus/regressions/$target"
  case $target in
    loads|roundtrip|diff_loads|dis|api|cost|scan) cp "$ROOT/fuzz/pickle.dict" "$OUT/$name.dict" ;;
  esac
  case $target in
    diff_loads|reducers|dis|copyreg|cost|scan) printf '[libfuzzer]\ndetect_leaks = 0\n' > "$OUT/$name.options" ;;
  esac
done
echo "installed into $OUT:"
ls "$OUT"
