#!/usr/bin/env python3
"""Quiver's HNSW against hnswlib on issue 5's dataset, measured in one run.

The Rust side (`cargo bench --bench hnsw` with QUIVER_BENCH_COMPARE set) generates the seeded
dataset (100k x 128 clustered, rows normalised, exact top-10 truth), writes it to a file, builds
the graph with each of Quiver's builders (our own construction, "native", and hnsw_rs) on the
given number of threads, and prints build time, recall@10 and single-thread QPS at ef 32, 64,
128 and 256 as JSON. This script then reads the same file, builds hnswlib (space "ip" on the
normalised rows, i.e. Cosine; same m, ef_construct and thread count), measures it the same way,
and prints Quiver's figures beside hnswlib's, as ratios.

hnswlib's QPS is timed over a batch `knn_query` with num_threads=1: its C++ loop answers one
query at a time with no Python between queries, so the figure is the library's own.

The QPS are timed in turns: after both libraries are built, each round times hnswlib and each
Quiver builder once per ef (a second each, the order alternating between rounds; the Rust bench
stays running and times its passes on request), and the table reports per ef the median QPS and
the median of the rounds' ratios, with their range. A busy spell of a shared machine then slows
both sides of a ratio instead of one library's whole measurement.

    .venv/bin/python -m pip install -r benches/requirements.txt
    .venv/bin/python benches/compare_hnswlib.py                 # 100k points, 2 threads
    .venv/bin/python benches/compare_hnswlib.py --points 20000 --builders native

Run by hand, not in CI. On a shared machine compare the ratios, not the absolute figures.
"""

import argparse
import json
import os
import pathlib
import statistics
import struct
import subprocess
import sys
import time

import hnswlib
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
EFS = [32, 64, 128, 256]


class Quiver:
    """The Rust bench as a child process: it builds and reports, then times passes on request."""

    def __init__(self, args, dataset):
        env = dict(
            os.environ,
            QUIVER_BENCH_COMPARE=str(dataset),
            QUIVER_BENCH_POINTS=str(args.points),
            QUIVER_BENCH_THREADS=str(args.threads),
            QUIVER_BENCH_BUILDERS=args.builders,
        )
        command = ["cargo", "bench", "--bench", "hnsw"]
        print("$", " ".join(command), "(QUIVER_BENCH_COMPARE etc. set)", flush=True)
        self.child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.report = None
        for line in self.child.stdout:
            if line.startswith("QUIVER_JSON "):
                self.report = json.loads(line[len("QUIVER_JSON "):])
                break
            print("  " + line, end="")
        if self.report is None:
            sys.exit("the Rust bench printed no QUIVER_JSON line")

    def qps(self, builder, ef):
        self.child.stdin.write(f"qps {builder} {ef}\n")
        self.child.stdin.flush()
        line = self.child.stdout.readline()
        if not line.startswith("QUIVER_QPS "):
            sys.exit(f"the Rust bench answered {line!r}")
        return float(line.split()[1])

    def close(self):
        self.child.stdin.close()
        self.child.wait()


def read_dataset(path):
    raw = pathlib.Path(path).read_bytes()
    if raw[:4] != b"QVDS":
        sys.exit(f"{path} is not a Quiver dataset file")
    version, points, queries, dim, top = struct.unpack_from("<5I", raw, 4)
    if version != 1:
        sys.exit(f"{path}: dataset format version {version}, expected 1")
    at = 24
    data = np.frombuffer(raw, dtype="<f4", count=points * dim, offset=at).reshape(points, dim)
    at += points * dim * 4
    query_rows = np.frombuffer(raw, dtype="<f4", count=queries * dim, offset=at).reshape(queries, dim)
    at += queries * dim * 4
    truth = np.frombuffer(raw, dtype="<u4", count=queries * top, offset=at).reshape(queries, top)
    return data, query_rows, truth


def recall(found, truth):
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth))
    return hits / truth.size


def build_hnswlib(data, m, ef_construct, threads):
    index = hnswlib.Index(space="ip", dim=data.shape[1])
    started = time.perf_counter()
    index.init_index(max_elements=len(data), M=m, ef_construction=ef_construct, random_seed=100)
    index.add_items(data, np.arange(len(data)), num_threads=threads)
    return index, time.perf_counter() - started


