"""Benchmark approximate-nearest-neighbour libraries for Precis's archive vector index.

The archive index holds all-MiniLM-L6-v2 sentence embeddings (384 dimensions, L2-normalised, cosine similarity),
so this compares usearch, faiss-cpu (HNSW) and hnswlib on synthetic vectors shaped like such embeddings, with
comparable HNSW settings (M/connectivity 16, construction expansion 128, search expansion 64).

Run from the repository root (no product imports; needs numpy and whichever of the libraries are installed:
usearch is a dependency of Precis, the others are not: `pip install faiss-cpu hnswlib`):

    python -m scripts.bench_ann --n 1000000
    python -m scripts.bench_ann --n 100000 --libraries usearch,faiss

`--libraries` takes library names (usearch, faiss, hnswlib) or variant names (e.g. usearch-i8). A 10^6 run takes
tens of minutes on two cores and needs about 8 GB of RAM and 6 GB of temporary disk (--workdir).

Each variant runs in its own child process (this file re-run with --worker) so that the resident-memory growth
of one index is not hidden by memory that an earlier index returned to the allocator but not to the kernel.
"""

import argparse
import contextlib
import gc
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
N_QUERIES = 1000
TOP_K = 10
N_CLUSTERS = 2000
# Embeddings of text on one topic vary along a few directions, not all 384: each cluster gets a low-rank local
# basis plus a little isotropic noise. Pure isotropic noise would make all points of a cluster near-equidistant,
# which is much harder for any ANN than real sentence embeddings (and not what we need to know).
LOCAL_RANK = 24
LOCAL_SCALE = 0.16
ISO_SCALE = 0.35
# A direction shared by all centres: real MiniLM embeddings are anisotropic (random pairs have cosine ~0.1).
COMMON_SCALE = 0.35
SEED = 20240607

M = 16
EF_CONSTRUCTION = 128
EF_SEARCH = 64
# Search-time expansion is a query-time knob in every library: sweep it on the built index to see what recall
# costs in latency (an HNSW built with M=16 may need more than ef=64 at 10^6).
EF_SWEEP = (128, 256)
BUILD_THREADS = 2
GEN_CHUNK = 100_000

VARIANTS: dict[str, str] = {
    "usearch-f32": "usearch",
    "usearch-f16": "usearch",
    "usearch-bf16": "usearch",
    "usearch-i8": "usearch",
    "faiss-hnsw-flat": "faiss",
    "faiss-hnsw-sq8": "faiss",
    "hnswlib": "hnswlib",
}


# ---------------------------------------------------------------------------------------------------------------
# Synthetic data and exact ground truth


