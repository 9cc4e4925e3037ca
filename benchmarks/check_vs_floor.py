"""`ccm-assess check` against the Arrow floor, side by side (docs/scale.md).

    python benchmarks/check_vs_floor.py [--sizes 250000 1000000] [--pairs 3]
        [--floor FLOOR.py] [--maker MAKER.py] [--data /tmp/ccm-assess-bench]

`--floor` and `--maker` default to `floor_check.py` and `make_big_panel.py` of the shared
benchmark folder kept beside the repositories (`SHARED`), not in this one.

The floor (`floor_check.py`) is what pyarrow alone needs to parse a long panel export, normalise
and classify its codes and count patients with two or more categories. For each size the
panel is written once by `make_big_panel.py` (N patients, ~8 rows each) under `--data` (never
in the repository), then the floor and `ccm-assess check` run as fresh processes, alternately,
`--pairs` times: each pair shares the machine's load of the moment. Seconds are each process's
whole life (interpreter start and imports included); peak MB its maximum resident set
(`os.wait4`); CPU seconds are user + system time of all its threads, which a shared machine's
load disturbs far less than wall time. Each ratio is the median for check over the median
for the floor. `check` runs with default limits unless `--limit NAME=VALUE` is given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the first `shared/bench` folder found in a folder above the checkout (beside it, or beside
# the folder of worktrees)
SHARED = next(
    (p / "shared" / "bench" for p in ROOT.parents if (p / "shared" / "bench").is_dir()),
    ROOT.parent / "shared" / "bench",
)
AS_OF = "2026-11-20"


def measure(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system, all threads), peak resident MB and exit
    status of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if child.stderr is not None:
        child.stderr.close()
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def panel(size: int, data: Path, maker: Path) -> Path:
    """The `make_big_panel.py` panel of `size` patients, written once under `data`."""
    path = data / f"panel_{size}.csv"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(maker), str(partial), str(size)], check=True)
        partial.replace(path)
    return path


def compare(path: Path, pairs: int, floor: Path, limits: list[str]) -> dict[str, float]:
    """Medians of `pairs` alternating runs of the floor and `check` on `path`."""
    check = [sys.executable, "-m", "ccm_assess", "check", str(path), "--as-of", AS_OF]
    commands = {
        "floor": [sys.executable, str(floor), str(path)],
        "check": check + [f"--limit={limit}" for limit in limits],
    }
    runs: dict[str, list[tuple[float, float, float]]] = {"floor": [], "check": []}
    for pair in range(pairs):
        for name in commands if pair % 2 == 0 else reversed(commands):
            seconds, cpu, peak, status = measure(commands[name])
            if status != 0:
                raise SystemExit(f"{name} failed on {path.name} (exit {status})")
            runs[name].append((seconds, cpu, peak))
            print(f"  {name:5} {seconds:7.2f} s {cpu:6.2f} s CPU {peak:7.0f} MB", file=sys.stderr,
                  flush=True)  # fmt: skip
    result = {}
    for name, values in runs.items():
        for i, unit in enumerate(("s", "cpu", "mb")):
            result[f"{name}_{unit}"] = statistics.median(v[i] for v in values)
    for unit in ("s", "cpu", "mb"):
        result[f"ratio_{unit}"] = result[f"check_{unit}"] / result[f"floor_{unit}"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--floor", type=Path, default=SHARED / "floor_check.py")
    parser.add_argument("--maker", type=Path, default=SHARED / "make_big_panel.py")
    parser.add_argument("--data", type=Path, default=Path("/tmp/ccm-assess-bench"))
    parser.add_argument("--limit", action="append", default=[], help="passed to check")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores", file=sys.stderr)
    print("| patients | rows | floor s | check s | ratio | floor CPU s | check CPU s | ratio "
          "| floor MB | check MB | ratio |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        path = panel(size, args.data, args.maker)
        with path.open("rb") as handle:
            rows = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
        r = compare(path, args.pairs, args.floor, args.limit)
        print(
            f"| {size:,} | {rows - 1:,} | {r['floor_s']:.2f} | {r['check_s']:.2f} | "
            f"{r['ratio_s']:.2f} | {r['floor_cpu']:.2f} | {r['check_cpu']:.2f} | "
            f"{r['ratio_cpu']:.2f} | {r['floor_mb']:.0f} | {r['check_mb']:.0f} | "
            f"{r['ratio_mb']:.2f} |",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
