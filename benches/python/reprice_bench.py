"""Batch repricing throughput and memory: N generated CDRs (JSON Lines, fixed seed) repriced file to file on all
cores, next to a baseline measured in the same run: the stdlib decoding every line (`json.loads`, one core).

    .venv/bin/python benches/python/reprice_bench.py --cdrs 1000000 --workers 2

Prints CDRs/s, the ratio to the baseline and the peak RSS of the process (generation streams to disk, so the
peak is the repricer's). Bounded: it stops after --cdrs records; nothing is sent over the network.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_pricing_bench import TARIFF  # noqa: E402

import ocpi_engine  # noqa: E402


def generate(path: Path, count: int, seed: int, stated: str) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(count):
            day = rng.randrange(1, 28)
            hour = rng.randrange(0, 20)
            minute = rng.randrange(0, 60)
            periods = []
            total = 0
            for p in range(5):
                mins = 3 * rng.randrange(1, 20)
                start_m = hour * 60 + minute + total
                stamp = f"2024-05-{day:02d}T{start_m // 60 % 24:02d}:{start_m % 60:02d}:00Z"
                if p == 4:
                    dims = f'[{{"type":"PARKING_TIME","volume":{mins / 60:.4f}}}]'
                else:
                    dims = (f'[{{"type":"ENERGY","volume":{rng.randrange(0, 20000) / 1000}}},'
                            f'{{"type":"TIME","volume":{mins / 60:.4f}}}]')
                periods.append(f'{{"start_date_time":"{stamp}","dimensions":{dims}}}')
                total += mins
            end_m = hour * 60 + minute + total
            end = f"2024-05-{day:02d}T{end_m // 60 % 24:02d}:{end_m % 60:02d}:00Z"
            start = f"2024-05-{day:02d}T{hour:02d}:{minute:02d}:00Z"
            out.write(
                f'{{"id":"CDR{i}","start_date_time":"{start}","end_date_time":"{end}","currency":"EUR",'
                f'"cdr_location":{{"country":"NLD"}},"charging_periods":[{",".join(periods)}],'
                + (f'"total_cost":{{"excl_vat":{rng.randrange(100, 5000) / 100}}},' if stated == "random" else "")
                + f'"last_updated":"{end}"}}\n'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--baseline-sample", type=int, default=100_000)
    parser.add_argument("--stated-totals", choices=["random", "none"], default="random",
                        help="random: every CDR states a total that is off (worst case for the discrepancy "
                             "report); none: CDRs state no totals (a plain repricing job)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="reprice the generated file this many times and report the fastest run (a shared, "
                             "noisy machine)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        t0 = time.perf_counter()
        generate(source, args.cdrs, seed=2024, stated=args.stated_totals)
        print(f"generated {args.cdrs:,} CDRs ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
        os.sync()  # the generator's 800 MB of dirty pages must not be written back inside the timed window
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        elapsed = cpu = float("inf")
        for _ in range(args.repeat):
            t0, cpu0 = time.perf_counter(), time.process_time()
            summary = ocpi_engine.reprice_file(source, target, json.dumps(TARIFF), time_zone="Europe/Amsterdam",
                                               workers=args.workers, discrepancies=Path(tmp) / "d.csv")
            run, run_cpu = time.perf_counter() - t0, time.process_time() - cpu0
            print(f"  run: {args.cdrs / run:,.0f} CDRs/s, {run_cpu / run:.2f} cores busy", file=sys.stderr)
            if run < elapsed:
                elapsed, cpu = run, run_cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert summary["records"] == args.cdrs and summary["errors"] == 0, summary
        t0 = time.perf_counter()
        with source.open("rb") as handle:
            for n, line in enumerate(handle):
                if n >= args.baseline_sample:
                    break
                json.loads(line)
        baseline_rate = min(args.baseline_sample, args.cdrs) / (time.perf_counter() - t0)
    rate = args.cdrs / elapsed
    print(f"reprice: {args.cdrs:,} CDRs in {elapsed:.2f}s = {rate:,.0f} CDRs/s on "
          f"{args.workers or 'all'} workers; baseline json.loads (1 core) {baseline_rate:,.0f} lines/s; "
          f"ratio {rate / baseline_rate:.2f}x; CPU {cpu / args.cdrs * 1e6:.2f} µs per CDR, {cpu / elapsed:.2f} cores busy; "
          f"peak RSS {rss:.0f} MB (before repricing {rss_before:.0f} MB); "
          f"{summary['with_discrepancies']:,} CDRs with stated totals off (stated totals: {args.stated_totals})")


if __name__ == "__main__":
    main()