def _normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _topic_model(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster centres, their local bases and (uneven, as news topics are) cluster weights."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(DIM).astype(np.float32)
    common /= np.linalg.norm(common)
    centres = rng.standard_normal((N_CLUSTERS, DIM)).astype(np.float32) / math.sqrt(DIM)
    centres = _normalise(centres + COMMON_SCALE * common)
    bases = rng.standard_normal((N_CLUSTERS, LOCAL_RANK, DIM)).astype(np.float32) / math.sqrt(DIM)
    weights = rng.lognormal(0.0, 1.0, N_CLUSTERS)
    return centres, bases, weights / weights.sum()


def _sample(rng: np.random.Generator, m: int, model: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    centres, bases, weights = model
    labels = rng.choice(N_CLUSTERS, size=m, p=weights)
    out = centres[labels]
    out += (ISO_SCALE / math.sqrt(DIM)) * rng.standard_normal((m, DIM), dtype=np.float32)
    z = LOCAL_SCALE * rng.standard_normal((m, LOCAL_RANK), dtype=np.float32)
    # Group rows by cluster so the low-rank part is one small matmul per cluster, not a (m, rank, dim) gather.
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    for rows in np.split(order, bounds):
        out[rows] += z[rows] @ bases[labels[rows[0]]]
    return _normalise(out)


def generate(n: int, workdir: Path) -> None:
    """Write base.npy, queries.npy, keys.npy and gt.npy (exact top-10 keys) into workdir."""
    model = _topic_model(SEED)
    # Separate streams so the queries do not change with --n.
    queries = _sample(np.random.default_rng(SEED + 1), N_QUERIES, model)
    np.save(workdir / "queries.npy", queries)
    base = np.lib.format.open_memmap(workdir / "base.npy", mode="w+", dtype=np.float32, shape=(n, DIM))
    rng = np.random.default_rng(SEED + 2)
    for start in range(0, n, GEN_CHUNK):
        stop = min(n, start + GEN_CHUNK)
        base[start:stop] = _sample(rng, stop - start, model)
    base.flush()
    # Sparse, large keys like article ids, so every library's key mapping is exercised (not row positions).
    keys = (np.arange(n, dtype=np.int64) * 3 + 1_000_000_000).astype(np.int64)
    np.save(workdir / "keys.npy", keys)

    # Exact top-10 by inner product (= cosine for unit vectors), merging running candidates chunk by chunk so a
    # (1000, n) similarity matrix never has to exist at once.
    best_sim = np.full((N_QUERIES, TOP_K), -np.inf, dtype=np.float32)
    best_idx = np.zeros((N_QUERIES, TOP_K), dtype=np.int64)
    for start in range(0, n, GEN_CHUNK):
        sims = queries @ np.asarray(base[start : start + GEN_CHUNK]).T
        part = np.argpartition(-sims, TOP_K - 1, axis=1)[:, :TOP_K]
        cand_sim = np.concatenate([best_sim, np.take_along_axis(sims, part, axis=1)], axis=1)
        cand_idx = np.concatenate([best_idx, part + start], axis=1)
        keep = np.argsort(-cand_sim, axis=1)[:, :TOP_K]
        best_sim = np.take_along_axis(cand_sim, keep, axis=1)
        best_idx = np.take_along_axis(cand_idx, keep, axis=1)
    np.save(workdir / "gt.npy", keys[best_idx])
    np.save(workdir / "gt_sim.npy", best_sim)
    del base


# ---------------------------------------------------------------------------------------------------------------
# Library adapters: one small class per library, same verbs, so the measuring code is shared.


class Adapter:
    """Common interface. `view` and `remove` return False where the library cannot do it."""

    def build(self, keys: np.ndarray, data: np.ndarray) -> None:
        raise NotImplementedError

    def search(self, query: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        raise NotImplementedError

    def load(self, path: Path) -> None:
        raise NotImplementedError

    def view(self, path: Path) -> bool:
        return False

    def set_ef(self, ef: int) -> None:
        raise NotImplementedError

    def remove(self, keys: np.ndarray) -> bool:
        return False

    def add(self, keys: np.ndarray, data: np.ndarray) -> None:
        raise NotImplementedError

    def get(self, key: int) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        self.index: Any = None
        gc.collect()


class USearchAdapter(Adapter):
    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        # usearch's i8 maps [-1, 1] linearly onto int8 and its 'ip' on i8 returns raw integer dot products;
        # 'cos' renormalises after quantisation, so i8 uses it (f32/f16 use 'ip', the cheaper exact equivalent).
        self.metric = "cos" if dtype == "i8" else "ip"

    def build(self, keys: np.ndarray, data: np.ndarray) -> None:
        from usearch.index import Index

        self.index = Index(
            ndim=DIM,
            metric=self.metric,
            dtype=self.dtype,
            connectivity=M,
            expansion_add=EF_CONSTRUCTION,
            expansion_search=EF_SEARCH,
        )
        self.index.add(keys.astype(np.uint64), data, threads=BUILD_THREADS)

    def search(self, query: np.ndarray) -> np.ndarray:
        return self.index.search(query, TOP_K, threads=1).keys

    def set_ef(self, ef: int) -> None:
        self.index.expansion_search = ef

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    def _restore(self, path: Path, view: bool) -> None:
        from usearch.index import Index

        self.index = Index.restore(str(path), view=view)
        # The file keeps connectivity but not the expansion factors: restore comes back with the defaults.
        self.index.expansion_search = EF_SEARCH
        self.index.expansion_add = EF_CONSTRUCTION

    def load(self, path: Path) -> None:
        self._restore(path, view=False)

    def view(self, path: Path) -> bool:
        self._restore(path, view=True)
        return True

    def remove(self, keys: np.ndarray) -> bool:
        self.index.remove(keys.astype(np.uint64))
        return True

    def add(self, keys: np.ndarray, data: np.ndarray) -> None:
        self.index.add(keys.astype(np.uint64), data, threads=BUILD_THREADS)

    def get(self, key: int) -> np.ndarray | None:
        return self.index.get(key, dtype=np.float32)


class FaissAdapter(Adapter):
    def __init__(self, sq8: bool) -> None:
        self.sq8 = sq8

    def _hnsw(self) -> Any:
        import faiss

        return faiss.downcast_index(self.index.index).hnsw

    def build(self, keys: np.ndarray, data: np.ndarray) -> None:
        import faiss

        faiss.omp_set_num_threads(BUILD_THREADS)
        if self.sq8:
            inner = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, M, faiss.METRIC_INNER_PRODUCT)
        else:
            inner = faiss.IndexHNSWFlat(DIM, M, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = EF_CONSTRUCTION
        if self.sq8:
            # SQ8 learns per-dimension ranges; a 100k sample is plenty and its time counts as build time.
            inner.train(data[: min(len(data), 100_000)])
        # IDMap2 (not IDMap) so a stored vector can be read back by article id with reconstruct().
        self.index = faiss.IndexIDMap2(inner)
        self.index.add_with_ids(data, keys.astype(np.int64))
        self._hnsw().efSearch = EF_SEARCH

    def set_ef(self, ef: int) -> None:
        self._hnsw().efSearch = ef

    def search(self, query: np.ndarray) -> np.ndarray:
        import faiss

        # One thread per query, as each web request would get; OpenMP fan-out only adds overhead for one vector.
        faiss.omp_set_num_threads(1)
        return self.index.search(query, TOP_K)[1]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    def load(self, path: Path) -> None:
        import faiss

        self.index = faiss.read_index(str(path))
        self._hnsw().efSearch = EF_SEARCH

    def view(self, path: Path) -> bool:
        import faiss

        # IO_FLAG_MMAP_IFC maps the flat/SQ code storage from the file instead of copying it; the graph is read.
        self.index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        self._hnsw().efSearch = EF_SEARCH
        return True

    def remove(self, keys: np.ndarray) -> bool:
        try:
            self.index.remove_ids(keys.astype(np.int64))
        except RuntimeError:
            # faiss HNSW indexes do not implement remove_ids (only search-time IDSelector filtering).
            return False
        return True

    def add(self, keys: np.ndarray, data: np.ndarray) -> None:
        import faiss

        faiss.omp_set_num_threads(BUILD_THREADS)
        self.index.add_with_ids(data, keys.astype(np.int64))

    def get(self, key: int) -> np.ndarray | None:
        return self.index.reconstruct(int(key))


class HnswlibAdapter(Adapter):
    deleted = 0

    def build(self, keys: np.ndarray, data: np.ndarray) -> None:
        import hnswlib

        self.index = hnswlib.Index(space="ip", dim=DIM)
        # allow_replace_deleted lets later adds reuse the slots of removed items (the index has a fixed capacity).
        self.index.init_index(max_elements=len(data), ef_construction=EF_CONSTRUCTION, M=M, allow_replace_deleted=True)
        self.index.add_items(data, keys, num_threads=BUILD_THREADS)
        self.index.set_ef(EF_SEARCH)

    def search(self, query: np.ndarray) -> np.ndarray:
        return self.index.knn_query(query, k=TOP_K, num_threads=1)[0]

    def set_ef(self, ef: int) -> None:
        self.index.set_ef(ef)

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))

    def load(self, path: Path) -> None:
        import hnswlib

        self.index = hnswlib.Index(space="ip", dim=DIM)
        self.index.load_index(str(path), allow_replace_deleted=True)
        self.index.set_ef(EF_SEARCH)
        self.deleted = 0

    def remove(self, keys: np.ndarray) -> bool:
        for key in keys:
            self.index.mark_deleted(int(key))
        self.deleted += len(keys)
        return True

    def add(self, keys: np.ndarray, data: np.ndarray) -> None:
        # Capacity is fixed at init; replace_deleted fills removed slots first, and only the rest needs a resize
        # (an O(N) reallocation, so a service would grow capacity in large steps).
        free = self.index.get_max_elements() - self.index.get_current_count() + self.deleted
        if free < len(keys):
            self.index.resize_index(self.index.get_max_elements() + len(keys) - free)
        self.deleted = max(0, self.deleted - len(keys))
        self.index.add_items(data, keys, num_threads=BUILD_THREADS, replace_deleted=True)

    def get(self, key: int) -> np.ndarray | None:
        return np.asarray(self.index.get_items([int(key)]), dtype=np.float32)[0]


def make_adapter(variant: str) -> Adapter:
    factories: dict[str, Callable[[], Adapter]] = {
        "usearch-f32": lambda: USearchAdapter("f32"),
        "usearch-f16": lambda: USearchAdapter("f16"),
        "usearch-bf16": lambda: USearchAdapter("bf16"),
        "usearch-i8": lambda: USearchAdapter("i8"),
        "faiss-hnsw-flat": lambda: FaissAdapter(sq8=False),
        "faiss-hnsw-sq8": lambda: FaissAdapter(sq8=True),
        "hnswlib": HnswlibAdapter,
    }
    return factories[variant]()


# ---------------------------------------------------------------------------------------------------------------
# Measurement (runs in the child process)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux >= 4.0), so the peak below is the build's, not the data load's.
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of the process
    return usage.ru_utime + usage.ru_stime


def _timed_queries(
    adapter: Adapter, queries: np.ndarray, cpu: list[float] | None = None
) -> tuple[np.ndarray, list[float]]:
    """Run queries one at a time; wall latencies are returned, calling-thread CPU times go into `cpu`."""
    found = np.zeros((len(queries), TOP_K), dtype=np.int64)
    latencies: list[float] = []
    for i in range(len(queries)):
        q = queries[i : i + 1]
        c0 = time.thread_time()
        t0 = time.perf_counter()
        keys = adapter.search(q)
        latencies.append(time.perf_counter() - t0)
        if cpu is not None:
            # Every library searches a single query in the calling thread, so its CPU time is the work done,
            # independent of other processes competing for the (shared) cores, unlike the wall time.
            cpu.append(time.thread_time() - c0)
        row = np.asarray(keys, dtype=np.int64).reshape(-1)[:TOP_K]
        found[i, : len(row)] = row
    return found, latencies


def _recall(found: np.ndarray, gt: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(g)) / TOP_K for f, g in zip(found.tolist(), gt.tolist(), strict=True)]))


