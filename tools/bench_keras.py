#!/usr/bin/env python3
"""Keras 3 (TensorFlow backend, CPU) side of tools/benchmark.sh: the nets of
the cltrain experiments as Keras models (NHWC, as Keras and cltrain store
images), the same data, batch 32, Adam (lr 1e-3, eps 1e-7), metrics as in
the experiment files, reshuffled each epoch, no validation. Each run fits a
fresh model for W warm-up epochs (default 1: tracing and compiling the
train step) plus E timed epochs, in one model.fit; a callback times the
epochs after the warm-up ones. The arrays are in memory before fit starts.

    bench_keras.py NET --data-dir DIR --epochs E [--warmup-epochs W] [--runs N]
                   [--seed S] [--threads T] [--jit auto|true|false]

--threads sets TensorFlow's intra-op and inter-op pools (inter-op 1 with one
thread). --jit is Keras's compile(jit_compile=): "auto" (Keras's default)
compiles the train step with XLA, "false" runs TensorFlow's graph ops
(oneDNN kernels).
stdout: per run, the wall seconds and the process's CPU seconds (all
threads) of the E timed epochs, one run per line; progress on stderr.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402

BATCH = 32


def nets(keras):
    layers = keras.layers

    def sunshine():
        return [keras.Input((163,)), layers.Dense(100, activation="relu"),
                layers.Dense(50, activation="relu"), layers.Dense(1)]

    def cifar10_cnn():
        return [keras.Input((32, 32, 3)),
                layers.Conv2D(32, 3, activation="relu"),      # 30x30x32
                layers.Conv2D(32, 3, activation="relu"),      # 28x28x32
                layers.Flatten(), layers.Dense(10)]

    def cifar10_cnn_pool():
        return [keras.Input((32, 32, 3)),
                layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dense(32, activation="relu"),
                layers.Dense(10)]

    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return {
        # name: (data, layers, loss, metrics, parameter count of the experiment)
        "sunshine": (bench_data.sunshine, sunshine, "mse",
                     [keras.metrics.RootMeanSquaredError()], 21501),
        "cifar10_cnn": (lambda d: bench_data.cifar(d, channels_last=True),
                        cifar10_cnn, cross_entropy, ["accuracy"], 261034),
        "cifar10_cnn_pool": (lambda d: bench_data.cifar(d, channels_last=True),
                             cifar10_cnn_pool, cross_entropy, ["accuracy"], 47370),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("net", choices=["sunshine", "cifar10_cnn", "cifar10_cnn_pool"])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--warmup-epochs", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="seed of the first run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jit", choices=["auto", "true", "false"], default="auto")
    args = ap.parse_args()

    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1 if args.threads == 1 else 0)
    import keras

    data, make_layers, loss, metrics, params = nets(keras)[args.net]
    x, y = data(args.data_dir)
    jit = {"auto": "auto", "true": True, "false": False}[args.jit]
    print("keras %s, tensorflow %s, %d threads, jit_compile=%s, %s: %d training "
          "samples, %d + %d epochs" % (keras.__version__, tf.__version__, args.threads,
                                       args.jit, args.net, x.shape[0],
                                       args.warmup_epochs, args.epochs), file=sys.stderr)

    class EpochTimer(keras.callbacks.Callback):
        """Wall and CPU seconds of the epochs from the first timed one on."""
        def __init__(self):
            super().__init__()
            self.wall = self.cpu = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            if epoch >= args.warmup_epochs:
                self.wall += time.perf_counter() - self.start[0]
                self.cpu += time.process_time() - self.start[1]
            self.loss = logs.get("loss", float("nan"))

    for seed in range(args.seed, args.seed + args.runs):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(make_layers())
        assert model.count_params() == params, model.count_params()
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                      loss=loss, metrics=metrics, jit_compile=jit)
        timer = EpochTimer()
        model.fit(x, y, batch_size=BATCH, epochs=args.warmup_epochs + args.epochs,
                  shuffle=True, verbose=0, callbacks=[timer])
        print("  seed %d: %.3f s (CPU %.3f s), last epoch loss %.4f"
              % (seed, timer.wall, timer.cpu, timer.loss), file=sys.stderr)
        print("%.6f %.6f" % (timer.wall, timer.cpu), flush=True)


if __name__ == "__main__":
    main()
