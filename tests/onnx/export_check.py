"""Every shipped experiment, trained briefly, exported to ONNX: the ONNX checker
accepts the file, onnxruntime predicts what `cltrain predict` predicts, and
`cltrain predict model.onnx` (cltrain's own ONNX runner) what onnxruntime does.

Usage: export_check.py [--keras] CLTRAIN SOURCE_DIR DATA_DIR WORK_DIR [EXPERIMENT.yaml ...]
(default: every experiments/*.yaml). --keras also exports the models of
KERAS_CHECKED as Keras 3 weights and checks keras' predictions (the backend
in KERAS_BACKEND: jax). Run by tests/onnx/export_test.sh under the venv of
tools/onnx_venv.sh; prints one line per experiment and 'N passed, N failed'
at the end; exit 1 on any failure.

Agreement, as numpy's allclose: |onnx - cltrain| <= 1e-5 * |cltrain| + 1e-6 *
(largest |cltrain| of that output column). The absolute floor is for outputs
that cancel to near zero: they carry the float32 rounding of their terms
(summation order, onnxruntime's tanh/sigmoid approximations), which no
relative bound on a value near 0 can hold. Printed numbers carry 9
significant digits for values, 6 for probabilities (rounding up to 5e-6).
The reported "worst" is the largest |difference| / (1e-5 |cltrain| + floor)
times 1e-5, so it reads as a relative error and must stay <= 1e-5."""
import csv
import glob
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import onnx
import onnxruntime as ort

RTOL = 1e-5
ATOL_OF_MAX = 1e-6

# Brief training: one epoch, a few hundred images, so the whole check costs
# about a minute on 2 cores. The model's graph, not its accuracy, is tested.
BRIEF = ["--set", "train.epochs=1"]
CIFAR_BRIEF = ["--set", "data.cifar10.train_subset=256", "--set", "data.cifar10.test_subset=64"]
N_PNG = 8  # test images also fed to `cltrain predict` as PNG files


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stdout[-3000:]))
    return r.stdout


def close(got, want, what):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError("%s: shapes differ: onnx %s, cltrain %s" % (what, got.shape, want.shape))
    allowed = RTOL * np.abs(want) + ATOL_OF_MAX * np.abs(want).max(axis=0, keepdims=True)
    err = RTOL * np.abs(got - want) / np.where(allowed > 0, allowed, 1e-30)
    worst = np.unravel_index(np.argmax(err), err.shape)
    if err[worst] > RTOL:
        raise AssertionError("%s: onnx %r vs cltrain %r at %s (%.3g > %g: see the tolerance above)"
                             % (what, got[worst], want[worst], worst, err[worst], RTOL))
    return float(err.max())


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def metadata(model):
    return {p.key: p.value for p in model.metadata_props}


def config_value(run_dir, key):
    """One scalar of config.yaml, found by its key (the files are simple)."""
    with open(os.path.join(run_dir, "config.yaml")) as f:
        for line in f:
            k, _, v = line.strip().partition(":")
            if k == key:
                return v.split("#")[0].strip().strip('"')
    raise KeyError(key)