def _ms(latencies: list[float], pct: float) -> float:
    return float(np.percentile(latencies, pct) * 1000)


def run_variant(variant: str, workdir: Path) -> dict[str, Any]:
    base = np.load(workdir / "base.npy")  # fully in anonymous memory, so it is part of the baseline RSS
    queries = np.load(workdir / "queries.npy")
    keys = np.load(workdir / "keys.npy")
    gt = np.load(workdir / "gt.npy")
    result: dict[str, Any] = {"variant": variant, "n": len(base)}
    adapter = make_adapter(variant)
    gc.collect()

    _reset_peak_rss()
    rss0 = _status_kb("VmRSS")
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    adapter.build(keys, base)
    result["build_s"] = time.perf_counter() - t0
    result["build_cpu_s"] = _cpu_s() - cpu0
    result["rss_mb"] = (_status_kb("VmRSS") - rss0) / 1024
    result["peak_mb"] = (_status_kb("VmHWM") - rss0) / 1024

    adapter.search(queries[:1])  # first call may lazily set up dispatch tables; not a steady-state request
    cpu: list[float] = []
    found, lat = _timed_queries(adapter, queries, cpu)
    result.update(p50_ms=_ms(lat, 50), p95_ms=_ms(lat, 95), p50_cpu_ms=_ms(cpu, 50), recall=_recall(found, gt))
    for ef in EF_SWEEP:
        adapter.set_ef(ef)
        found, lat = _timed_queries(adapter, queries)
        result[f"ef{ef}"] = f"{_recall(found, gt):.4f} / {_ms(lat, 50):.2f}"
    adapter.set_ef(EF_SEARCH)

    index_path = workdir / f"{variant}.index"
    t0 = time.perf_counter()
    adapter.save(index_path)
    result["save_s"] = time.perf_counter() - t0
    result["file_mb"] = index_path.stat().st_size / 2**20
    adapter.close()

    # Load: copy the file back into RAM (what a restarted service does without memory-mapping).
    t0 = time.perf_counter()
    adapter.load(index_path)
    result["load_s"] = time.perf_counter() - t0
    found, _ = _timed_queries(adapter, queries[:200])
    result["recall_loaded"] = _recall(found, gt[:200])
    # Read a stored vector back by key: shows whether the index can serve as the vector store, and at what loss.
    errors = [np.abs(np.asarray(adapter.get(int(keys[i])), dtype=np.float32) - base[i]).max() for i in range(100)]
    result["get_err"] = float(max(errors))

    # Remove (Precis deletes articles): the exact top-1 of every query must disappear from the results.
    removed = np.unique(gt[:, 0])
    t0 = time.perf_counter()
    supported = adapter.remove(removed)
    result["remove_ms"] = (time.perf_counter() - t0) * 1000 if supported else None
    if supported:
        found, _ = _timed_queries(adapter, queries)
        result["removed_leak"] = int(np.isin(found, removed).sum())
    # Incremental add after the build (new articles): the queries themselves under new keys; each must find itself.
    new_keys = keys[-1] + 3 * np.arange(1, N_QUERIES + 1, dtype=np.int64)
    t0 = time.perf_counter()
    adapter.add(new_keys, queries)
    result["add_ms"] = (time.perf_counter() - t0) * 1000
    found, _ = _timed_queries(adapter, queries)
    result["self_hit"] = float(np.mean(found[:, 0] == new_keys))
    adapter.close()

    # View: serve straight from the memory-mapped file (fast start, pages shared with the page cache).
    rss0 = _status_kb("RssAnon")
    t0 = time.perf_counter()
    viewed = adapter.view(index_path)
    if viewed:
        result["view_s"] = time.perf_counter() - t0
        found, lat = _timed_queries(adapter, queries)
        result.update(view_p50_ms=_ms(lat, 50), view_recall=_recall(found, gt))
        # Private memory only: the mapped file pages the queries touched also show in VmRSS, but they are the
        # kernel's page cache, shared between workers and reclaimable, so they are not the index's own memory.
        result["view_anon_mb"] = (_status_kb("RssAnon") - rss0) / 1024
    adapter.close()
    index_path.unlink()
    return result


