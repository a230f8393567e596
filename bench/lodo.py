"""``khidmat bench lodo``: one-finger EER with constants chosen leave-one-set-out.

The matcher's most influential constants were tuned on all four FVC2002 sets, so the
per-set EERs of ``khidmat bench matcher`` are in sample. Here every setting of a small
sweep (the adopted constants, and each swept constant moved to one other value; see
SWEEP) is scored on every set (all-pairs EER, as ``bench matcher``); then for each
held-out set the setting with the lowest mean EER on the other sets is chosen and its
EER on the held-out set reported. ``lodo_mean_eer`` is the mean of those held-out EERs:
each set scored with constants chosen without it.

Each setting runs in a child process (the compiled matcher reads its constants at
import), re-extracting every image: about 10-30 s per setting on one core.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

#: Constants swept, with the values tried (the adopted value is in params).
SWEEP: dict[str, tuple[float, ...]] = {
    "GABOR_PERIOD_FACTOR": (0.82, 0.84, 0.88, 0.90),
    "MCC_SIGMA_D_RAD": (0.50, 0.60),
    "MCC_SIGMA_S_PX": (7.0, 9.0),
}

_CHILD = """
import json, sys
from pathlib import Path
from matcher_cy import params
overrides, data = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for name, value in overrides.items():
    setattr(params, name, value)
from bench.matcher import run
print(json.dumps({Path(d).name: run(Path(d), dpi=dpi)["eer"] for d, dpi in data}))
"""


def settings() -> list[dict[str, float]]:
    """The adopted constants ({}) and every single-constant move of SWEEP."""
    return [{}] + [{name: value} for name, values in SWEEP.items() for value in values]


def set_eers(overrides: dict[str, float], data: list[tuple[Path, int]]) -> dict[str, float]:
    """EER (percent) per set with ``overrides`` applied, from a child process."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            json.dumps(overrides),
            json.dumps([(str(d), dpi) for d, dpi in data]),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"setting {overrides}: child failed: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def choose(table: list[dict], held_out: str) -> dict:
    """The row with the lowest mean EER over the sets other than ``held_out``."""

    def training_mean(row: dict) -> float:
        return float(np.mean([e for name, e in row["eers"].items() if name != held_out]))

    return min(table, key=training_mean)  # ties: the earlier row (the adopted constants)


def run(data: list[tuple[Path, int]]) -> dict:
    """The sweep and the leave-one-set-out choice (module docstring)."""
    table = [{"overrides": s, "eers": set_eers(s, data)} for s in settings()]
    names = list(table[0]["eers"])
    folds = []
    for held in names:
        row = choose(table, held)
        folds.append({"held_out": held, "chosen": row["overrides"], "eer": row["eers"][held]})
    return {
        "in_sample_mean_eer": float(np.mean(list(table[0]["eers"].values()))),
        "in_sample_eers": table[0]["eers"],
        "lodo": folds,
        "lodo_mean_eer": float(np.mean([f["eer"] for f in folds])),
        "sweep": table,
    }


def main(data: list[tuple[Path, int]], *, as_json: bool) -> int:
    """CLI body."""
    result = run(data)
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    for row in result["sweep"]:
        eers = " / ".join(f"{e:.2f}" for e in row["eers"].values())
        print(f"  {row['overrides'] or 'adopted'}: {eers}")
    for fold in result["lodo"]:
        print(f"  without {fold['held_out']}: {fold['chosen'] or 'adopted'} -> {fold['eer']:.2f}%")
    print(
        f"leave-one-set-out mean EER {result['lodo_mean_eer']:.2f}% "
        f"(in sample {result['in_sample_mean_eer']:.2f}%)"
    )
    return 0