def hnswlib_qps(index, queries, k, ef):
    """Queries per second on one thread: one warm-up pass, then passes until a second is gone."""
    index.set_ef(ef)
    index.knn_query(queries, k=k, num_threads=1)
    answered, started = 0, time.perf_counter()
    while answered == 0 or time.perf_counter() - started < 1.0:
        index.knn_query(queries, k=k, num_threads=1)
        answered += len(queries)
    return answered / (time.perf_counter() - started)


def run_hnswlib(index, build_secs, queries, truth):
    searches = []
    for ef in EFS:
        index.set_ef(ef)
        labels, _ = index.knn_query(queries, k=truth.shape[1], num_threads=1)
        searches.append({"ef": ef, "recall": recall(labels, truth)})
    return {"build_secs": build_secs, "search": searches}


def interleave(quiver, builders, index, queries, k, rounds):
    """QPS of hnswlib and of each Quiver builder per ef, timed in turns: every round times each
    library once per ef, the order alternating between rounds, so that a slow spell of a shared
    machine falls on both. Returns per library and ef the list of the rounds' QPS."""
    figures = {name: {ef: [] for ef in EFS} for name in ["hnswlib", *builders]}
    for r in range(rounds):
        for ef in EFS:
            turns = ["hnswlib", *builders]
            for name in turns if r % 2 == 0 else reversed(turns):
                qps = hnswlib_qps(index, queries, k, ef) if name == "hnswlib" else quiver.qps(name, ef)
                figures[name][ef].append(qps)
        print(f"  round {r + 1}/{rounds} timed", flush=True)
    return figures


def print_table(report, baseline, timings, rounds):
    print(
        f"\n{report['points']} x {report['dim']}, {report['queries']} queries, m {report['m']}, "
        f"ef_construct {report['ef_construct']}, {report['threads']} build threads, "
        f"search on one thread, {rounds} interleaved rounds"
    )
    rows = [("hnswlib", baseline)] + list(report["builders"].items())
    print(f"\n{'build':<10} {'seconds':>9} {'vs hnswlib':>11}")
    for name, figures in rows:
        ratio = figures["build_secs"] / baseline["build_secs"]
        print(f"{name:<10} {figures['build_secs']:>9.2f} {ratio:>10.2f}x")
    print(
        f"\n{'search':<10} {'ef':>4} {'recall@10':>10} {'median QPS':>11} "
        f"{'QPS vs hnswlib: median':>23} {'(min-max of rounds)':>20}"
    )
    summary = {}
    for name, figures in rows:
        for search in figures["search"]:
            ef = search["ef"]
            ours, theirs = timings[name][ef], timings["hnswlib"][ef]
            ratios = [a / b for a, b in zip(ours, theirs)]
            summary.setdefault(name, {})[ef] = {
                "recall": search["recall"],
                "qps": statistics.median(ours),
                "ratio": statistics.median(ratios),
                "ratios": ratios,
            }
            print(
                f"{name:<10} {ef:>4} {search['recall']:>10.4f} {statistics.median(ours):>11.0f} "
                f"{statistics.median(ratios):>22.2f}x {min(ratios):>12.2f}-{max(ratios):.2f}x"
            )
    print(f"\nexact scan: {report['exact_qps']:.0f} QPS (recall 1.0)")
    print("\nQUIVER_COMPARE " + json.dumps({"quiver": report, "hnswlib": baseline, "search": summary}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2, help="build threads, for every library")
    parser.add_argument(
        "--builders",
        default="native,hnsw_rs",
        help="Quiver builders to measure (hnsw_rs takes minutes at 100k points)",
    )
    parser.add_argument(
        "--rounds", type=int, default=7, help="interleaved timing rounds (the median is reported)"
    )
    parser.add_argument(
        "--dataset",
        default=str(ROOT / "target" / "compare_hnswlib.qvds"),
        help="where the Rust bench writes the dataset",
    )
    args = parser.parse_args()

    quiver = Quiver(args, args.dataset)
    try:
        report = quiver.report
        data, queries, truth = read_dataset(args.dataset)
        print(f"hnswlib build on {args.threads} threads...", flush=True)
        index, build_secs = build_hnswlib(data, report["m"], report["ef_construct"], args.threads)
        baseline = run_hnswlib(index, build_secs, queries, truth)
        builders = list(report["builders"])
        print(f"timing {args.rounds} rounds, hnswlib and {', '.join(builders)} in turns...", flush=True)
        timings = interleave(quiver, builders, index, queries, truth.shape[1], args.rounds)
    finally:
        quiver.close()
    print_table(report, baseline, timings, args.rounds)


if __name__ == "__main__":
    main()
