"""All of the workbook's speed goals in one run: writes ``results/benchmarks.json`` and prints the table the
README shows (issue 14, "the speed pass"). Speed goals live here, never in timed tests.

Measured, each against its goal on the 2-core course machine:

* import floor: a fresh interpreter importing the stack every chapter needs (the cost no chapter can beat);
* ``python run_all.py --jobs 2`` in total and per chapter (``--run-all``; from the manifest it writes);
* ``pytest`` in total (``--pytest``: unit tests, nbval, the student edition and the book);
* batch scoring of 1,000,000 customers with ``models:/...@Champion`` (the whole pipeline: features,
  preprocessing, LightGBM) against LightGBM's own ``predict`` on the already preprocessed matrix;
* generating 1,000,000 customers and their Delta round trip (write + read);
* one-row serving latency p50/p99 and rows/s, from ``benchmarks/bench_serving.py`` when it has run.

Usage::

    python benchmarks/run_benchmarks.py                       # floor, scoring, data (about 1 minute)
    python benchmarks/run_benchmarks.py --run-all --pytest    # and the whole workbook and test suite
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
STACK = "import mlflow, mlflow.sklearn, mlflow.pyfunc, lightgbm, sklearn, pandas, matplotlib.pyplot, deltalake, hyperopt"
GOALS = {"run_all_jobs2_s": 120.0, "chapter_max_s": 30.0, "pytest_s": 240.0, "scoring_ratio": 1.5,
         "generate_1m_s": 5.0, "delta_round_trip_1m_s": 5.0, "serving_p50_ms": 10.0}


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def import_floor() -> float:
    """Seconds for a fresh interpreter to import the stack (best of 3)."""
    return _best(lambda: subprocess.run([sys.executable, "-c", STACK], check=True))


def data_round_trip(n: int = 1_000_000) -> dict[str, float]:
    from mlops_edu.data import make_customers, read_table, write_table

    make_customers(1000, seed=0)
    start = time.perf_counter()
    df = make_customers(n, seed=0)
    generate = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="bench-delta-") as tmp:
        start = time.perf_counter()
        write_table(df, Path(tmp) / "customers")
        read_table(Path(tmp) / "customers")
        delta = time.perf_counter() - start
    return {"generate_1m_s": round(generate, 2), "delta_round_trip_1m_s": round(delta, 2)}


def batch_scoring(n: int = 1_000_000) -> dict[str, float]:
    """@Champion (pyfunc: the whole pipeline) vs raw LightGBM ``predict`` on the preprocessed matrix."""
    from mlops_edu import setup_chapter
    from mlops_edu.data import make_customers
    from mlops_edu.deployment import registry
    from mlops_edu.deployment.inference import score_pandas
    from mlops_edu.training import log_model, make_model, split_xy

    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        setup_chapter("99", seed=4, root=tmp)
        X, y = split_xy(make_customers(7043, seed=4))
        pipeline = make_model("lightgbm", seed=4).fit(X, y)
        import mlflow

        with mlflow.start_run():
            logged = log_model(pipeline, X.head(5))
        version = registry.register(logged, description="benchmark model: LightGBM on 7,043 customers")
        registry.set_alias(registry.CHAMPION, version.version)
        customers = make_customers(n, seed=5)
        X_big, _ = split_xy(customers)
        import mlflow.pyfunc

        champion = mlflow.pyfunc.load_model(registry.model_uri())
        score_pandas(champion, customers.head(1000))
        pyfunc_s = _best(lambda: score_pandas(champion, customers), repeat=1)
        head = pipeline[:-1]
        matrix = head.transform(X_big)
        booster = pipeline[-1]
        booster.predict_proba(matrix[:1000])
        raw_s = _best(lambda: booster.predict_proba(matrix), repeat=1)
    return {"score_1m_champion_s": round(pyfunc_s, 2), "score_1m_raw_lightgbm_s": round(raw_s, 2),
            "scoring_ratio": round(pyfunc_s / raw_s, 2)}


def run_all() -> dict[str, object]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "run_all.py", "--jobs", "2"], cwd=ROOT, check=True)
    total = time.perf_counter() - start
    manifest = json.loads((RESULTS / "manifest.json").read_text(encoding="utf-8"))
    chapters = {c["chapter"]: c["seconds"] for c in manifest["chapters"]}
    return {"run_all_jobs2_s": round(total, 1), "chapters_s": chapters,
            "chapter_max_s": max(chapters.values()) if chapters else None}


def pytest_total() -> dict[str, float]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-x"], cwd=ROOT, check=True)
    return {"pytest_s": round(time.perf_counter() - start, 1)}


def serving() -> dict[str, float]:
    path = RESULTS / "benchmarks_serving.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: data[k] for k in ("serving_p50_ms", "serving_p99_ms", "serving_rows_per_s", "inprocess_rows_per_s")
            if k in data}


def machine() -> dict[str, object]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"date": dt.date.today().isoformat(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "memory_gib": round(memory, 1), "platform": platform.platform()}


def table(results: dict[str, object]) -> str:
    """The README's benchmark table: measured value, goal and whether it is met."""
    rows = ["| measure | value | goal | met |", "|---|---|---|---|"]
    for key, value in results.items():
        if isinstance(value, (int, float)) and key not in ("cpus", "memory_gib"):
            goal = GOALS.get(key)
            met = "" if goal is None else ("yes" if value <= goal else "no")
            rows.append(f"| {key} | {value} | {'' if goal is None else f'<= {goal}'} | {met} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-all", action="store_true", help="also time python run_all.py --jobs 2")
    parser.add_argument("--pytest", action="store_true", help="also time the whole pytest suite")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    results: dict[str, object] = {"import_floor_s": round(import_floor(), 2)}
    results.update(batch_scoring())
    results.update(data_round_trip())
    results.update(serving())
    if args.run_all:
        results.update(run_all())
    if args.pytest:
        results.update(pytest_total())
    results["machine"] = machine()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\n{results['machine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
