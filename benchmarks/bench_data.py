"""Benchmark of the data layer: generate 1,000,000 customers, write and read them as a Delta table.

Targets (issue 3): generation under 5 s, Delta write + read under 5 s on the 2-core course machine.

Usage::

    python benchmarks/bench_data.py            # 1,000,000 rows, best of 3
    python benchmarks/bench_data.py --n 200000 --repeat 1

Writes ``results/bench_data.json`` (results/ is git-ignored: timings vary) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_edu.data import (  # noqa: E402
    make_customers,  # noqa: E402
    read_table,
    write_table,
)

TARGET_S = 5.0


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="customers to generate")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions; the best time is reported")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_data.json"))
    args = ap.parse_args(argv)

    make_customers(1000, seed=0)  # warm-up (imports, first-call costs)
    t_gen, df = _best(lambda: make_customers(args.n, seed=0), args.repeat)
    tmp = Path(tempfile.mkdtemp(prefix="bench_data_"))
    try:
        def write():
            shutil.rmtree(tmp / "customers", ignore_errors=True)
            return write_table(df, tmp / "customers")

        t_write, _ = _best(write, args.repeat)
        t_read, back = _best(lambda: read_table(tmp / "customers"), args.repeat)
        size_mb = sum(f.stat().st_size for f in (tmp / "customers").rglob("*") if f.is_file()) / 1e6
        same = bool(back.dtypes.equals(df.dtypes)) and back.shape == df.shape
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = [
        ("generate", t_gen, TARGET_S),
        ("delta write", t_write, None),
        ("delta read", t_read, None),
        ("delta write + read", t_write + t_read, TARGET_S),
    ]
    result = {
        "n": args.n, "repeat": args.repeat, "python": platform.python_version(), "pandas": pd.__version__,
        "machine": platform.machine(), "table_mb": round(size_mb, 1), "round_trip_dtypes_equal": same,
        "seconds": {name: round(t, 3) for name, t, _ in rows},
        "rows_per_second_generate": int(args.n / t_gen),
        "within_target": {name: t <= tgt for name, t, tgt in rows if tgt is not None},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"data layer benchmark: {args.n:,} customers, best of {args.repeat}")
    print(f"{'step':<20}{'seconds':>10}{'target':>10}{'ok':>6}")
    for name, t, tgt in rows:
        ok = "" if tgt is None else ("yes" if t <= tgt else "NO")
        print(f"{name:<20}{t:>10.2f}{'' if tgt is None else f'< {tgt:.0f}':>10}{ok:>6}")
    print(f"Delta table size: {size_mb:.1f} MB; dtypes survive the round trip: {same}")
    print(f"written: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return result


if __name__ == "__main__":
    main()