def write_png(path, rgb):
    """An 8-bit RGB PNG from an (H, W, 3) uint8 array (zlib only)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def check_import(cltrain, run_dir, inputs, want):
    """`cltrain predict model.onnx` (cltrain's own ONNX runner) agrees with
    onnxruntime (`want`, unrounded) on the same inputs."""
    path = os.path.join(run_dir, "onnx_predict.csv")
    run([cltrain, "predict", os.path.join(run_dir, "model.onnx")] + inputs + ["--out", path])
    h, rows = read_csv(path)
    cols = [i for i, name in enumerate(h) if name.startswith("p_") or name.startswith("prediction")]
    got = np.array([[float(r[i]) for i in cols] for r in rows])
    return close(got, want, "cltrain predict model.onnx vs onnxruntime")


def check_csv_model(cltrain, run_dir, session, model, data_dir):
    """Every row of the data file through both; then the run's own test-split
    predictions (predictions.csv) must each be among onnxruntime's."""
    data_file = os.path.join(data_dir, "weather", config_value(run_dir, "file"))
    if not os.path.exists(data_file):
        data_file = os.path.join(data_dir, config_value(run_dir, "file"))
    columns = metadata(model)["cltrain.input_columns"].split("\n")
    header, rows = read_csv(data_file)
    index = [header.index(c) for c in columns]
    x = np.array([[float(r[i]) for i in index] for r in rows], dtype=np.float32)
    (onnx_out,) = session.run(None, {"input": x})
    pred_path = os.path.join(run_dir, "cltrain_predict.csv")
    run([cltrain, "predict", run_dir, data_file, "--out", pred_path])
    ph, prow = read_csv(pred_path)
    want = np.array([[float(v) for v in r[1:]] for r in prow])
    worst = close(onnx_out, want, "cltrain predict %s" % os.path.basename(data_file))
    worst = max(worst, check_import(cltrain, run_dir, [data_file], onnx_out))
    # The test split: predictions.csv's `predicted` (9 digits), in the run's order.
    th, trow = read_csv(os.path.join(run_dir, "predictions.csv"))
    k = th.index("predicted")
    test_pred = np.array([float(r[k]) for r in trow])
    flat = onnx_out[:, 0].astype(np.float64)
    floor = ATOL_OF_MAX * np.abs(flat).max()
    missing = [v for v in test_pred if np.abs(flat - v).min() > RTOL * abs(v) + floor]
    if missing:
        raise AssertionError("test split: %d of %d predictions.csv values have no onnxruntime prediction "
                             "within tolerance (first %r)" % (len(missing), len(test_pred), missing[0]))
    return "%d rows (test split %d), worst relative %.2g" % (len(x), len(test_pred), worst), x, want


def cifar_test_images(data_dir, run_dir, n):
    folder = os.path.join(data_dir, config_value(run_dir, "dir"))
    raw = np.fromfile(os.path.join(folder, "test_batch.bin"), dtype=np.uint8).reshape(-1, 3073)[:n]
    labels = raw[:, 0]
    images = raw[:, 1:].reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)  # NHWC, as cltrain holds them
    return images, labels


def check_image_model(cltrain, run_dir, session, model, data_dir):
    """The test split (predictions.csv, the run's own inference) and a few of
    its images as PNG files through `cltrain predict`."""
    th, trow = read_csv(os.path.join(run_dir, "predictions.csv"))
    n = len(trow)
    images, labels = cifar_test_images(data_dir, run_dir, n)
    if [int(r[th.index("true")]) for r in trow] != labels.tolist():
        raise AssertionError("predictions.csv's labels are not the first %d of test_batch.bin" % n)
    scale = config_value(run_dir, "scale") == "true"
    x = images.astype(np.float32) / np.float32(255) if scale else images.astype(np.float32)
    (probs,) = session.run(None, {"input": x})
    pcols = [i for i, h in enumerate(th) if h.startswith("p_")]
    test_want = np.array([[float(r[i]) for i in pcols] for r in trow])
    worst = close(probs, test_want, "test split (predictions.csv)")
    pngs = []
    for i in range(N_PNG):
        pngs.append(os.path.join(run_dir, "test_%d.png" % i))
        write_png(pngs[-1], images[i])
    pred_path = os.path.join(run_dir, "cltrain_predict.csv")
    run([cltrain, "predict", run_dir] + pngs + ["--out", pred_path])
    ph, prow = read_csv(pred_path)
    pcols = [i for i, h in enumerate(ph) if h.startswith("p_")]
    want = np.array([[float(r[i]) for i in pcols] for r in prow])
    worst = max(worst, close(probs[:N_PNG], want, "cltrain predict on PNG files"))
    worst = max(worst, check_import(cltrain, run_dir, pngs, probs[:N_PNG]))
    return "%d test images (%d as PNG), worst relative %.2g" % (n, N_PNG, worst), x[:N_PNG], want


