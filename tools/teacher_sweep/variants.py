"""The eight recipes of the sweep in bench/README.md, one JSON line each (tools/teacher_sweep/run.sh)."""
import json
S = {"sort": 3, "count": 3, "brackets": 3}
def mixed(at): return {"from": at, "weights": S, "byTask": False}
def bytask(at): return {"from": at, "options": {"recall": {"maxLength": 256}}, "weights": {"recall": 2, **S}, "byTask": True}
def phase(steps, lr, tail, warmup=200): return {"steps": steps, "lr": lr, "warmup": warmup, "schedule": "cosine", "stages": [mixed(0), bytask(steps - tail)]}
# every run but s4-16k starts from the step-11,000 checkpoint, the one committed before phase 4:
# `git show 0851eca:models/teacher/model.safetensors`, copied to this folder (init is relative to
# the repository root)
C = "models/teacher-11000"
V = [
  {"name": "c2-12k", "init": C, "fromPhase": 3, "extraPhases": [phase(12000, 1e-3, 3000)]},
  {"name": "g4top-6k", "init": C, "grow": "top:4", "fromPhase": 3, "extraPhases": [phase(6000, 1e-3, 1500)]},
  {"name": "g4mid-6k", "init": C, "grow": "mid:4", "fromPhase": 3, "extraPhases": [phase(6000, 1e-3, 1500)]},
  {"name": "g4top-6k-lr2", "init": C, "grow": "top:4", "fromPhase": 3, "extraPhases": [phase(6000, 2e-3, 1500)]},
  {"name": "g3top-6k", "init": C, "grow": "top:3", "fromPhase": 3, "extraPhases": [phase(6000, 1e-3, 1500)]},
  {"name": "g4top-12k", "init": C, "grow": "top:4", "fromPhase": 3, "extraPhases": [phase(12000, 1e-3, 3000)]},
  {"name": "c2-24k", "init": C, "fromPhase": 3, "extraPhases": [phase(24000, 1e-3, 4000)]},
  {"name": "s4-16k", "fromPhase": 0, "recipe": {"model": {"nLayers": 4}, "steps": 16000, "lr": 3e-3, "warmup": 200, "phases": [],
     "stages": [{"from": 0, "tasks": ["copy", "recall"]}, {"from": 600, "tasks": ["recall","copy","sort","add","count","brackets","lm"], "weights": {"sort": 2, "count": 2, "brackets": 2}},
                {"from": 12000, "options": {"recall": {"maxLength": 256}}, "weights": {"recall": 2, "sort": 2, "count": 2, "brackets": 2}, "byTask": True}]}},
]
for v in V: print(json.dumps(v))
