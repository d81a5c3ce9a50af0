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

    .venv/bin/python -m pip install -r benches/requirements.txt
    .venv/bin/python benches/compare_hnswlib.py                 # 100k points, 2 threads
    .venv/bin/python benches/compare_hnswlib.py --points 20000 --builders native

Run by hand, not in CI. On a shared machine compare the ratios, not the absolute figures.
"""

import argparse
import json
import os
import pathlib
import struct
import subprocess
import sys
import time

import hnswlib
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
EFS = [32, 64, 128, 256]


def run_quiver(args, dataset):
    env = dict(
        os.environ,
        QUIVER_BENCH_COMPARE=str(dataset),
        QUIVER_BENCH_POINTS=str(args.points),
        QUIVER_BENCH_THREADS=str(args.threads),
        QUIVER_BENCH_BUILDERS=args.builders,
    )
    command = ["cargo", "bench", "--bench", "hnsw"]
    print("$", " ".join(command), "(QUIVER_BENCH_COMPARE etc. set)", flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)
    report = None
    for line in done.stdout.splitlines():
        if line.startswith("QUIVER_JSON "):
            report = json.loads(line[len("QUIVER_JSON "):])
        else:
            print("  " + line)
    if report is None:
        sys.exit("the Rust bench printed no QUIVER_JSON line")
    return report


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


def run_hnswlib(data, queries, truth, m, ef_construct, threads):
    index = hnswlib.Index(space="ip", dim=data.shape[1])
    started = time.perf_counter()
    index.init_index(max_elements=len(data), M=m, ef_construction=ef_construct, random_seed=100)
    index.add_items(data, np.arange(len(data)), num_threads=threads)
    build_secs = time.perf_counter() - started
    k = truth.shape[1]
    searches = []
    for ef in EFS:
        index.set_ef(ef)
        labels, _ = index.knn_query(queries, k=k, num_threads=1)  # warm-up pass, and the recall
        answered, started = 0, time.perf_counter()
        while answered == 0 or time.perf_counter() - started < 1.0:
            index.knn_query(queries, k=k, num_threads=1)
            answered += len(queries)
        qps = answered / (time.perf_counter() - started)
        searches.append({"ef": ef, "recall": recall(labels, truth), "qps": qps})
    return {"build_secs": build_secs, "search": searches}


def print_table(report, baseline):
    print(
        f"\n{report['points']} x {report['dim']}, {report['queries']} queries, m {report['m']}, "
        f"ef_construct {report['ef_construct']}, {report['threads']} build threads, "
        "search on one thread"
    )
    rows = [("hnswlib", baseline)] + list(report["builders"].items())
    print(f"\n{'build':<10} {'seconds':>9} {'vs hnswlib':>11}")
    for name, figures in rows:
        ratio = figures["build_secs"] / baseline["build_secs"]
        print(f"{name:<10} {figures['build_secs']:>9.2f} {ratio:>10.2f}x")
    print(f"\n{'search':<10} {'ef':>4} {'recall@10':>10} {'QPS':>8} {'QPS vs hnswlib':>15}")
    for name, figures in rows:
        for ours, theirs in zip(figures["search"], baseline["search"]):
            ratio = ours["qps"] / theirs["qps"]
            print(
                f"{name:<10} {ours['ef']:>4} {ours['recall']:>10.4f} {ours['qps']:>8.0f} "
                f"{ratio:>14.2f}x"
            )
    print(f"\nexact scan: {report['exact_qps']:.0f} QPS (recall 1.0)")
    print("\nQUIVER_COMPARE " + json.dumps({"quiver": report, "hnswlib": baseline}))


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
        "--dataset",
        default=str(ROOT / "target" / "compare_hnswlib.qvds"),
        help="where the Rust bench writes the dataset",
    )
    args = parser.parse_args()

    report = run_quiver(args, args.dataset)
    data, queries, truth = read_dataset(args.dataset)
    print(f"hnswlib build on {args.threads} threads...", flush=True)
    baseline = run_hnswlib(data, queries, truth, report["m"], report["ef_construct"], args.threads)
    print_table(report, baseline)


if __name__ == "__main__":
    main()
