#!/usr/bin/env python3
"""Rebuilds calibration/default: the first 32 images (sorted by name) of ../shared/images and a
manifest.json listing each file with its synset, ImageNet-1k index and SHA-256.

The class table is read from Sources/CNXEdge/Classes/ImageNetClasses+Table.swift, the one
compiled into the library. Run from anywhere: python3 calibration/make-default-set.py
"""
import hashlib
import json
import os
import re
import shutil

COUNT = 32
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOURCE = os.path.join(os.path.dirname(ROOT), "shared", "images")
TARGET = os.path.join(HERE, "default")
TABLE = os.path.join(ROOT, "Sources", "CNXEdge", "Classes", "ImageNetClasses+Table.swift")


def class_index():
    text = open(TABLE, encoding="utf-8").read()
    body = text.split('#"""\n', 1)[1].split('"""#', 1)[0]
    synsets = [line.split("\t", 1)[0] for line in body.splitlines() if line]
    assert len(synsets) == 1000, len(synsets)
    return {s: i for i, s in enumerate(synsets)}


def main():
    index = class_index()
    images = sorted(f for f in os.listdir(SOURCE) if re.search(r"\.(jpe?g|png)$", f, re.I))[:COUNT]
    if os.path.isdir(TARGET):
        shutil.rmtree(TARGET)
    os.makedirs(TARGET)
    entries = []
    for name in images:
        shutil.copyfile(os.path.join(SOURCE, name), os.path.join(TARGET, name))
        synset = re.match(r"n\d{8}", name).group(0)
        digest = hashlib.sha256(open(os.path.join(TARGET, name), "rb").read()).hexdigest()
        entries.append({"file": name, "synset": synset, "index": index[synset], "sha256": digest})
    manifest = {
        "description": f"The first {COUNT} images (sorted by name) of ../shared/images; "
                       "rebuild with calibration/make-default-set.py.",
        "images": entries,
    }
    with open(os.path.join(TARGET, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {len(entries)} images and manifest.json to {TARGET}")


if __name__ == "__main__":
    main()
