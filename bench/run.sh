#!/usr/bin/env bash
# Builds and runs the benchmark harness; called by `./comfysnap bench [suite] [options]`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/ComfySnap.sln" -c Release -nologo -v q -clp:ErrorsOnly >&2
dotnet build "$root/bench/ComfySnap.Bench" -c Release -nologo -v q -clp:ErrorsOnly >&2
exec dotnet "$root/bench/ComfySnap.Bench/bin/Release/net10.0/ComfySnap.Bench.dll" "$@"
