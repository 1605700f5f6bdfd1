#!/usr/bin/env python3
"""CIFAR-10's binary batches as class folders of PNG files, the layout the
image-folder source (data.images) reads: OUT/train/<class>/NNNNN.png from
data_batch_1..BATCHES, OUT/test/<class>/NNNNN.png from test_batch.
Python's standard library only (zlib + struct write the PNGs).

    tools/cifar10_to_png.py CIFAR_DIR OUT [BATCHES (default 5)]
"""
import os, struct, sys, zlib
if len(sys.argv) < 3:
    sys.exit(__doc__)
src, out = sys.argv[1], sys.argv[2]
batches = int(sys.argv[3]) if len(sys.argv) > 3 else 5
names = [l.strip() for l in open(os.path.join(src, "batches.meta.txt")) if l.strip()]
def png(path, rgb):  # rgb: 32*32*3 bytes, HWC
    raw = b"".join(b"\x00" + rgb[y * 96:(y + 1) * 96] for y in range(32))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
def convert(files, dest):
    k = 0
    for n in names: os.makedirs(os.path.join(dest, n), exist_ok=True)
    for fn in files:
        data = open(os.path.join(src, fn), "rb").read()
        for r in range(len(data) // 3073):
            rec = data[r * 3073:(r + 1) * 3073]
            label, planes = rec[0], rec[1:]
            hwc = bytes(planes[c * 1024 + i] for i in range(1024) for c in range(3))
            png(os.path.join(dest, names[label], "%05d.png" % k), hwc); k += 1
    return k
print(convert(["data_batch_%d.bin" % i for i in range(1, batches + 1)], os.path.join(out, "train")),
      convert(["test_batch.bin"], os.path.join(out, "test")))
