#!/bin/bash
# `cargo xtask bench --gpu` on a lent GPU machine, which has no Rust: one prepared run.
#
# Here, first: build, strip and compress the bench (`cargo build --release -p xtask && strip
# target/release/xtask && gzip -9 -k target/release/xtask`: 94 MB stripped, 24 MB compressed,
# under the 64 MiB that travel) and download Vulkan's loaders into `.gl/` as the device tool's
# README says. Then call the device tool with this script as the command and `carry` naming
# `target/release/xtask.gz` and `.gl`. The table and target/bench/gpu.json come back under $OUT.
set -u
out=${OUT:-/tmp/gpu-bench}
mkdir -p "$out"
if ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export CARGO_TARGET_DIR="$out/target"
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv | tee "$out/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))" \
    | tee -a "$out/gpu.txt"
bin=${BIN:-target/release/xtask}
if [ ! -x "$bin" ] && [ -f "$bin.gz" ]; then
    gunzip -c "$bin.gz" > /tmp/xtask && chmod +x /tmp/xtask && bin=/tmp/xtask
fi
timeout "${LIMIT_S:-480}" "$bin" bench --gpu --vs-pytorch --runs "${RUNS:-2}" ${BENCH_ARGS:-} 2>&1 \
    | tee "$out/gpu-bench.txt"
