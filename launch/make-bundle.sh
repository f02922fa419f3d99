#!/usr/bin/env bash
# Makes a relocatable bundle of slatetrain and slateconvert: a directory and a .tar.gz holding
# the programs with every non-CUDA runtime library they load (Open MPI with its components,
# PMIx, hwloc, libevent, HDF5, yaml-cpp, OpenBLAS, zlib, libstdc++, ...), found with ldd.
# The target machine supplies only glibc, the NVIDIA driver and (for a CUDA build) the CUDA
# runtime libraries, unless --with-cuda-libs puts those in too. See docs/BUNDLE.md.
#
# usage: launch/make-bundle.sh [--build-dir DIR] [--output DIR] [--with-cuda-libs]
#                              [--exclude REGEX] [--no-tarball] [--no-patchelf] [--no-install]
#                              [--force]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

build_dir=$root/build
output=$root/out/slatetrain-bundle
with_cuda_libs=0
exclude=''
make_tarball=1
use_patchelf=1
install_missing=1
force=0

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

Options:
  --build-dir DIR    where slatetrain was built (programs in DIR/bin; default: build)
  --output DIR       the bundle directory; DIR.tar.gz beside it (default: out/slatetrain-bundle)
  --with-cuda-libs   also bundle cudart, cuBLAS, cuBLASLt, NCCL and cuDNN (never libcuda)
  --exclude REGEX    leave libraries whose file name matches REGEX to the target machine,
                     e.g. 'libibverbs|librdmacm|libefa' to use the cluster's own rdma-core
  --no-tarball       make only the directory
  --no-patchelf      do not set RPATH $ORIGIN/../lib on the programs (wrappers still work)
  --no-install       never install patchelf (otherwise apt-get installs it when run as root)
  --force            replace a DIR and DIR.tar.gz this script made earlier (nothing else)
EOF
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --with-cuda-libs) with_cuda_libs=1; shift ;;
    --exclude) exclude=$2; shift 2 ;;
    --no-tarball) make_tarball=0; shift ;;
    --no-patchelf) use_patchelf=0; shift ;;
    --no-install) install_missing=0; shift ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "make-bundle: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

die() {
  echo "make-bundle: $*" >&2
  exit 1
}
note() { echo "make-bundle: $*"; }

build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || die "no build directory $build_dir"
for program in slatetrain slateconvert; do
  [[ -x $build_dir/bin/$program ]] || die "$build_dir/bin/$program is missing: build it first"
done
command -v ldd >/dev/null || die "ldd is needed"
mkdir -p "$(dirname "$output")"
output=$(cd "$(dirname "$output")" && pwd)/$(basename "$output")
tarball=$output.tar.gz
# --force replaces only what this script made (docs/DATA_SAFETY.md): a bundle directory (its
# README.txt's first line, MANIFEST.txt, bin/slatetrain) and a tarball of it; never a link, the
# build directory or anything else. Checked before any work; the old bundle goes only at the end.
is_our_bundle() {
  [[ -d $1 && ! -L $1 && -f $1/MANIFEST.txt && -x $1/bin/slatetrain ]] &&
    [[ $(head -n 1 "$1/README.txt" 2>/dev/null) == "slatetrain relocatable bundle"* ]]
}
is_our_tarball() {
  [[ -f $1 && ! -L $1 ]] && [[ $( (tar -tzf "$1" 2>/dev/null || true) | head -n 1) == "$(basename "$output")/"* ]]
}
if [[ -e $output || -L $output ]]; then
  [[ $force -eq 1 ]] || die "$output exists (use --force to replace it)"
  is_our_bundle "$output" || die "$output exists and is not a bundle made by make-bundle.sh" \
    "(no README.txt, MANIFEST.txt and bin/slatetrain of one): refusing to replace it; nothing was changed"
fi
if [[ $make_tarball -eq 1 && (-e $tarball || -L $tarball) ]]; then
  [[ $force -eq 1 ]] || die "$tarball exists (use --force to replace it)"
  is_our_tarball "$tarball" || die "$tarball exists and is not a tarball of $(basename "$output")" \
    "made by make-bundle.sh: refusing to replace it; nothing was changed"
fi
case "$build_dir/" in
  "$output/"*) die "$output contains the build directory $build_dir: choose another --output" ;;
esac

