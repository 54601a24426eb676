#!/usr/bin/env bash
# Idempotent machine set-up: services' packages, the private runtime prefix (old glibc only),
# CRIU 4.2.x. Sourced by ./comfysnap; every step is timed and safe to re-run.
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=criu_patched.sh
source "$(dirname "${BASH_SOURCE[0]}")/criu_patched.sh"

NEWER_SOURCES=/etc/apt/sources.list.d/comfysnap-newer.sources
NEWER_PIN=/etc/apt/preferences.d/comfysnap-newer
RUNTIME_PACKAGES=(libc6/forky libstdc++6/forky libgcc-s1/forky)
CRIU_PACKAGES=(criu/forky libcompel1/forky libnet9/forky libnl-3-200/forky libgnutls30t64/forky
  libunistring5/forky libnettle8t64/forky libhogweed6t64/forky libp11-kit0/forky libidn2-0/forky
  libtasn1-6/forky libgmp10/forky libffi8/forky)

install_host_packages() {
  # libnftables1, libprotobuf-c1: forky criu's own dependencies that bookworm satisfies.
  # python3-pika: the Python publisher in examples/, run by the test suite.
  apt_install rabbitmq-server redis-server patchelf bc ca-certificates iproute2 procps \
    libnftables1 libprotobuf-c1 libbsd0 libuuid1 python3-pika
}

# What the examples' tests need (idempotent and cheap when done, so `test` runs it every time:
# machines bootstrapped before the examples existed get it too). npm ci only when the lock changed.
install_example_packages() {
  apt_install python3-pika
  command -v npm >/dev/null || apt_install npm
  npm_ci_when_changed "$COMFYSNAP_ROOT/examples/node"
  # The Kubernetes manifests' schema check (kubernetes-models, KEDA models).
  npm_ci_when_changed "$COMFYSNAP_ROOT/deploy/k8s/check"
  # The object store of `./comfysnap services` (s3rver).
  npm_ci_when_changed "$COMFYSNAP_ROOT/scripts/s3server"
}

