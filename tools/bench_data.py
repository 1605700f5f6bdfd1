"""The data of tools/benchmark.sh's peers (bench_torch.py, bench_keras.py),
as numpy arrays: the same rows and images the cltrain experiments train on.
Reading them is not timed by the peers."""
import csv
import os
import sys

import numpy as np

SUNSHINE_ROWS = 1096          # rows 0..1095 of the weather file
CIFAR_IMAGES = 5000           # train_subset of the CIFAR experiments


def find(data_dir, *candidates):
    for rel in candidates:
        path = os.path.join(data_dir, rel)
        if os.path.exists(path):
            return path
    sys.exit("%s: none of %s in %s" % (os.path.basename(sys.argv[0]),
                                       ", ".join(candidates), data_dir))


def sunshine(data_dir):
    """163 features of rows 0..1095, label = BASEL_sunshine of the next row;
    the first 767 rows (cltrain's 70 % training split). Not standardized:
    the values do not change the work."""
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
    return x[:n_train], y[:n_train]


def cifar(data_dir, channels_last):
    """The first 5000 records of data_batch_1.bin, pixels / 255, as NHWC
    (channels_last) or NCHW float32, and int64 labels."""
    path = find(data_dir, "cifar-10-batches-bin/data_batch_1.bin", "data_batch_1.bin")
    raw = np.fromfile(path, dtype=np.uint8, count=CIFAR_IMAGES * 3073)
    raw = raw.reshape(CIFAR_IMAGES, 3073)
    # The binary layout is channel-major per image (1024 R, 1024 G, 1024 B).
    x = raw[:, 1:].reshape(CIFAR_IMAGES, 3, 32, 32).astype(np.float32) / 255.0
    if channels_last:
        x = x.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), raw[:, 0].astype(np.int64)