# The host supplies glibc itself and the NVIDIA driver: bundling those breaks on other systems.
host_only='^(linux-vdso|linux-gate|ld-linux[^/]*|libc|libm|libmvec|libpthread|libdl|librt|libutil|libresolv|libanl|libnsl|libBrokenLocale|libnss_[a-z]+|libthread_db|libcuda|libnvidia-[a-z-]+|libnvcuvid|libnvoptix)\.so'
# The CUDA runtime libraries: left to the target's CUDA installation unless --with-cuda-libs.
cuda_runtime='^(libcudart|libcublas|libcublasLt|libnccl|libcudnn[a-z_]*|libnvrtc[a-z-]*|libnvJitLink|libcusparse|libcufft|libcurand|libnvToolsExt|libnvblas)\.so'

staging=$output.tmp-$$
mkdir "$staging" || die "$staging exists: not ours to remove; remove it or wait for that run"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,libexec,lib/openmpi,share,etc/openmpi,configs}

# ---- Open MPI: where this installation keeps its launcher, components and help files -------
# awk reads all of ldd's output (no early exit): an early exit can kill ldd with SIGPIPE, and
# under pipefail and set -e that ends this script without a word.
mpi_library=$(ldd "$build_dir/bin/slatetrain" | awk '$1 ~ /^libmpi\.so/ && !found {print $3; found = 1}')
[[ -n $mpi_library && -e $mpi_library ]] || die "slatetrain is not linked against a findable libmpi"
ompi_info_path() {  # ompi_info_path NAME: one of Open MPI's install paths, empty if unknown
  command -v ompi_info >/dev/null && ompi_info --parsable --path "$1" 2>/dev/null |
    awk -F: -v key="$1" '$1 == "path" && $2 == key {print $3}'
}
mpi_pkglibdir=$(ompi_info_path pkglibdir || true)
if [[ -z $mpi_pkglibdir || ! -d $mpi_pkglibdir ]]; then  # upstream layout: LIBDIR/openmpi
  mpi_pkglibdir=$(dirname "$(readlink -f "$mpi_library")")/openmpi
fi
[[ -e $mpi_pkglibdir/mca_btl_self.so ]] || die "no Open MPI components in $mpi_pkglibdir"
mpi_bindir=$(ompi_info_path bindir || true)
[[ -n $mpi_bindir ]] || mpi_bindir=$(dirname "$(readlink -f "$(command -v mpirun)")")
mpi_pkgdatadir=$(ompi_info_path pkgdatadir || true)
[[ -d $mpi_pkgdatadir ]] || mpi_pkgdatadir=$(dirname "$mpi_pkglibdir")/../share/openmpi
mpi_sysconfdir=$(ompi_info_path sysconfdir || true)
launcher=$(readlink -f "$mpi_bindir/mpirun")  # Debian: mpirun -> orterun
[[ -x $launcher ]] || die "no mpirun in $mpi_bindir"
note "Open MPI: components $mpi_pkglibdir, launcher $launcher, help files $mpi_pkgdatadir"

# Executables (libexec) and dlopen()ed plugins (lib/...) whose dependencies the bundle needs.
cp -L "$build_dir/bin/slatetrain" "$build_dir/bin/slateconvert" "$staging/libexec/"
cp -L "$launcher" "$staging/libexec/orterun"
for helper in orted ompi_info; do
  [[ -x $mpi_bindir/$helper ]] && cp -L "$mpi_bindir/$helper" "$staging/libexec/$helper"
