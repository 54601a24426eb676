#!/bin/sh
# Copies the files of lllyasviel/ControlNet the fixture script imports (cldm/cldm.py and the ldm
# modules it needs) from a git directory of that repository into $SDREF_WORK/third_party_cnet,
# which the sdref chroot sees. Run on the host (the chroot has no git).
# usage: get-controlnet-sources.sh CONTROLNET_GIT_DIR
set -eu
GIT_DIR=${1:?usage: get-controlnet-sources.sh CONTROLNET_GIT_DIR}
DEST=${SDREF_WORK:-/var/tmp/sdref/work}/third_party_cnet
rm -rf "$DEST"
mkdir -p "$DEST"
# One file at a time: a snapshot of the repository may lack its large unrelated files, which
# git archive would trip over.
for f in cldm/cldm.py ldm/util.py ldm/modules/attention.py ldm/modules/diffusionmodules/__init__.py \
         ldm/modules/diffusionmodules/util.py ldm/modules/diffusionmodules/openaimodel.py; do
    mkdir -p "$DEST/$(dirname "$f")"
    git --git-dir="$GIT_DIR" show "HEAD:$f" > "$DEST/$f"
done
echo "lllyasviel/ControlNet $(git --git-dir="$GIT_DIR" rev-parse HEAD)" > "$DEST/SOURCES.txt"
(cd "$DEST" && find . -name '*.py' | sort | xargs sha256sum) >> "$DEST/SOURCES.txt"
cat "$DEST/SOURCES.txt"
