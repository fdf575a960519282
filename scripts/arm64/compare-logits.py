#!/usr/bin/env python3
"""Compares two `cnx-edge run --dump-logits` files (float32 [N, classes] .npy) image by image:
top-5 identical, and the relative L2 error of each image's logits. No numpy needed.

usage: compare-logits.py REFERENCE.npy OTHER.npy [--tolerance T] [--names names.txt]
With fewer images in OTHER than in REFERENCE, OTHER is compared with REFERENCE's first rows.
Exit status 1 if any top-5 differs or (with --tolerance) any image's error exceeds T."""
import argparse, ast, math, struct, sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    hlen = struct.unpack("<H", data[8:10])[0] if major == 1 else struct.unpack("<I", data[8:12])[0]
    start = (10 if major == 1 else 12)
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        sys.exit(f"{path}: expected little-endian float32, C order")
    n, c = header["shape"]
    values = struct.unpack(f"<{n * c}f", data[start + hlen:start + hlen + 4 * n * c])
    return [list(values[i * c:(i + 1) * c]) for i in range(n)]


def top5(row):
    return sorted(range(len(row)), key=lambda i: (-row[i], i))[:5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--tolerance", type=float)
    ap.add_argument("--names")
    a = ap.parse_args()
    ref, oth = load(a.reference), load(a.other)
    names = open(a.names).read().split("\n") if a.names else []
    if len(oth) > len(ref):
        sys.exit(f"{len(ref)} reference images against {len(oth)}")
    ref = ref[:len(oth)]
    worst, identical, top5_same, failures = 0.0, 0, 0, 0
    for i, (r, o) in enumerate(zip(ref, oth)):
        num = math.sqrt(sum((x - y) ** 2 for x, y in zip(r, o)))
        den = math.sqrt(sum(x * x for x in r)) or 1.0
        err = num / den
        worst = max(worst, err)
        identical += r == o
        same = top5(r) == top5(o)
        top5_same += same
        bad = not same or (a.tolerance is not None and err > a.tolerance)
        if bad:
            failures += 1
            name = names[i] if i < len(names) else f"image {i}"
            print(f"  {name}: top-5 {'same' if same else 'DIFFERS'} ({top5(r)} vs {top5(o)}), relative L2 error {err:.3g}")
    print(f"{len(ref)} images: top-5 identical on {top5_same}, logits bit-identical on {identical}, "
          f"worst relative L2 error {worst:.3g}" + (f" (tolerance {a.tolerance:g})" if a.tolerance is not None else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