done
cp -L "$mpi_pkglibdir"/*.so "$staging/lib/openmpi/"
[[ -d $mpi_pkgdatadir ]] && cp -rL "$mpi_pkgdatadir" "$staging/share/openmpi"
for file in openmpi-mca-params.conf openmpi-default-hostfile; do
  [[ -f $mpi_sysconfdir/$file ]] && cp -L "$mpi_sysconfdir/$file" "$staging/etc/openmpi/"
done

# External PMIx (Debian's libpmix2) has its own components and help files beside its library.
pmix_library=$(ldd "$mpi_pkglibdir"/mca_pmix_*.so 2>/dev/null |
  awk '$1 ~ /^libpmix\.so/ && !found {print $3; found = 1}')
if [[ -n $pmix_library ]]; then
  pmix_libdir=$(dirname "$(readlink -f "$pmix_library")")
  if [[ -d $pmix_libdir/pmix ]]; then
    mkdir -p "$staging/lib/pmix"
    cp -L "$pmix_libdir"/pmix/*.so "$staging/lib/pmix/"
  fi
  [[ -d $pmix_libdir/../share/pmix ]] && cp -rL "$pmix_libdir/../share/pmix" "$staging/share/pmix"
  [[ -f $pmix_libdir/../share/pmix-mca-params.conf ]] &&
    cp -L "$pmix_libdir/../share/pmix-mca-params.conf" "$staging/share/"
fi

# ---- libraries: everything ldd resolves for the programs and plugins, minus the host's -----
declare -A bundled=() # soname -> source path
declare -A needs=()   # file -> its ldd output (ldd lists the whole closure)
missing=()
skip_library() {  # skip_library SONAME: true when the library stays with the target machine
  local name=$1
  [[ $name =~ $host_only ]] && return 0
  [[ $with_cuda_libs -eq 0 && $name =~ $cuda_runtime ]] && return 0
  [[ -n $exclude && $name =~ $exclude ]] && return 0
  return 1
}
run_ldd() {  # run_ldd FILE...: fills needs[] in one ldd call
  local line file=''
  if [[ $# -eq 1 ]]; then  # ldd names the file only when given several
    file=$1
    needs[$file]=''
  fi
  while IFS= read -r line; do
    if [[ $line != [[:space:]]* && $line == *: ]]; then
      file=${line%:}
      needs[$file]=''
    elif [[ -n $file ]]; then
      needs[$file]+=$line$'\n'
    fi
  done < <(ldd "$@" 2>/dev/null || true)
}
collect() {  # collect FILE...: records the libraries FILEs need
  local file name arrow path
  run_ldd "$@"
  for file in "$@"; do
    while read -r name arrow path _; do
      [[ $arrow == '=>' ]] || continue
      skip_library "$name" && continue
      if [[ $path == not ]]; then
        missing+=("$name (needed by ${file#"$staging"/})")
      elif [[ -z ${bundled[$name]:-} && $path != "$staging"/* ]]; then
        bundled[$name]=$path
      fi
    done <<<"${needs[$file]:-}"
  done
}

# A plugin whose libraries this machine lacks cannot load anywhere: leave it out, say so.
plugins=("$staging"/lib/openmpi/*.so)
[[ -d $staging/lib/pmix ]] && plugins+=("$staging"/lib/pmix/*.so)
run_ldd "${plugins[@]}"
for plugin in "${plugins[@]}"; do
  if [[ ${needs[$plugin]:-} == *'not found'* ]]; then
    note "leaving out ${plugin#"$staging"/}: $(awk '/not found/ {print $1}' <<<"${needs[$plugin]}" | tr '\n' ' ')"
    rm -f "$plugin"
  fi
done
shopt -s nullglob
collect "$staging"/libexec/* "$staging"/lib/openmpi/*.so "$staging"/lib/pmix/*.so
[[ ${#missing[@]} -eq 0 ]] || die "libraries not found: ${missing[*]}"

# UCX loads its transports from ucx/ beside libucs; they need their own libraries too.
if [[ -n ${bundled[libucs.so.0]:-} ]]; then
  ucx_modules=$(dirname "$(readlink -f "${bundled[libucs.so.0]}")")/ucx
  if [[ -d $ucx_modules ]]; then
    mkdir -p "$staging/lib/ucx"
    for module in "$ucx_modules"/*.so.*; do
      [[ $module =~ \.so\.[0-9]+$ ]] && cp -L "$module" "$staging/lib/ucx/"
    done
    collect "$staging"/lib/ucx/*
  fi
fi
# cuDNN loads its engine libraries (libcudnn_*.so.N) by name at run time.
if [[ $with_cuda_libs -eq 1 ]]; then
  for name in "${!bundled[@]}"; do
    if [[ $name =~ ^libcudnn\.so\.([0-9]+) ]]; then
      for engine in "$(dirname "${bundled[$name]}")"/libcudnn_*.so."${BASH_REMATCH[1]}"; do
        [[ -e $engine ]] && bundled[$(basename "$engine")]=$engine
      done
    fi
  done
fi
[[ ${#missing[@]} -eq 0 ]] || die "libraries not found: ${missing[*]}"

manifest=$staging/MANIFEST.txt
{
  echo "# library -> where it came from on the build machine"
  for name in $(printf '%s\n' "${!bundled[@]}" | sort); do
    cp -L "${bundled[$name]}" "$staging/lib/$name"
    echo "lib/$name <- $(readlink -f "${bundled[$name]}")"
  done
} >"$manifest"
chmod -R u+w "$staging"
note "bundled ${#bundled[@]} libraries, $(ls "$staging"/lib/openmpi | wc -l) Open MPI components"

# ---- RPATH: programs find lib/ by themselves; host RUNPATHs in the libraries are dropped -----
if [[ $use_patchelf -eq 1 ]] && ! command -v patchelf >/dev/null; then
  if [[ $install_missing -eq 1 && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    note "installing patchelf"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null ||
      note "could not install patchelf: the wrappers alone set the library path"
  else
    note "no patchelf: the wrappers alone set the library path"
  fi
fi
if [[ $use_patchelf -eq 1 ]] && command -v patchelf >/dev/null; then
  # DT_RPATH (not RUNPATH) on programs: it also applies to their libraries and plugins.
  for program in "$staging"/libexec/*; do
    patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$program"
  done
  # Libraries built with a RUNPATH into the build machine (libmpi...): relative instead.
  # CUDA libraries are left untouched.
  for library in "$staging"/lib/*.so* "$staging"/lib/*/*.so*; do
    [[ $(basename "$library") =~ $cuda_runtime ]] && continue
    if [[ -n $(patchelf --print-rpath "$library" 2>/dev/null) ]]; then
      if [[ $(dirname "$library") == "$staging/lib" ]]; then
        patchelf --set-rpath '$ORIGIN' "$library"
      else
        patchelf --set-rpath '$ORIGIN/..' "$library"
      fi
    fi
  done
