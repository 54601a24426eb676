#!/usr/bin/env bash
# Builds criu 4.2.1 with deploy/criu/restore-hugepages.patch: restored regions marked
# MADV_HUGEPAGE come back as 2 MiB pages (a third of the restore faults on AMD EPYC hosts, see
# docs/snapshots.md). Sourced by bootstrap.sh; the caller falls back to Debian forky's binary.
# The source is Debian's upstream tarball (criu_4.2.1.orig.tar.xz, the same one forky's binary is
# built from), fetched from the host's own Debian mirror and checked against a pinned sha256.

CRIU_SOURCE_VERSION=4.2.1
CRIU_SOURCE_SHA256=29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9
CRIU_BUILD_PACKAGES=(gcc make pkg-config libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  libnl-3-dev libcap-dev uuid-dev libnet1-dev libbsd-dev)

criu_patch_file() { echo "$COMFYSNAP_ROOT/deploy/criu/restore-hugepages.patch"; }

# Writes a patched criu to $1 (linked against the host's own libraries: no runtime prefix).
# Returns non-zero (never exits) on any failure; the build's output goes to $COMFYSNAP_STATE/criu-build.log.
build_patched_criu() {
  local target="$1" log="$COMFYSNAP_STATE/criu-build.log"
  mkdir -p "$COMFYSNAP_STATE"
  ( build_patched_criu_steps "$target" ) >"$log" 2>&1
}

# Every step chained with &&: `set -e` does not hold inside a function called from an `if`.
build_patched_criu_steps() {
  local target="$1" work="$COMFYSNAP_STATE/criu-src" src=/etc/apt/sources.list.d/debian.sources uris tarball
  apt_install "${CRIU_BUILD_PACKAGES[@]}" || return 1
  uris=$(awk '/^URIs:/{print $2; exit}' "$src")
  [ -n "$uris" ] || { echo "no Debian URIs in $src"; return 1; }
  tarball="$work/criu_${CRIU_SOURCE_VERSION}.orig.tar.xz"
  # apt's own downloader: the host's proxy settings, and the hash is checked before the file is kept.
  # make: only the criu binary (no crit, plugins or docs); GnuTLS is only for the encrypted page server.
  rm -rf "$work" && mkdir -p "$work" && chmod 777 "$work" \
    && /usr/lib/apt/apt-helper download-file "$uris/pool/main/c/criu/criu_${CRIU_SOURCE_VERSION}.orig.tar.xz" \
      "$tarball" "SHA256:$CRIU_SOURCE_SHA256" \
    && tar -xf "$tarball" -C "$work" \
    && cd "$work/criu-$CRIU_SOURCE_VERSION" \
    && patch -p1 < "$(criu_patch_file)" \
    && make -j"$(nproc)" NO_GNUTLS=1 criu \
    && cp criu/criu "$target.tmp" \
    && "$target.tmp" --version \
    && mv "$target.tmp" "$target" \
    && sha256sum "$(criu_patch_file)" | cut -d' ' -f1 > "$target.restore-hugepages" \
    && rm -rf "$work"
}
# True when the criu at $1 was built here with the patch as it is now.
criu_has_hugepage_patch() {
  local stamp="$1.restore-hugepages"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha256sum "$(criu_patch_file)" | cut -d' ' -f1)" ]
}