# ---------------------------------------------------------------------------------------------------------------
# Orchestration and report


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(results: list[dict[str, Any]]) -> str:
    columns: list[tuple[str, str, int]] = [
        ("variant", "variant", 0),
        ("build s", "build_s", 1),
        ("build CPU s", "build_cpu_s", 0),
        ("RSS MB", "rss_mb", 0),
        ("peak MB", "peak_mb", 0),
        ("file MB", "file_mb", 0),
        ("p50 ms", "p50_ms", 3),
        ("p95 ms", "p95_ms", 3),
        ("p50 CPU ms", "p50_cpu_ms", 3),
        ("recall@10", "recall", 4),
        *[(f"ef={ef} recall / p50 ms", f"ef{ef}", 0) for ef in EF_SWEEP],
        ("save s", "save_s", 2),
        ("load s", "load_s", 2),
        ("view s", "view_s", 3),
        ("view p50 ms", "view_p50_ms", 3),
        ("view anon MB", "view_anon_mb", 0),
        ("remove 1k ms", "remove_ms", 1),
        ("leak", "removed_leak", 0),
        ("add 1k ms", "add_ms", 0),
        ("self-hit", "self_hit", 3),
        ("get max err", "get_err", 4),
    ]
    lines = [
        "| " + " | ".join(title for title, _, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for res in results:
        if "error" in res:
            lines.append(f"| {res['variant']} | failed: {res['error']} |")
            continue
        lines.append("| " + " | ".join(_fmt(res.get(key), digits) for _, key, digits in columns) + " |")
    return "\n".join(lines)


def select_variants(spec: str) -> list[str]:
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    # In the order asked for, so a long run can put the variants that matter most first.
    chosen = [v for w in wanted for v in VARIANTS if w in (v, VARIANTS[v])]
    unknown = [w for w in wanted if w not in VARIANTS and w not in VARIANTS.values()]
    if unknown:
        raise SystemExit(f"unknown libraries/variants: {unknown}; known: {sorted(VARIANTS)}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="number of archive vectors")
    parser.add_argument("--libraries", default="usearch,faiss,hnswlib", help="comma-separated libraries or variants")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(run_variant(args.worker, args.workdir)), flush=True)
        return

    variants = select_variants(args.libraries)
    workdir = Path(tempfile.mkdtemp(prefix="bench_ann_", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        generate(args.n, workdir)
        print(f"generated {args.n} vectors + ground truth in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
        results: list[dict[str, Any]] = []
        for variant in variants:
            print(f"running {variant} ...", file=sys.stderr, flush=True)
            # Run this file by path: the worker needs nothing from the package, and -m would need the repo on cwd.
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", variant, "--workdir", str(workdir)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["exit code " + str(proc.returncode)])[-1]
                results.append({"variant": variant, "error": tail[:200]})
            else:
                results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(
        f"\nN = {args.n:,}, dim {DIM}, {N_QUERIES} queries, M={M}, ef_construction={EF_CONSTRUCTION}, "
        f"ef_search={EF_SEARCH}, {BUILD_THREADS} build threads, 1 search thread\n"
    )
    print(markdown_table(results))


if __name__ == "__main__":
    main()