fi

# ---- wrappers: environment for the bundle, then the real program in libexec/ ---------------
cat >"$staging/libexec/bundle-environment.sh" <<'EOF'
# Sourced by the bundle's bin/ wrappers with $bundle set to the bundle's root. POSIX sh.
# Libraries from the bundle first; the caller's path (e.g. the CUDA runtime) after it.
case ":${LD_LIBRARY_PATH:-}:" in
  *":$bundle/lib:"*) ;;
  *) LD_LIBRARY_PATH=$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;;
esac
case ":${PATH:-}:" in
  *":$bundle/bin:"*) ;;
  *) PATH=$bundle/bin${PATH:+:$PATH} ;;
esac
# Open MPI computes its component, help-file and configuration paths from these.
OPAL_PREFIX=$bundle
OPAL_EXEC_PREFIX=$bundle
OPAL_BINDIR=$bundle/bin
OPAL_LIBEXECDIR=$bundle/libexec
OPAL_LIBDIR=$bundle/lib
OPAL_PKGLIBDIR=$bundle/lib/openmpi
OPAL_DATAROOTDIR=$bundle/share
OPAL_DATADIR=$bundle/share
OPAL_PKGDATADIR=$bundle/share/openmpi
OPAL_SYSCONFDIR=$bundle/etc/openmpi
OMPI_MCA_mca_base_component_path=$bundle/lib/openmpi
# PMIx (external on Debian): its own components and help files.
PMIX_INSTALL_PREFIX=$bundle
PMIX_MCA_mca_base_component_path=$bundle/lib/pmix
export LD_LIBRARY_PATH PATH OPAL_PREFIX OPAL_EXEC_PREFIX OPAL_BINDIR OPAL_LIBEXECDIR OPAL_LIBDIR \
  OPAL_PKGLIBDIR OPAL_DATAROOTDIR OPAL_DATADIR OPAL_PKGDATADIR OPAL_SYSCONFDIR \
  OMPI_MCA_mca_base_component_path PMIX_INSTALL_PREFIX PMIX_MCA_mca_base_component_path
EOF

write_wrapper() {  # write_wrapper NAME PROGRAM [EXTRA]: bin/NAME runs libexec/PROGRAM
  local name=$1 program=$2 extra=${3:-}
  cat >"$staging/bin/$name" <<EOF
#!/bin/sh
# slatetrain bundle: runs libexec/$program with the bundle's libraries and Open MPI files.
# Only sh built-ins (and readlink for a symlinked wrapper): works with the host's glibc alone.
self=\$0
if [ -L "\$self" ]; then self=\$(readlink -f "\$self"); fi
bundle=\$(cd "\${self%/*}/.." && pwd -P) || exit 1
. "\$bundle/libexec/bundle-environment.sh"
$extra
exec "\$bundle/libexec/$program" "\$@"
EOF
  chmod 755 "$staging/bin/$name"
}
write_wrapper slatetrain slatetrain
write_wrapper slateconvert slateconvert
# --prefix: remote daemons (several nodes) start as BUNDLE/bin/orted with the bundle's paths.
prefix_rule='case " $* " in *" --prefix "*) ;; *) set -- --prefix "$bundle" "$@" ;; esac'
for name in mpirun mpiexec orterun; do write_wrapper "$name" orterun "$prefix_rule"; done
[[ -x $staging/libexec/orted ]] && write_wrapper orted orted
[[ -x $staging/libexec/ompi_info ]] && write_wrapper ompi_info ompi_info

