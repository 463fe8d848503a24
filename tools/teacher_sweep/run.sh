#!/bin/bash
# The teacher recipe sweep (bench/README.md, "Recipes tried on a GPU"): writes every variant's
# batches with the repo's own task generators, then trains all variants at once with the PyTorch
# reference's model and optimizer, on a GPU if there is one. JSON lines go to $OUT/results.jsonl.
#
# Prepare (where npm works): npm run build, then bundle the generator so that the GPU machine
# needs only a node binary, and list the variants:
#   npx esbuild tools/teacher_sweep/gen.mjs --bundle --platform=node --format=esm \
#     --outfile=.sweep/gen.mjs --banner:js="import { createRequire as cr } from 'module'; const require = cr(import.meta.url);"
#   python3 tools/teacher_sweep/variants.py > .sweep/variants.jsonl
# Run (there): NODE=path/to/node OUT=results BUDGET=450 bash tools/teacher_sweep/run.sh
set -u
START=$(date +%s)
NODE=${NODE:-node}
GEN=${GEN:-.sweep/gen.mjs}
WORK=$(mktemp -d)
mkdir -p "$OUT"
"$NODE" "$GEN" eval '{}' "$WORK/eval" &
i=0
while read -r line; do
  "$NODE" "$GEN" train "$line" "$WORK/v$i" &
  i=$((i + 1))
done < "${VARIANTS:-.sweep/variants.jsonl}"
wait
echo "data written in $(( $(date +%s) - START )) s"
LEFT=$(( ${BUDGET:-450} - ($(date +%s) - START) ))
for d in "$WORK"/v*; do
  PYTHONUNBUFFERED=1 python3 tools/teacher_sweep/sweep.py "$d" "$WORK/eval" --out "$OUT/results.jsonl" --max-seconds "$LEFT" > "$d.log" 2>&1 &
done
wait
tail -n 3 "$WORK"/v*.log
