#!/usr/bin/env bash
# Times cnx-edge (each backend, 1 and 2 threads) and the peers (../shared/peers/bench_peers.py) in
# one session, interleaved, and prints p50 latencies: only same-run ratios mean anything.
# Usage: scripts/compare-peers.sh [BIN] [extra cnx-edge bench args, e.g. --compiled atto-int8.cnx]
# Peers need a Python with onnxruntime, openvino, onnx, numpy: $PEERS_PYTHON (default ~/.cache/cnx-peers/bin/python).
set -euo pipefail
BIN=${1:-.build/release/cnx-edge}; shift || true
PY=${PEERS_PYTHON:-$HOME/.cache/cnx-peers/bin/python}
PEERS=${PEERS_SCRIPT:-../shared/peers/bench_peers.py}
ITER=${ITER:-200}
for t in 1 2; do
  for be in native swift; do
    p50=$("$BIN" bench --model atto "$@" --backend $be --threads $t --iterations $ITER --warmup 20 | awk '/^latency/ {print $6}')
    echo "cnx-edge $be threads=$t p50_ms=$p50"
  done
  "$PY" "$PEERS" --only ort-fp32 --only openvino-fp32 --threads $t --iterations $ITER 2>/dev/null | grep -iE "ort|openvino" | sed "s/^/peer threads=$t: /"
done
