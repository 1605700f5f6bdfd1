#!/usr/bin/env python3
"""PyTorch (CPU) side of tools/benchmark.sh: the same nets, data sizes, batch
size and optimizer as the cltrain experiments. Each run trains a fresh model
for W warm-up epochs (default 1: thread pool, oneDNN primitives, allocator)
and then E timed epochs; the data is in tensors before the clock starts.

    bench_torch.py NET --data-dir DIR --epochs E [--warmup-epochs W] [--runs N]
                   [--seed S] [--threads T] [--channels-last]
    bench_torch.py sgemm [--threads T]     # GFLOP per CPU-s of PyTorch's 1024^3 matmul

NET is sunshine (Dense 163-100-50-1 relu, MSE, 767 training rows),
cifar10_cnn (Conv32-Conv32-Flatten-Dense10) or cifar10_cnn_pool
(Conv32-Pool-Conv32-Pool-Flatten-Dense32-Dense10), both on the first 5000
images of data_batch_1.bin with sparse cross-entropy on logits. Every net:
Adam (lr 1e-3, eps 1e-7), batch 32, reshuffled each epoch, no validation.
--channels-last keeps the images and conv weights NHWC (oneDNN's own layout).

stdout: per run, the wall seconds and the process's CPU seconds (all
threads) of the E timed epochs, one run per line; progress on stderr.
"""
import argparse
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402

BATCH = 32


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


def sunshine_data(data_dir):
    x, y = bench_data.sunshine(data_dir)
    return torch.from_numpy(x), torch.from_numpy(y)


def cifar_data(data_dir):
    x, y = bench_data.cifar(data_dir, channels_last=False)
    return torch.from_numpy(x), torch.from_numpy(y)


NETS = {
    # name: (data, model, loss, parameter count of the cltrain experiment)
    "sunshine": (sunshine_data, sunshine_net, nn.MSELoss, 21501),
    "cifar10_cnn": (cifar_data, cifar10_cnn_net, nn.CrossEntropyLoss, 261034),
    "cifar10_cnn_pool": (cifar_data, cifar10_cnn_pool_net, nn.CrossEntropyLoss, 47370),
}


def train(model, loss_fn, x, y, warmup, epochs, generator):
    """Shuffled mini-batches, forward, loss, backward, Adam; returns the wall
    and CPU seconds of the epochs after the warm-up ones."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = x.shape[0]
    loss_sum = 0.0
    for epoch in range(warmup + epochs):
        if epoch == warmup:
            wall, cpu = time.perf_counter(), time.process_time()
        order = torch.randperm(n, generator=generator)
        loss_sum = 0.0
        for first in range(0, n, BATCH):
            idx = order[first:first + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * idx.shape[0]
    return time.perf_counter() - wall, time.process_time() - cpu, loss_sum / n


def sgemm_gflops(n=1024, runs=7):
    """Median rate of an n^3 float32 matmul, GFLOP per CPU-second (all
    threads: a per-core rate that a shared machine disturbs far less than
    the wall clock): what PyTorch's BLAS delivers."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    times = []
    for _ in range(runs):
        start = time.process_time()
        a @ b
        times.append(time.process_time() - start)
    return 2 * n ** 3 / sorted(times)[runs // 2] / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("net", choices=sorted(NETS) + ["sgemm"])
    ap.add_argument("--data-dir")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--warmup-epochs", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="seed of the first run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.net == "sgemm":
        print("%.0f" % sgemm_gflops())
        return
    if args.data_dir is None or args.epochs is None:
        ap.error("%s needs --data-dir and --epochs" % args.net)
    data, make_model, make_loss, params = NETS[args.net]
    x, y = data(args.data_dir)
    if args.channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    print("torch %s, %d threads, %s: %d training samples, %d + %d epochs%s"
          % (torch.__version__, torch.get_num_threads(), args.net, x.shape[0],
             args.warmup_epochs, args.epochs,
             ", channels_last" if args.channels_last else ""), file=sys.stderr)
    for seed in range(args.seed, args.seed + args.runs):
        torch.manual_seed(seed)
        model = make_model()
        assert sum(p.numel() for p in model.parameters()) == params
        if args.channels_last:
            model = model.to(memory_format=torch.channels_last)
        wall, cpu, loss = train(model, make_loss(), x, y, args.warmup_epochs,
                                args.epochs, torch.Generator().manual_seed(seed))
        print("  seed %d: %.3f s (CPU %.3f s), last epoch loss %.4f"
              % (seed, wall, cpu, loss), file=sys.stderr)
        print("%.6f %.6f" % (wall, cpu), flush=True)


if __name__ == "__main__":
    main()
