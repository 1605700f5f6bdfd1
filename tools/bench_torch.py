#!/usr/bin/env python3
"""PyTorch (CPU) side of tools/benchmark.sh: the same nets, data sizes, batch
size, epochs and optimizer as the cltrain experiments, timed over the training
loop only (data is read and converted to tensors before the clock starts).

    bench_torch.py NET --data-dir DIR --epochs E [--runs N] [--seed S] [--threads T]
    bench_torch.py sgemm [--threads T]     # GFLOP/s of PyTorch's 1024^3 matmul

NET is sunshine (Dense 163-100-50-1 relu, MSE, 767 training rows),
cifar10_cnn (Conv32-Conv32-Flatten-Dense10) or cifar10_cnn_pool
(Conv32-Pool-Conv32-Pool-Flatten-Dense32-Dense10), both on the first 5000
images of data_batch_1.bin with sparse cross-entropy on logits. Every net:
Adam (lr 1e-3, eps 1e-7), batch 32, reshuffled each epoch, no validation.

A few untimed steps on a throw-away model come first, so that one-off
set-up (thread pool, oneDNN primitives, allocator) is not charged to run 1.
stdout: the training seconds of each run, one per line; progress on stderr.
"""
import argparse
import csv
import os
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH = 32
SUNSHINE_ROWS = 1096          # rows 0..1095 of the weather file
CIFAR_IMAGES = 5000           # train_subset of the CIFAR experiments


def find(data_dir, *candidates):
    for rel in candidates:
        path = os.path.join(data_dir, rel)
        if os.path.exists(path):
            return path
    sys.exit("bench_torch.py: none of %s in %s" % (", ".join(candidates), data_dir))


def sunshine_data(data_dir):
    """163 features of rows 0..1095; label = BASEL_sunshine of the next row."""
    path = find(data_dir, "weather_prediction_dataset.csv",
                "weather/weather_prediction_dataset.csv")
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [row for _, row in zip(range(SUNSHINE_ROWS + 1), reader)]
    keep = [i for i, name in enumerate(header) if name not in ("DATE", "MONTH")]
    target = header.index("BASEL_sunshine")
    x = np.array([[float(row[i]) for i in keep] for row in rows[:SUNSHINE_ROWS]],
                 dtype=np.float32)
    y = np.array([[float(row[target])] for row in rows[1:SUNSHINE_ROWS + 1]],
                 dtype=np.float32)
    n_train = int(0.7 * SUNSHINE_ROWS)   # 767, as cltrain's split
    return torch.from_numpy(x[:n_train]), torch.from_numpy(y[:n_train])


def cifar_data(data_dir):
    """The first 5000 records of data_batch_1.bin, pixels / 255, NCHW."""
    path = find(data_dir, "cifar-10-batches-bin/data_batch_1.bin", "data_batch_1.bin")
    raw = np.fromfile(path, dtype=np.uint8, count=CIFAR_IMAGES * 3073)
    raw = raw.reshape(CIFAR_IMAGES, 3073)
    # The binary layout is already channel-major per image (1024 R, 1024 G,
    # 1024 B): cltrain turns it into NHWC, PyTorch wants NCHW as it is.
    x = raw[:, 1:].reshape(CIFAR_IMAGES, 3, 32, 32).astype(np.float32) / 255.0
    y = raw[:, 0].astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def sunshine_net():
    return nn.Sequential(nn.Linear(163, 100), nn.ReLU(),
                         nn.Linear(100, 50), nn.ReLU(),
                         nn.Linear(50, 1))


def cifar10_cnn_net():
    return nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(),      # 30x30x32
                         nn.Conv2d(32, 32, 3), nn.ReLU(),     # 28x28x32
                         nn.Flatten(),                        # 25088
                         nn.Linear(28 * 28 * 32, 10))


def cifar10_cnn_pool_net():
    return nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),   # 15x15x32
                         nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),  # 6x6x32
                         nn.Flatten(),                                      # 1152
                         nn.Linear(6 * 6 * 32, 32), nn.ReLU(),
                         nn.Linear(32, 10))


NETS = {
    # name: (data, model, loss, parameter count of the cltrain experiment)
    "sunshine": (sunshine_data, sunshine_net, nn.MSELoss, 21501),
    "cifar10_cnn": (cifar_data, cifar10_cnn_net, nn.CrossEntropyLoss, 261034),
    "cifar10_cnn_pool": (cifar_data, cifar10_cnn_pool_net, nn.CrossEntropyLoss, 47370),
}


def train(model, loss_fn, x, y, epochs, generator):
    """The timed part: shuffled mini-batches, forward, loss, backward, Adam."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = x.shape[0]
    loss_sum = 0.0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        loss_sum = 0.0
        for first in range(0, n, BATCH):
            idx = order[first:first + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * idx.shape[0]
    seconds = time.perf_counter() - start
    return seconds, loss_sum / n


def sgemm_gflops(n=1024, runs=7):
    """Median rate of an n^3 float32 matmul: what PyTorch's BLAS delivers."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / sorted(times)[runs // 2] / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("net", choices=sorted(NETS) + ["sgemm"])
    ap.add_argument("--data-dir")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="seed of the first run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.net == "sgemm":
        print("%.0f" % sgemm_gflops())
        return
    if args.data_dir is None or args.epochs is None:
        ap.error("%s needs --data-dir and --epochs" % args.net)
    data, make_model, make_loss, params = NETS[args.net]
    x, y = data(args.data_dir)
    print("torch %s, %d threads, %s: %d training samples, %d epochs"
          % (torch.__version__, torch.get_num_threads(), args.net, x.shape[0],
             args.epochs), file=sys.stderr)
    train(make_model(), make_loss(), x[:3 * BATCH], y[:3 * BATCH], 1,
          torch.Generator().manual_seed(0))                       # warm-up
    for seed in range(args.seed, args.seed + args.runs):
        torch.manual_seed(seed)
        model = make_model()
        assert sum(p.numel() for p in model.parameters()) == params
        seconds, loss = train(model, make_loss(), x, y, args.epochs,
                              torch.Generator().manual_seed(seed))
        print("  seed %d: %.3f s, last epoch loss %.4f" % (seed, seconds, loss),
              file=sys.stderr)
        print("%.6f" % seconds, flush=True)


if __name__ == "__main__":
    main()
