#!/usr/bin/env bash
# What this machine has for a GPU, then Stillroom on WebGPU (Dawn, from the `webgpu` npm package):
# bench:train's matmul, training and decoding on webgpu beside the CPU default and PyTorch, in
# under 10 minutes. Every part has its own time limit and goes on when an earlier one fails, so
# the output always says how far it got and why. Run from anywhere:
#
#     bash bench/gpu-check.sh 2>&1 | tee gpu-check.log
#
# Environment: STILLROOM_DAWN (Dawn options, e.g. "adapter=NVIDIA H100" or "backend=vulkan"),
# GPU_CHECK_STEPS (timed training steps, default 5).
set -u
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" # Mesa's Vulkan drivers complain without one
STEPS="${GPU_CHECK_STEPS:-5}"
section() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

section "machine"
uname -srm
echo "cores: $(nproc)   load: $(cut -d' ' -f1-3 /proc/loadavg)   node: $(node --version 2>/dev/null || echo missing)"

section "NVIDIA driver"
if command -v nvidia-smi >/dev/null; then
  timeout 30 nvidia-smi || echo "nvidia-smi failed (exit $?)"
else
  echo "nvidia-smi: not found"
fi
cat /proc/driver/nvidia/version 2>/dev/null || echo "/proc/driver/nvidia/version: no NVIDIA kernel driver loaded"

section "libcuda and NVIDIA user-space libraries"
(ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvidia-(gl|glcore|ml)' ) || echo "none known to ldconfig"

section "Vulkan"
loaders=$(ls /usr/lib/*-linux-gnu/libvulkan.so.1 /usr/lib64/libvulkan.so.1 2>/dev/null)
echo "Vulkan loader: ${loaders:-none (Debian: libvulkan1)}"
for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
  [ -d "$d" ] && for f in "$d"/*.json; do [ -e "$f" ] && echo "$f: $(tr -d '\n ' < "$f" | grep -o '"library_path":"[^"]*"')"; done
done
command -v vulkaninfo >/dev/null && timeout 30 vulkaninfo --summary 2>&1 | grep -E 'deviceName|driverName|apiVersion|deviceType' | head -20

section "build"
if [ ! -f dist/bench/train.js ]; then timeout 300 npm run build >/dev/null || echo "build failed (exit $?)"; fi

section "Dawn adapters"
timeout 60 node --input-type=module -e '
  const { create, globals } = await import("webgpu");
  Object.assign(globalThis, globals);
  const extra = (process.env.STILLROOM_DAWN ?? "").split(",").filter(Boolean);
  for (const opts of [extra, ["backend=vulkan", ...extra], ["backend=null"]]) {
    try {
      const adapter = await create(opts).requestAdapter({ powerPreference: "high-performance" });
      const i = adapter?.info ?? {};
      console.log(JSON.stringify(opts), adapter ? JSON.stringify({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description }) : "no adapter");
    } catch (e) { console.log(JSON.stringify(opts), "error:", e.message.split("\n")[0]); }
  }
  process.exit(0);' 2>&1 | grep -v '^ *at ' || echo "Dawn adapter probe failed"

section "sr.backend.use(\"webgpu\")"
timeout 120 node --input-type=module -e '
  const sr = await import("./dist/sdk/index.js");
  try { console.log(JSON.stringify(await sr.backend.use("webgpu"))); }
  catch (e) { console.log("cannot start:", e.message); }
  process.exit(0);' 2>&1 | grep -v '^ *at ' || echo "the probe failed"

section "bench:train on webgpu, beside the CPU default and PyTorch (1 torch thread), $STEPS steps"
# the webgpu column holds matmul, training and forward tokens/s and decode_tokens_per_s (decoding)
left=$((540 - ($(date +%s) - started)))
timeout "$left" node dist/bench/train.js --configs webgpu,default --torch-threads 1 --steps "$STEPS" --warmup 2 --child-timeout 240 \
  || echo "bench:train stopped (exit $?)"

section "done in $(($(date +%s) - started)) s"