cp -r "$root/configs/." "$staging/configs/"

# ---- README: what is inside, what the target must have ---------------------------------------
glibc_needed=$(find "$staging/libexec" "$staging/lib" -type f \( -name '*.so*' -o -perm -u+x \) \
  -exec objdump -T {} + 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -n 1 || true)
build_kind="CPU-only build"
if [[ $(ldd "$build_dir/bin/slatetrain") == *libcudart* ]]; then
  build_kind="CUDA build"
  [[ $with_cuda_libs -eq 1 ]] && cuda_note="CUDA runtime libraries: bundled (--with-cuda-libs)" ||
    cuda_note="CUDA runtime libraries: NOT bundled: the target needs them ($(ldd "$build_dir/bin/slatetrain" | awk '$1 ~ /^(libcudart|libcublas|libnccl|libcudnn)/ {print $1}' | sort -u | tr '\n' ' ')) on LD_LIBRARY_PATH"
else
  cuda_note="CUDA: none needed (CPU-only build; run.device=cpu or auto)"
fi
cat >"$staging/README.txt" <<EOF
slatetrain relocatable bundle ($build_kind, made $(date -u +%Y-%m-%dT%H:%MZ) on $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"))

Move or unpack this directory anywhere; always run the programs through bin/:

  BUNDLE/bin/slateconvert synth --output DATA/finn --users 2000 --items 500
  BUNDLE/bin/slateconvert finn --input DATA/finn --output DATA/converted --shards 2
  BUNDLE/bin/mpirun -np 2 BUNDLE/bin/slatetrain BUNDLE/configs/gru-small.yaml \\
      --set data.path=DATA/converted --set run.dir=RUN

(as root add --allow-run-as-root; more ranks than cores: --oversubscribe)

The target machine needs:
  - Linux x86_64 with glibc ${glibc_needed#GLIBC_} or newer (libc, libm, libpthread, libdl, librt, ld-linux)
  - $cuda_note
  - for GPUs: the NVIDIA driver (libcuda.so.1), never bundled

Layout: bin/ wrappers (set LD_LIBRARY_PATH, OPAL_PREFIX and the Open MPI/PMIx paths, then
run libexec/), libexec/ the programs, lib/ the libraries, lib/openmpi/ Open MPI components,
lib/pmix/ PMIx components, share/ help files, etc/openmpi/ Open MPI defaults,
configs/ example configurations, MANIFEST.txt where each library came from.
Several nodes: bin/mpirun passes --prefix BUNDLE, so the bundle must be at the same path on
every node (a shared file system). Details: docs/BUNDLE.md in the slatetrain sources.
EOF

# The old bundle (checked as ours above) moves aside, the new one takes its place, then the
# old one goes: a failure before this point leaves the old bundle untouched.
old_bundle=""
if [[ -e $output || -L $output ]]; then
  is_our_bundle "$output" || die "$output changed while bundling and is no bundle: left as it is"
  old_bundle=$output.old-$$
  [[ ! -e $old_bundle ]] || die "$old_bundle exists: not ours to remove"
  mv -T "$output" "$old_bundle"
fi
mv -T "$staging" "$output"
trap - EXIT
[[ -z $old_bundle ]] || rm -rf "$old_bundle"
note "bundle: $output ($(du -sh "$output" | cut -f1)), needs glibc ${glibc_needed#GLIBC_}+ on the target"
if [[ $make_tarball -eq 1 ]]; then
  # SLATETRAIN_BUNDLE_GZIP_LEVEL: 1 is fast (tests), 6 (gzip's default) a little smaller.
  gzip_program=gzip
  command -v pigz >/dev/null && gzip_program=pigz
  tar -C "$(dirname "$output")" -cf - "$(basename "$output")" |
    "$gzip_program" "-${SLATETRAIN_BUNDLE_GZIP_LEVEL:-6}" >"$tarball.tmp-$$"
  mv "$tarball.tmp-$$" "$tarball"
  note "tarball: $tarball ($(du -sh "$tarball" | cut -f1))"
fi