def image_folder_data(data_dir, work):
    """For an experiment on data.images (own_images.yaml): a small folder of
    class sub-folders made of CIFAR-10's first 120 test images as PNG files
    (train, and test from the next 40); returns the --set options."""
    root = os.path.join(work, "image_folder_data")
    folder = os.path.join(data_dir, "cifar-10-batches-bin")
    raw = np.fromfile(os.path.join(folder, "test_batch.bin"), dtype=np.uint8).reshape(-1, 3073)[:160]
    with open(os.path.join(folder, "batches.meta.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    for i, rec in enumerate(raw):
        part = "train" if i < 120 else "test"
        sub = os.path.join(root, part, names[rec[0]])
        os.makedirs(sub, exist_ok=True)
        write_png(os.path.join(sub, "%03d.png" % i), rec[1:].reshape(3, 32, 32).transpose(1, 2, 0))
    return ["--set", "data.images.dir=" + os.path.join(root, "train"),
            "--set", "data.images.test_dir=" + os.path.join(root, "test"), "--set", "data.images.image_size=32"]


def check_folder_model(cltrain, run_dir, session):
    """An image-folder model: a few of its test PNG files through onnxruntime
    (pixels / 255, as the folder's 32x32 images need no resizing) and through
    `cltrain predict`, which prepares them as training did."""
    test_dir = config_value(run_dir, "test_dir")
    pngs = sorted(glob.glob(os.path.join(test_dir, "*", "*.png")))[:N_PNG]
    x = np.stack([png_pixels(p) for p in pngs]).astype(np.float32) / np.float32(255)
    (probs,) = session.run(None, {"input": x})
    pred_path = os.path.join(run_dir, "cltrain_predict.csv")
    run([cltrain, "predict", run_dir] + pngs + ["--out", pred_path])
    ph, prow = read_csv(pred_path)
    pcols = [i for i, h in enumerate(ph) if h.startswith("p_")]
    want = np.array([[float(r[i]) for i in pcols] for r in prow])
    worst = close(probs, want, "cltrain predict on the folder's PNG files")
    worst = max(worst, check_import(cltrain, run_dir, pngs, probs))
    return "%d folder images as PNG, worst relative %.2g" % (len(pngs), worst), x, want


def png_pixels(path):
    """The (32, 32, 3) pixels of a PNG written by write_png (filter 0 rows)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        if tag == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return np.frombuffer(raw, dtype=np.uint8).reshape(32, 1 + 96)[:, 1:].reshape(32, 32, 3)


# The Keras check runs on these, which between them hold every layer kind
# and option the Keras export writes (CSV with BatchNormalization and
# Dropout; conv, pooling and from_logits; strides, 'same' padding, BN on
# images, average pooling, an Activation layer, a softmax output): JAX's
# start-up and compiles cost seconds per model, and CI time is short. Not
# onnx_csv_layers: its BatchNormalization has center: false, whose beta
# cltrain used to train, so its Keras export was refused (a beta other than
# 0 still is, naming the layer: tests/test_onnx_import.c). Since issue #14's
# fix beta stays 0 and the export is written; adding it here is untried.
KERAS_CHECKED = {"sunshine_dropout_batchnorm", "cifar10_cnn_pool", "onnx_image_layers", "onnx_activations",
                 "onnx_global_average_pooling", "onnx_global_max_pooling", "onnx_reshape"}


def check_keras(cltrain, run_dir, x, want):
    """`cltrain export --format keras`: the written Python file builds the
    keras.Sequential, loads the .weights.h5, and predicts what cltrain does."""
    path = os.path.join(run_dir, "model.weights.h5")
    run([cltrain, "export", run_dir, "--format", "keras", "--out", path])
    import importlib.util

    spec = importlib.util.spec_from_file_location("exported_%s" % os.path.basename(run_dir),
                                                  os.path.join(run_dir, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    if hasattr(module, "standardize"):
        x = module.standardize(x)
    got = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    with open(os.path.join(run_dir, "config.yaml")) as f:
        from_logits = any(line.strip() == "from_logits: true" for line in f)
    if from_logits and got.shape[1] > 1:
        got = np.exp(got - got.max(axis=1, keepdims=True))
        got /= got.sum(axis=1, keepdims=True)
    return "worst relative %.2g" % close(got, want, "keras model.predict")


def main():
    keras_too = "--keras" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--keras"]
    cltrain, source, data_dir, work = args[:4]
    experiments = args[4:] or sorted(glob.glob(os.path.join(source, "experiments", "*.yaml")))
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    for exp in experiments:
        name = os.path.splitext(os.path.basename(exp))[0]
        run_dir = os.path.join(work, name)
        try:
            text = open(exp).read()
            extra = CIFAR_BRIEF if "cifar10:" in text else image_folder_data(data_dir, work) if "images:" in text else []
            run([cltrain, "run", exp, "--data-dir", data_dir, "--out", run_dir] + BRIEF + extra)
            path = os.path.join(run_dir, "model.onnx")
            run([cltrain, "export", run_dir, "--format", "onnx", "--out", path])
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            opset = {o.domain: o.version for o in model.opset_import}
            if opset.get("", 0) < 13:
                raise AssertionError("opset %r, want 13 or newer" % opset)
            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            if "cltrain.input_columns" in metadata(model):
                detail, x, want = check_csv_model(cltrain, run_dir, session, model, data_dir)
            elif "images:" in text:
                detail, x, want = check_folder_model(cltrain, run_dir, session)
            else:
                detail, x, want = check_image_model(cltrain, run_dir, session, model, data_dir)
            if keras_too and name in KERAS_CHECKED:
                detail += "; keras: " + check_keras(cltrain, run_dir, x, want)
            print("PASS %s: %s" % (name, detail))
            passed += 1
        except Exception as e:  # noqa: BLE001 - report every experiment
            print("FAIL %s: %s" % (name, e))
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
