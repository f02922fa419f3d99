#!/usr/bin/env bash
# The relocatable bundle (launch/make-bundle.sh), one CTest case each:
#   make          build the bundle and its tarball from the build tree, unpack the tarball at a
#                 new path and delete the original directory (the relocation)
#   layout        files in place, no glibc/driver inside, no build paths in the wrappers, and
#                 ldd with the wrappers' environment resolves every library inside the bundle
#   run           in a clean environment (env -i): slateconvert synth + finn, then
#                 bin/mpirun -np 2 bin/slatetrain for 3 steps; the JSON summary says finished;
#                 Open MPI's help files come from the bundle
#   minimal-root  the same run in a mount namespace where /usr/lib/x86_64-linux-gnu holds only
#                 glibc and the host's Open MPI files are hidden (exit 77, skipped, where
#                 unshare/mount are not permitted)
#
# usage: bundle_test.sh CASE SOURCE_DIR BUILD_DIR WORK_DIR
set -uo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 CASE SOURCE_DIR BUILD_DIR WORK_DIR" >&2
  exit 2
fi
case_name=$1
source_dir=$2
build_dir=$3
work=$4
build_dir=$(cd "$build_dir" && pwd) || exit 1 # CMake passes .../bin/..: compare real paths
bundle=$work/relocated/slatetrain-bundle
clean_env=(env -i PATH=/usr/bin:/bin HOME="$work/home")
glibc_names='(linux-vdso|ld-linux[^ ]*|libc|libm|libmvec|libpthread|libdl|librt|libutil|libresolv|libanl|libnsl|libnss_[a-z]+)\.so'
glibc="^$glibc_names"
# A CUDA build's bundle leaves the CUDA runtime to the target (unless --with-cuda-libs): those
# may resolve outside the bundle, as may the driver.
host_names="(${glibc_names%\\.so}|libcuda|libcudart|libcublas|libcublasLt|libnccl|libcudnn[a-z_]*|libnvrtc[a-z-]*)\\.so"

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
finish() {
  if [[ $failures -ne 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
need_bundle() {
  [[ -x $bundle/bin/slatetrain ]] || {
    echo "FAIL: no bundle at $bundle (the bundle_make case makes it)"
    exit 1
  }
}

case_make() {
  rm -rf "$work"
  mkdir -p "$work/made" "$work/relocated" "$work/home"
  SLATETRAIN_BUNDLE_GZIP_LEVEL=1 "$source_dir/launch/make-bundle.sh" --build-dir "$build_dir" \
    --output "$work/made/slatetrain-bundle" --no-install || {
    fail "make-bundle.sh failed"
    finish
  }
  [[ -s $work/made/slatetrain-bundle.tar.gz ]] && pass "tarball written" || fail "no tarball"
  tar -C "$work/relocated" -xzf "$work/made/slatetrain-bundle.tar.gz" || fail "tarball does not unpack"
  rm -rf "$work/made/slatetrain-bundle" # nothing may point back to where it was made
  [[ -x $bundle/bin/slatetrain ]] && pass "unpacked at $bundle" || fail "nothing at $bundle"
  # make-bundle refuses to overwrite without --force
  if "$source_dir/launch/make-bundle.sh" --build-dir "$build_dir" --output "$bundle" --no-tarball \
    --no-install >/dev/null 2>&1; then
    fail "make-bundle.sh overwrote an existing bundle without --force"
  else
    pass "existing bundle not overwritten without --force"
  fi
  finish
}

case_layout() {
  need_bundle
  local path
  for path in bin/slatetrain bin/slateconvert bin/mpirun bin/mpiexec bin/orted \
    libexec/slatetrain libexec/slateconvert libexec/orterun libexec/orted; do
    [[ -x $bundle/$path ]] && pass "$path" || fail "$path missing or not executable"
  done
  for path in lib/openmpi/mca_btl_self.so lib/openmpi/mca_btl_vader.so lib/openmpi/mca_pml_ob1.so \
    lib/openmpi/mca_ess_hnp.so share/openmpi/help-orterun.txt share/openmpi/help-mpi-runtime.txt \
    etc/openmpi/openmpi-mca-params.conf configs/gru-small.yaml README.txt MANIFEST.txt; do
    [[ -f $bundle/$path ]] && pass "$path" || fail "$path missing"
  done
  local expected
  for expected in libmpi.so libopen-pal.so libopen-rte.so libhdf5 libyaml-cpp libopenblas libz.so \
    libstdc++.so libgcc_s.so; do
    compgen -G "$bundle/lib/$expected*" >/dev/null && pass "lib/ has $expected" ||
      fail "lib/ lacks $expected"
  done
  local forbidden
  forbidden=$(find "$bundle/lib" -maxdepth 1 -printf "%f\n" | grep -E "$glibc|^libcuda\.so" || true)
  [[ -z $forbidden ]] && pass "no glibc or driver library inside" ||
    fail "host-only libraries bundled: $forbidden"
  if grep -rlF -e "$build_dir" -e "$source_dir" "$bundle/bin" "$bundle/libexec/bundle-environment.sh"; then
    fail "wrappers name the build machine's paths"
  else
    pass "wrappers hold no absolute paths of the build"
  fi

  # ldd with exactly the environment the wrappers set: every library from the bundle or glibc.
  local files=("$bundle"/libexec/slatetrain "$bundle"/libexec/slateconvert "$bundle"/libexec/orterun
    "$bundle"/libexec/orted "$bundle"/lib/*.so* "$bundle"/lib/openmpi/*.so)
  [[ -d $bundle/lib/pmix ]] && files+=("$bundle"/lib/pmix/*.so)
  local report
  report=$("${clean_env[@]}" sh -c 'bundle=$1; shift; . "$bundle/libexec/bundle-environment.sh"; ldd "$@"' \
    sh "$bundle" "${files[@]}" 2>&1)
  local outside
  outside=$(awk -v bundle="$bundle/" '
    /:$/ && !/^[ \t]/ { file = $0; next }
    $2 == "=>" && ($3 == "not" || index($3, bundle) != 1) { print file " " $1 " => " $3 }' <<<"$report" |
    grep -Ev " ${host_names}[^ ]* => /" || true)
  if [[ -z $outside ]]; then
    pass "ldd: all ${#files[@]} programs/libraries/components resolve inside the bundle (glibc and any CUDA runtime from the host)"
  else
    fail "ldd: resolved outside the bundle or not found:"$'\n'"$(head -20 <<<"$outside")"
  fi
  # The programs carry RPATH $ORIGIN/../lib when patchelf was there: no LD_LIBRARY_PATH needed.
  if readelf -d "$bundle/libexec/slatetrain" | grep 'RPATH.*\$ORIGIN/../lib' >/dev/null; then
    outside=$("${clean_env[@]}" ldd "$bundle/libexec/slatetrain" |
      awk -v bundle="$bundle/" '$2 == "=>" && index($3, bundle) != 1 {print $1 " => " $3}' |
      grep -Ev "^${host_names}[^ ]* => /" || true)
    [[ -z $outside ]] && pass "RPATH alone resolves libexec/slatetrain inside the bundle" ||
      fail "without LD_LIBRARY_PATH: $outside"
  else
    echo "note: no RPATH on libexec/slatetrain (made without patchelf); the wrappers set the path"
  fi
  finish
}

# train_in_bundle LABEL PREFIX...: synth, finn, 2-rank training through the bundle's programs,
# each command run as PREFIX command (PREFIX: the clean environment, possibly in a namespace).
train_in_bundle() {
  local label=$1
  shift
  local data=$work/$label
  rm -rf "$data"
  mkdir -p "$data"
  "$@" "$bundle/bin/slateconvert" synth --output "$data/finn" --users 256 --items 300 --seed 7 \
    --no-truth >"$data/synth.log" 2>&1 && pass "$label: slateconvert synth" ||
    fail "$label: slateconvert synth: $(tail -5 "$data/synth.log")"
  "$@" "$bundle/bin/slateconvert" finn --input "$data/finn" --output "$data/converted" --shards 2 \
    >"$data/finn.log" 2>&1 && pass "$label: slateconvert finn" ||
    fail "$label: slateconvert finn: $(tail -5 "$data/finn.log")"
  "$@" "$bundle/bin/mpirun" -np 2 --oversubscribe --allow-run-as-root \
    "$bundle/bin/slatetrain" "$bundle/configs/gru-small.yaml" --set data.path="$data/converted" \
    --set run.dir="$data/run" --set schedule.max_steps=3 --set run.device=cpu \
    --set evaluation.every_steps=0 --set evaluation.max_users=64 --set checkpoint.every_steps=0 \
    >"$data/train.out" 2>"$data/train.err"
  local status=$?
  local summary
  summary=$(tail -n 1 "$data/train.out")
  if [[ $status -eq 0 && $summary == *'"status":"finished"'* && $summary == *'"steps":3,'* &&
    $summary == *'"world_size":2'* ]]; then
    pass "$label: mpirun -np 2 slatetrain: finished, 3 steps, world size 2"
  else
    fail "$label: mpirun -np 2 slatetrain: exit $status, summary '${summary:0:300}', stderr: $(tail -c 1500 "$data/train.err")"
  fi
  # A launch error prints Open MPI's help text: it must come from the bundle's share/openmpi.
  "$@" "$bundle/bin/mpirun" -np 1 --allow-run-as-root "$data/no-such-program" >"$data/help.log" 2>&1
  if grep -q 'was unable to' "$data/help.log" && ! grep -qi "couldn't open the help file" "$data/help.log"; then
    pass "$label: Open MPI help text found"
  else
    fail "$label: Open MPI help text missing: $(head -c 600 "$data/help.log")"
  fi
}

case_run() {
  need_bundle
  mkdir -p "$work/home"
  train_in_bundle run "${clean_env[@]}"
  # A symlink to a wrapper (e.g. in ~/bin) still finds the bundle.
  mkdir -p "$work/home/bin"
  ln -sf "$bundle/bin/slateconvert" "$work/home/bin/slateconvert"
  if "${clean_env[@]}" "$work/home/bin/slateconvert" --help >"$work/symlink.log" 2>&1; then
    pass "symlinked wrapper runs"
  else
    fail "symlinked wrapper: $(head -c 400 "$work/symlink.log")"
  fi
  finish
}

case_minimal_root() {
  need_bundle
  mkdir -p "$work/home"
  if ! unshare --mount --propagation private sh -c 'mount -t tmpfs none /mnt' 2>/dev/null; then
    echo "SKIPPED: unshare --mount / mount not permitted here; the layout case's ldd check stands"
    exit 77
  fi
  local system=/usr/lib/x86_64-linux-gnu
  local glibc_only=$work/glibc-only
  rm -rf "$glibc_only" "$work/empty"
  mkdir -p "$glibc_only" "$work/empty"
  local name
  for name in "$system"/ld-linux-x86-64.so.2 "$system"/lib{c,m,mvec,pthread,dl,rt,util,resolv,anl}.so.* \
    "$system"/libnss_*.so.*; do
    [[ -e $name ]] && cp -L "$name" "$glibc_only/"
  done
  # Hidden: every other library of the system directory, /usr/local/lib, and the host's Open MPI
  # help files and configuration. The system directory goes last: `mount` itself needs it.
  # After that only dash (glibc only), env (glibc only) and the bundle run.
  local hide=("$work/empty" /usr/local/lib "$work/empty" /usr/share/openmpi "$work/empty" /etc/openmpi
    "$glibc_only" "$system")
  local script='set -e
while [ "$1" != "--" ]; do
  if [ -d "$2" ]; then mount --bind "$1" "$2"; fi
  shift 2
done
shift
exec env -i PATH=/usr/bin:/bin HOME="$MINIMAL_HOME" ${MINIMAL_LIBRARY_PATH:+LD_LIBRARY_PATH=$MINIMAL_LIBRARY_PATH} "$@"'
  # A CUDA build's bundle without --with-cuda-libs: the target's CUDA runtime comes in through
  # LD_LIBRARY_PATH, as on a cluster (module load cuda).
  local cuda_runtime
  cuda_runtime=$(ldd "$bundle/libexec/slatetrain" | awk '$1 ~ /^libcudart\.so/ && $3 ~ /^\// {print $3}')
  [[ -z $cuda_runtime || $cuda_runtime == "$bundle"/* ]] || cuda_runtime=$(dirname "$(readlink -f "$cuda_runtime")")
  [[ $cuda_runtime == "$bundle"/* ]] && cuda_runtime=''
  [[ -n $cuda_runtime ]] && echo "note: CUDA build; the CUDA runtime from $cuda_runtime (LD_LIBRARY_PATH)"
  minimal() {
    MINIMAL_HOME=$work/home MINIMAL_LIBRARY_PATH=$cuda_runtime unshare --mount --propagation private sh -c "$script" sh "${hide[@]}" -- "$@"
  }
  # The hiding works: a host program that needs more than glibc cannot start, /bin/true can.
  if minimal /usr/bin/python3 -c pass >/dev/null 2>&1; then
    fail "python3 still starts: the system libraries are not hidden"
  elif ! minimal /bin/true; then
    fail "even /bin/true fails in the minimal root"
  else
    pass "minimal root: only glibc in $system (python3 cannot start, /bin/true can)"
  fi
  train_in_bundle minimal-root minimal
  finish
}

case $case_name in
  make) case_make ;;
  layout) case_layout ;;
  run) case_run ;;
  minimal-root) case_minimal_root ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
