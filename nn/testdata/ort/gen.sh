#!/usr/bin/env bash
# Regenerates the ONNX Runtime reference outputs used by nn/ort_test.go.
# Needs ../shared/peer (ONNX Runtime 1.30.0 via onnxruntime-node; setup.sh
# installs it). Inputs are not stored: ortrun draws them from SplitMix64
# (-random-seed 1) and the test regenerates them bit for bit, checking the
# sha256 recorded in summary.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${OCELLUS_SHARED:-$here/../../../../shared}"
eval "$(PEER_CACHE=${PEER_CACHE:-/tmp/ort-peer} "$shared/peer/setup.sh")"
for m in mnist-8 mobilenetv2-1.0-imagenet-dequant st_mobilenet_v2_0.35_128_flowers \
  st_mobilenet_v2_0.5_128_person efficientnet_b0_random mobilenet_v3_small_random mobilenet_v2_random \
  mobilenetv2-12-int8; do
  tmp="$(mktemp -d)"
  "$ORTRUN" -model "$shared/models/onnx/$m.onnx" -random-seed 1 -iters 5 -warmup 1 -out "$tmp" >/dev/null
  mkdir -p "$here/$m"
  python3 - "$tmp" "$here/$m" <<'PY'
import json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
d = json.load(open(os.path.join(src, "summary.json")))
for o in d["outputs"]:
    shutil.copy(os.path.join(src, o["file"]), dst)
for k in ("ort_library", "out_dir", "timing", "memory"):
    d.pop(k, None)
d["model"]["path"] = "models/onnx/" + os.path.basename(d["model"]["path"])
json.dump(d, open(os.path.join(dst, "summary.json"), "w"), indent=1)
PY
  rm -rf "$tmp"
done
