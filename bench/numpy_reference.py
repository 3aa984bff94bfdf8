#!/usr/bin/env python3
"""NumPy reference for the simdclass benchmark: CS231n assignment 1, vectorized forms.

Each subcommand prints one JSON object on stdout (times in ms); progress goes to stderr.
  knn-accuracy  exact kNN with simdclass tie rules (the results simdclass must match)
  knn-l1-time   lecture one-loop L1 np.abs(Xtr - x).sum(axis=1), float64 and float32 (--dtypes: one of them)
  knn-l2-time   lecture no-loop L2 sqrt(max(0, |x|^2 + |t|^2 - 2 x @ Xtr.T)), float32 and float64 (--dtypes)
  sgd-time      minibatch SGD with svm_loss_vectorized / softmax_loss_vectorized
  loss-time     one loss+gradient call, X 500 x 3073, W 3073 x 10
  cv-knn        k-fold cross-validation of k, contiguous folds as np.array_split
Tie rules: among equal distances the lower training index wins; a vote tie goes to the
smallest label (np.bincount(...).argmax()). Distances on u8 data are exact: L1 summed in
int32, squared L2 in float64 (every intermediate is an integer below 2**53).

BLAS is pinned before numpy is imported, to SIMDCLASS_BLAS_THREADS threads (default 1; the
thread-scaling suites run knn-l2-time at 1, 2, ... threads); the JSON output records it as
blasThreads, and machine.blasRuntime says how many threads the loaded BLAS reports.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some machines for old OpenBLAS builds) slow a
current numpy; this script only records them. The benchmark runner unsets both for this process:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/numpy_reference.py ...
"""
import os
import sys


def _blas_threads():
    text = os.environ.get("SIMDCLASS_BLAS_THREADS", "1").strip() or "1"
    if not text.isdigit() or int(text) < 1:
        sys.exit(f"SIMDCLASS_BLAS_THREADS must be a positive integer, got {text!r}")
    return int(text)


BLAS_THREADS = _blas_threads()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(BLAS_THREADS)

import argparse
import ctypes
import gzip
import json
import platform
import time

import numpy as np