npm_ci_when_changed() {
  local dir="$1" stamp="$1/node_modules/.comfysnap-lock.sha256"
  local sum; sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && return 0
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in ${dir#"$COMFYSNAP_ROOT"/}"
  echo "$sum" > "$stamp"
}

# Adds Debian trixie/forky next to the host's own Debian source, pinned below 100 so that
# nothing on the host is ever upgraded from them; we only `apt-get download` from them.
add_newer_debian_suites() {
  [ -f "$NEWER_SOURCES" ] && return 0
  local src=/etc/apt/sources.list.d/debian.sources uris keyring
  [ -f "$src" ] || die "no $src: the runtime prefix and CRIU 4.2 come from Debian's newer suites; on this host install CRIU >= 4.2 yourself"
  uris=$(awk '/^URIs:/{print $2; exit}' "$src")
  keyring=$(awk '/^Signed-By:/{print $2; exit}' "$src")
  [ -n "$uris" ] && [ -n "$keyring" ] || die "could not read URIs/Signed-By from $src"
  printf 'Types: deb\nURIs: %s\nSuites: trixie forky\nComponents: main\nSigned-By: %s\n' "$uris" "$keyring" | as_root tee "$NEWER_SOURCES" >/dev/null
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 50\n\nPackage: *\nPin: release n=forky\nPin-Priority: 50\n' | as_root tee "$NEWER_PIN" >/dev/null
  as_root apt-get update -qq || die "apt-get update with trixie/forky failed"
  touch "$APT_UPDATED_MARK"
}

# Downloads Debian packages and unpacks them into the prefix (no install, no scripts run).
unpack_into_prefix() {
  local cache="$COMFYSNAP_STATE/debs"
  mkdir -p "$cache" "$PREFIX"
  (cd "$cache" && chmod 777 . && apt-get download -qq "$@" >/dev/null) || die "apt-get download failed for: $*"
  local deb
  for pkg in "$@"; do
    deb=$(ls -t "$cache/${pkg%%/*}"_*.deb | head -1)
    dpkg -x "$deb" "$PREFIX"
  done
}

# Point a binary at the prefix's loader and libraries (--force-rpath: RUNPATH is not used for
# the libraries' own dependencies).
patch_binary() {
  local bin="$1" rpath="$2"
  patchelf --set-interpreter "$PREFIX_LIB/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$rpath" "$bin"
}

build_runtime_prefix() {
  if ! needs_runtime_prefix; then
    log "glibc $(glibc_version) >= 2.38: TorchSharp runs on the system runtime, no prefix needed"
    return 0
  fi
  if [ -x "$PATCHED_DOTNET_ROOT/dotnet" ] && [ -f "$PREFIX_LIB/libstdc++.so.6" ]; then
    log "runtime prefix already present ($PREFIX)"; return 0
  fi
  add_newer_debian_suites
  unpack_into_prefix "${RUNTIME_PACKAGES[@]}"
  # Hard-linked copy of the SDK (instant, no space); only the muxer becomes a real, patched copy.
  # A symlinked copy does not work: the SDK resolves its real path and starts testhost unpatched.
  local sys_root
  sys_root=$(dirname "$(readlink -f "$(command -v dotnet)")") || die "dotnet is not on PATH: install the .NET 10 SDK"
  rm -rf "$PATCHED_DOTNET_ROOT.tmp"
  cp -al "$sys_root" "$PATCHED_DOTNET_ROOT.tmp"
  rm -f "$PATCHED_DOTNET_ROOT.tmp/dotnet"
  cp "$sys_root/dotnet" "$PATCHED_DOTNET_ROOT.tmp/dotnet"
  patch_binary "$PATCHED_DOTNET_ROOT.tmp/dotnet" "$PREFIX_LIB"
  rm -rf "$PATCHED_DOTNET_ROOT"; mv "$PATCHED_DOTNET_ROOT.tmp" "$PATCHED_DOTNET_ROOT"
  "$PATCHED_DOTNET_ROOT/dotnet" --version >/dev/null || die "the patched dotnet does not start"
}

# CRIU 4.2.x: Debian 12's 3.17 fails `criu check` on kernels >= 6.13 and 4.1 hangs at dump in
# this VM; forky's 4.2.1 works. First choice: 4.2.1 built here with the huge-page restore patch
# (criu_patched.sh, about 6 minutes once): it restores the regions marked for huge pages as 2 MiB
# pages, a third of the restore faults and restore to ready 1.6-2.1x faster on an AMD EPYC host
# (docs/snapshots.md). COMFYSNAP_CRIU_HUGEPAGES=0 skips it; a failed build is not retried until the
# patch changes. Then a system criu if it is already 4.2 or newer; then forky's.
install_criu() {
  local target failed="$COMFYSNAP_STATE/criu-build.failed"; target=$(criu_bin)
  local want_patch=1; [ "${COMFYSNAP_CRIU_HUGEPAGES:-1}" = 0 ] && want_patch=0
  local patch_sum; patch_sum=$(sha256sum "$(criu_patch_file)" | cut -d' ' -f1)
  if [ -x "$target" ] && criu_has_hugepage_patch "$target"; then
    log "criu present: $("$target" --version | head -1) (with deploy/criu/restore-hugepages.patch)"; return 0
  fi
  if [ -x "$target" ] && { [ "$want_patch" = 0 ] || [ "$(cat "$failed" 2>/dev/null)" = "$patch_sum" ]; }; then
    log "criu present: $("$target" --version | head -1) (stock: restores fault 4 KiB pages)"; return 0
  fi
  mkdir -p "$(dirname "$target")"
  if [ "$want_patch" = 1 ]; then
    log "building criu $CRIU_SOURCE_VERSION with deploy/criu/restore-hugepages.patch (about 6 minutes, once) ..."
    if build_patched_criu "$target"; then
      rm -f "$failed"
      log "criu $CRIU_SOURCE_VERSION built with deploy/criu/restore-hugepages.patch (huge-page restore)"; return 0
    fi
    echo "$patch_sum" > "$failed"
    log "building criu with the huge-page restore patch failed (see $COMFYSNAP_STATE/criu-build.log): using a stock criu 4.2.x, whose restores fault 4 KiB pages"
    [ -x "$target" ] && return 0
  fi
  if command -v criu >/dev/null && printf '%s\n4.2\n' "$(criu --version | awk '/Version/{print $2}')" | sort -V | head -1 | grep -qx 4.2; then
    ln -sf "$(command -v criu)" "$target"; return 0
  fi
  add_newer_debian_suites
  unpack_into_prefix libc6/forky "${CRIU_PACKAGES[@]}"
  cp "$PREFIX/usr/sbin/criu" "$target.tmp"
  patch_binary "$target.tmp" "$PREFIX_LIB:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu"
  mv "$target.tmp" "$target"
}

check_criu() {
  local out
  out=$("$(criu_bin)" check 2>&1) || die "criu check failed: $out"
  log "criu $("$(criu_bin)" --version | awk '/Version/{print $2}'): ${out##*$'\n'}"
}

bootstrap() {
  mkdir -p "$COMFYSNAP_STATE"
  local t0; t0=$(date +%s)
  step "host packages (rabbitmq-server, redis-server, patchelf)" install_host_packages
  step "runtime prefix for TorchSharp (glibc $(glibc_version))" build_runtime_prefix
  step "CRIU 4.2.x" install_criu
  step "criu check" check_criu
  touch "$COMFYSNAP_STATE/.bootstrapped"
  log "bootstrap complete in $(( $(date +%s) - t0 )) s"
}
