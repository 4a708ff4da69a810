#!/usr/bin/env bash
# Regenerates the ONNX Runtime outputs TestDynamicQuantizedAgreesWithORT
# (nn/onnx/integer_test.go) compares with. The test writes the models and
# inputs (-dynquant.write); ortrun (ONNX Runtime 1.30.0 via
# onnxruntime-node, installed by ../shared/peer/setup.sh) runs them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${OCELLUS_SHARED:-$here/../../../../../shared}"
eval "$(PEER_CACHE=${PEER_CACHE:-/tmp/ort-peer} "$shared/peer/setup.sh")"
(cd "$here/../.." && go test -run TestDynamicQuantizedAgreesWithORT -dynquant.write . >/dev/null)
for m in conv matmul; do
  tmp="$(mktemp -d)"
  "$ORTRUN" -model "$here/$m.onnx" -input "x=$here/${m}_x.npy" -iters 1 -warmup 0 -out "$tmp" >/dev/null
  cp "$tmp/y.npy" "$here/${m}_ort_y.npy"
  rm -rf "$tmp"
done