NUM_CLASSES = 10
ENV_VARS = ("SIMDCLASS_BLAS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
IDX_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def now_ms():
    return time.perf_counter() * 1e3


def read_idx(path, limit=None):
    """Parse a gzipped IDX file (big-endian header, uint8 payload) into an array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    return (data.reshape(shape[0], -1) if ndim > 1 else data)[:limit]


def load_split(data_dir, split, limit=None):
    images, labels = (os.path.join(data_dir, name) for name in IDX_FILES[split])
    return read_idx(images, limit), read_idx(labels, limit).astype(np.int64)


def openblas_runtime_info():
    """Which kernel the loaded OpenBLAS runs (ctypes), plus threadpoolctl if importable."""
    info = {"threadpoolctl": None}
    try:
        from threadpoolctl import threadpool_info
        info["threadpoolctl"] = [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                                 for p in threadpool_info()]
    except ImportError:
        pass
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    for path in libs:
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas_get_%s64_", "scipy_openblas_get_%s", "openblas_get_%s64_", "openblas_get_%s"):
            if hasattr(lib, prefix % "corename"):
                getattr(lib, prefix % "corename").restype = ctypes.c_char_p
                return {**info, "library": path, "corename": getattr(lib, prefix % "corename")().decode(),
                        "numThreads": getattr(lib, prefix % "num_threads")()}
    return info


def machine_info():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), None)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception as e:  # show_config layout differs between numpy versions
        blas = {"error": repr(e)}
    return {"cpuModel": cpu, "cpuCount": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blasThreads": BLAS_THREADS, "blasBuild": blas, "blasRuntime": openblas_runtime_info(),
            "env": {k: os.environ.get(k) for k in ENV_VARS}, "loadAvgBefore": list(os.getloadavg())}


def exact_distance_blocks(Xq, Xtr, metric, block=500):
    """Yield (start, D) with exact distances of query rows to Xtr (u8 inputs).
    L1: int32 sums of |a-b|; L2: squared distance in float64 (exact integers)."""
    if metric == "l2":
        T = Xtr.astype(np.float64)
        t2 = (T * T).sum(axis=1)
        for s in range(0, len(Xq), block):
            Q = Xq[s:s + block].astype(np.float64)
            D = -2.0 * (Q @ T.T)
            D += (Q * Q).sum(axis=1)[:, None]
            D += t2[None, :]
            yield s, D
    else:
        T = Xtr.astype(np.int16)  # differences fit in int16; summed in int32
        for s in range(0, len(Xq), block):
            Q = Xq[s:s + block].astype(np.int16)
            D = np.empty((len(Q), len(T)), dtype=np.int32)
            for i, q in enumerate(Q):
                diff = T - q
                np.abs(diff, out=diff)
                diff.sum(axis=1, dtype=np.int32, out=D[i])
            yield s, D


def stable_k_nearest(d, k):
    """Indices of the k smallest distances; equal distances -> lower index first."""
    kth = np.partition(d, k - 1)[k - 1]
    candidates = np.flatnonzero(d <= kth)  # ascending index order
    return candidates[np.argsort(d[candidates], kind="stable")[:k]]


def majority_vote(labels):
    return int(np.bincount(labels, minlength=NUM_CLASSES).argmax())  # tie -> smallest label


def exact_knn_predict(Xq, Xtr, ytr, ks, metric):
    """Predictions for every k in ks, shape (len(ks), len(Xq))."""
    kmax = max(ks)
    pred = np.empty((len(ks), len(Xq)), dtype=np.int64)
    for s, D in exact_distance_blocks(Xq, Xtr, metric):
        for i, d in enumerate(D):
            nn = ytr[stable_k_nearest(d, kmax)]
            for j, k in enumerate(ks):
                pred[j, s + i] = majority_vote(nn[:k])
        log(f"  {s + len(D)}/{len(Xq)} query rows")
    return pred


def cmd_knn_accuracy(a):
    Xtr, ytr = load_split(a.data, "train", a.train_limit)
    Xte, yte = load_split(a.data, "test", a.test_limit)
    t0 = now_ms()
    pred = exact_knn_predict(Xte, Xtr, ytr, a.k, a.metric)
    return {"metric": a.metric, "trainN": len(Xtr), "testN": len(Xte),
            "accuracy": {str(k): float((pred[j] == yte).mean()) for j, k in enumerate(a.k)},
            "timeMs": now_ms() - t0,
            "tieRules": "equal distance -> lower train index; vote tie -> smallest label"}


def cmd_cv_knn(a):
    X, y = load_split(a.data, "train", a.train_limit)
    folds = np.array_split(np.arange(len(X)), a.folds)
    acc = np.empty((len(a.ks), a.folds))
    for f, val in enumerate(folds):
        tr = np.concatenate([folds[g] for g in range(a.folds) if g != f])
        pred = exact_knn_predict(X[val], X[tr], y[tr], a.ks, a.metric)
        acc[:, f] = (pred == y[val]).mean(axis=1)
        log(f"fold {f}: " + ", ".join(f"k={k}:{acc[j, f]:.4f}" for j, k in enumerate(a.ks)))
    means = acc.mean(axis=1)
    results = [{"k": k, "mean": float(means[j]), "std": float(acc[j].std()), "accuracies": acc[j].tolist()}
               for j, k in enumerate(a.ks)]
    best = max(results, key=lambda r: (round(r["mean"], 12), -r["k"]))  # ties -> smallest k
    return {"folds": a.folds, "metric": a.metric, "n": len(X), "results": results, "bestK": best["k"]}


def top_k_sorted(dists, k):
    """Lecture top-k: argpartition then sort the k (no tie guarantees)."""
    idx = np.argpartition(dists, k, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(dists, idx, axis=1), axis=1)
    return np.take_along_axis(idx, order, axis=1)


def vote_rows(nn_labels):
    return (nn_labels[:, :, None] == np.arange(NUM_CLASSES)).sum(axis=1).argmax(axis=1)


def cmd_knn_l1_time(a):
    Xtr_u8, _ = load_split(a.data, "train", a.train_limit)
    Xte_u8, _ = load_split(a.data, "test", a.test_limit)
    rows, k = min(a.time_rows, len(Xte_u8)), max(a.k)
    out = {"trainN": len(Xtr_u8), "testN": len(Xte_u8), "timedRows": rows, "k": k}
    for dtype in dtypes_of(a, (np.float64, np.float32)):
        Xtr, Xte = Xtr_u8.astype(dtype), Xte_u8[:rows].astype(dtype)
        per_row = []
        for i in range(rows):
            t0 = now_ms()
            d = np.abs(Xtr - Xte[i]).sum(axis=1)
            idx = np.argpartition(d, k)[:k]
            nearest = idx[np.argsort(d[idx])]  # noqa: F841 (timed, not used)
            per_row.append(now_ms() - t0)
        med = float(np.median(per_row))
        out[np.dtype(dtype).name] = {"msPerRowMedian": med, "msPerRowMean": float(np.mean(per_row)),
                                     "totalAllTestRowsMs": med * len(Xte_u8), "extrapolated": True}
        log(f"{np.dtype(dtype).name}: {med:.1f} ms/row")
    return out


def cmd_knn_l2_time(a):
    Xtr_u8, ytr = load_split(a.data, "train", a.train_limit)
    Xte_u8, yte = load_split(a.data, "test", a.test_limit)
    k, n, m = max(a.k), len(Xte_u8), len(Xtr_u8)
    out = {"trainN": m, "testN": n, "k": k, "block": a.block}
    for dtype in dtypes_of(a, (np.float32, np.float64)):
        Xtr, Xte = Xtr_u8.astype(dtype), Xte_u8.astype(dtype)
        pred = np.empty(n, dtype=np.int64)
        cpu0, wall0 = time.process_time(), now_ms()  # CPU time of all of this process's threads / wall ~ threads busy
        t0 = now_ms()
        tr2 = (Xtr ** 2).sum(axis=1)
        gemm_ms, topk_ms = now_ms() - t0, 0.0
        for s in range(0, n, a.block):
            x = Xte[s:s + a.block]
            t0 = now_ms()
            dists = x @ Xtr.T
            dists *= -2
            dists += (x ** 2).sum(axis=1)[:, None]
            dists += tr2[None, :]
            np.maximum(dists, 0, out=dists)
            np.sqrt(dists, out=dists)
            t1 = now_ms()
            nn = top_k_sorted(dists, k)
            t2 = now_ms()
            gemm_ms, topk_ms = gemm_ms + t1 - t0, topk_ms + t2 - t1
            pred[s:s + a.block] = vote_rows(ytr[nn])
        cpu_ms, wall_ms = (time.process_time() - cpu0) * 1e3, now_ms() - wall0
        log(f"{np.dtype(dtype).name}: gemm+norms {gemm_ms:.0f} ms, top-k {topk_ms:.0f} ms, {BLAS_THREADS} BLAS thread(s)")
        total = gemm_ms + topk_ms
        out[np.dtype(dtype).name] = {
            "gemmNormsMs": gemm_ms, "topKMs": topk_ms, "totalMs": total, "distancesPerSec": n * m / (total / 1e3),
            "cpuMs": cpu_ms, "cpuPerWall": cpu_ms / wall_ms if wall_ms > 0 else None,
            "distancesPerSecGemmOnly": n * m / (gemm_ms / 1e3), "accuracyLectureTies": float((pred == yte).mean())}
    return out


def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X.dot(W)
    correct = scores[rows, y][:, None]
    margins = np.maximum(0, scores - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(X.dtype)
    mask[rows, y] = -mask.sum(axis=1)
    dW = X.T.dot(mask) / N + 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
    loss = -np.log(probs[rows, y]).mean() + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[rows, y] -= 1
    dW = X.T.dot(dscores) / N + 2 * reg * W
    return loss, dW


LOSSES = {"svm": svm_loss_vectorized, "softmax": softmax_loss_vectorized}


def center_and_add_bias(X, mean_image, dtype):
    return np.hstack([X.astype(dtype) - mean_image, np.ones((len(X), 1), dtype=dtype)])


def train_sgd(loss_fn, X, y, a, chunk=100):
    """LinearClassifier.train from the assignment; returns W, losses, ms per chunk of iterations."""
    np.random.seed(a.seed)
    N, D = X.shape
    W = (0.001 * np.random.randn(D, NUM_CLASSES)).astype(X.dtype)
    losses, stamps = [], [now_ms()]
    for it in range(a.iters):
        idx = np.random.choice(N, a.batch_size, replace=True)
        X_batch, y_batch = X[idx], y[idx]
        loss, grad = loss_fn(W, X_batch, y_batch, a.reg)
        W -= a.learning_rate * grad
        losses.append(float(loss))
        if (it + 1) % chunk == 0:
            stamps.append(now_ms())
    return W, losses, np.diff(stamps)


def cmd_sgd_time(a):
    Xtr_u8, ytr = load_split(a.data, "train", a.train_limit)
    Xte_u8, yte = load_split(a.data, "test", a.test_limit)
    out = {"loss": a.loss, "trainN": len(Xtr_u8), "testN": len(Xte_u8), "D": Xtr_u8.shape[1] + 1, "seed": a.seed,
           "learningRate": a.learning_rate, "reg": a.reg, "iters": a.iters, "batchSize": a.batch_size}
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        log(f"{a.loss} {name}")
        t0 = now_ms()
        mean_image = Xtr_u8.astype(dtype).mean(axis=0)
        X = center_and_add_bias(Xtr_u8, mean_image, dtype)
        Xte = center_and_add_bias(Xte_u8, mean_image, dtype)
        prep_ms = now_ms() - t0
        t0 = now_ms()
        W, losses, chunk_ms = train_sgd(LOSSES[a.loss], X, ytr, a)
        train_ms = now_ms() - t0
        pred = np.argmax(Xte.dot(W), axis=1)
        log(f"  final loss {losses[-1]:.4f}, {train_ms:.0f} ms")
        out[name] = {"msPerIterMedianOf100": float(np.median(chunk_ms)) / 100 if len(chunk_ms) else None,
                     "trainTotalMs": train_ms, "prepMs": prep_ms,
                     "finalLoss": losses[-1], "meanLossLast100": float(np.mean(losses[-100:])),
                     "testAccuracy": float((pred == yte).mean())}
    return out


def median_ms(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = now_ms()
        fn()
        times.append(now_ms() - t0)
    return float(np.median(times))


def cmd_loss_time(a):
    np.random.seed(a.seed)
    X64, W64 = np.random.randn(500, 3073), 0.0001 * np.random.randn(3073, NUM_CLASSES)
    y = np.random.randint(NUM_CLASSES, size=500)
    out = {"N": 500, "D": 3073, "C": NUM_CLASSES, "reg": a.reg, "repeats": a.repeats}
    for dtype in (np.float64, np.float32):
        X, W = X64.astype(dtype), W64.astype(dtype)
        out[np.dtype(dtype).name] = {name: {"medianMs": median_ms(lambda: fn(W, X, y, a.reg), a.repeats)}
                                     for name, fn in LOSSES.items()}
    return out


def dtypes_of(a, default):
    """The dtypes a timing subcommand runs: --dtypes (e.g. float32), else both in the default order."""
    if not a.dtypes:
        return default
    return tuple(np.dtype(name).type for name in a.dtypes.split(",") if name.strip())


def dtype_list(text):
    names = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in names if v not in ("float32", "float64")]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected float32 and/or float64, got {text!r}")
    return ",".join(names)


def int_list(text):
    return [int(v) for v in text.split(",") if v.strip()]


def add_subcommand(sub, name, fn, train_limit=None, repeats=1):
    parser = sub.add_parser(name)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--train-limit", type=int, default=train_limit)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int_list, default=[1, 5], help="comma list, e.g. 1,5")
    parser.add_argument("--metric", choices=("l1", "l2"), default="l2")
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.set_defaults(fn=fn)
    return parser


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    add_subcommand(sub, "knn-accuracy", cmd_knn_accuracy)
    s = add_subcommand(sub, "knn-l1-time", cmd_knn_l1_time)
    s.add_argument("--time-rows", type=int, default=50)
    s.add_argument("--dtypes", type=dtype_list, default=None, help="float32 and/or float64 (default both)")
    s = add_subcommand(sub, "knn-l2-time", cmd_knn_l2_time)
    s.add_argument("--block", type=int, default=1000)
    s.add_argument("--dtypes", type=dtype_list, default=None, help="float32 and/or float64 (default both)")
    s = add_subcommand(sub, "sgd-time", cmd_sgd_time)
    s.add_argument("--loss", choices=tuple(LOSSES), default="svm")
    s.add_argument("--learning-rate", type=float, default=3e-6)
    s.add_argument("--reg", type=float, default=1e2)
    s.add_argument("--iters", type=int, default=3000)
    s.add_argument("--batch-size", type=int, default=200)
    add_subcommand(sub, "loss-time", cmd_loss_time, repeats=20).add_argument("--reg", type=float, default=5e-6)
    s = add_subcommand(sub, "cv-knn", cmd_cv_knn, train_limit=5000)
    s.add_argument("--ks", type=int_list, default=[1, 3, 5, 8, 10])
    s.add_argument("--folds", type=int, default=5)
    return p.parse_args(argv)


def main():
    a = parse_args()
    info = machine_info()
    result = {"command": a.command, "blasThreads": BLAS_THREADS, **a.fn(a)}
    info["loadAvgAfter"] = list(os.getloadavg())
    result["machine"] = info
    print(json.dumps(result))


if __name__ == "__main__":
    main()
