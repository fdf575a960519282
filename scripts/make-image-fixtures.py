#!/usr/bin/env python3
"""Generates Tests/CNXEdgeTests/Fixtures: small images and what Pillow/timm make of them.

Run once, by hand; the Swift tests only read the files this writes and never run Python.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pillow numpy
    /tmp/venv/bin/python scripts/make-image-fixtures.py            # writes the fixtures
    /tmp/venv/bin/python scripts/make-image-fixtures.py --check    # also checks the timm emulation

Needs Pillow and numpy; the YCCK JPEG also needs the system libturbojpeg (Debian
libturbojpeg0), called through ctypes because Pillow cannot write YCCK.

The oracle:
- `<image>.rgb`: `np.asarray(Image.open(f).convert("RGB")).tobytes()`, interleaved RGB bytes.
- `<image>.<H>x<W>.<rule>-<filter>.f32`: little-endian float32 NCHW [1, 3, H, W], timm 1.0's eval
  transform of that RGB image, emulated below with Pillow (torch is not needed: torchvision's
  Resize on a PIL image is `Image.resize`, CenterCrop is plain indexing, ToTensor/Normalize are
  float32 `x / 255` then `(x - mean) / std`). `--check` compares the emulation with the timm
  vectors in ../shared/reference to show it is faithful.
- `manifest.json`: one entry per image with its size and expected files.

Pillow's pass order (horizontal or vertical first) changed in 12.2 and 13.0 and can move pixels
by one level; the tensors are made with explicit single-axis resizes in the order of the release
named in the manifest (`passOrder`), so regenerating with another Pillow gives the same files.
"""
import ctypes
import ctypes.util
import io
import json
import math
import struct
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "Tests" / "CNXEdgeTests" / "Fixtures"
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}
warnings.filterwarnings("ignore", message="Palette images with Transparency")


# --- timm 1.0 transforms_imagenet_eval (crop_mode "center") on a PIL RGB image ----------------

def resized_size(h, w, scale_h, scale_w, rule):
    if rule == "shorterSide":  # torchvision _compute_resized_output_size for Resize(int)
        target = min(scale_h, scale_w)  # timm only uses this rule when they are equal
        short, long = min(h, w), max(h, w)
        new_long = int(target * long / short)
        return (new_long, target) if w <= h else (target, new_long)
    if rule == "keepRatio":  # timm ResizeKeepRatio.get_params, longest=0
        ratio = min(h / scale_h, w / scale_w)
        return round(h / ratio), round(w / ratio)
    if rule == "squash":
        return scale_h, scale_w
    raise ValueError(rule)


def center_crop(arr, ch, cw):
    """torchvision center_crop on an HxWx3 array: zero padding, then round-half-even origin."""
    h, w = arr.shape[:2]
    if cw > w or ch > h:
        pl, pt = max((cw - w) // 2, 0), max((ch - h) // 2, 0)
        pr, pb = max((cw - w + 1) // 2, 0), max((ch - h + 1) // 2, 0)
        arr = np.pad(arr, ((pt, pb), (pl, pr), (0, 0)))
        h, w = arr.shape[:2]
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    return arr[top:top + ch, left:left + cw]


def vertical_first(h, w, out_h, out_w, order):
    """Which pass Pillow runs first; it differs between releases (see ResamplePassOrder.swift)."""
    if order == "pillow13":  # Resample.c horizontal_first
        return (h - out_h) > 0 and (h - out_h) > (w - out_w) * 2
    if order == "pillow12_2":  # Image.resize, tall images
        return h > w * 100 and out_h < h
    return False  # pillow12_1 and earlier


def pillow_resize(im, out_h, out_w, filt, order):
    """Image.resize of the given Pillow release, as two single-axis resizes (each is the same in
    every release), so the result does not depend on the Pillow installed."""
    if im.width != out_w and im.height != out_h and vertical_first(im.height, im.width, out_h, out_w, order):
        return im.resize((im.width, out_h), FILTERS[filt]).resize((out_w, out_h), FILTERS[filt])
    if im.width != out_w:
        im = im.resize((out_w, im.height), FILTERS[filt])
    if im.height != out_h:
        im = im.resize((out_w, out_h), FILTERS[filt])
    return im


def timm_eval(rgb, height, width, crop_pct=0.875, rule=None, filt=None, order="pillow13"):
    scale_h, scale_w = math.floor(height / crop_pct), math.floor(width / crop_pct)
    rule = rule or ("shorterSide" if scale_h == scale_w else "keepRatio")
    filt = filt or ("bilinear" if rule == "keepRatio" else "bicubic")
    rh, rw = resized_size(rgb.height, rgb.width, scale_h, scale_w, rule)
    if (rh, rw) != (rgb.height, rgb.width):
        resized = pillow_resize(rgb, rh, rw, filt, order)
        if Image.__version__.split(".")[0] == "13" and order == "pillow13":
            assert np.array_equal(np.asarray(resized), np.asarray(rgb.resize((rw, rh), FILTERS[filt])))
        rgb = resized
    arr = center_crop(np.asarray(rgb), height, width)
    x = arr.astype(np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype="<f4"), rule, filt


# --- a PNG writer for what Pillow cannot write (16-bit colour, LA16, interlace, gAMA) ----------

def png_bytes(width, height, bit_depth, color_type, rows, interlaced=False, extra=(), palette=None, trns=None):
    """rows: list of bytes objects, one per row, already packed at bit_depth."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bits_pp = channels * bit_depth
    if interlaced:
        raw = b""
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        assert bit_depth >= 8
        bpp = bits_pp // 8
        for x0, y0, dx, dy in passes:
            for y in range(y0, height, dy):
                sub = b"".join(rows[y][x * bpp:(x + 1) * bpp] for x in range(x0, width, dx))
                if sub:
                    raw += b"\x00" + sub
    else:
        raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, int(interlaced)))
    for kind, data in extra:
        out += chunk(kind, data)
    if palette is not None:
        out += chunk(b"PLTE", palette)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def rows16(arr):
    return [arr[y].astype(">u2").tobytes() for y in range(arr.shape[0])]


# --- YCCK JPEG through TurboJPEG (CMYK input is stored as YCCK) -------------------------------

def turbojpeg_ycck(cmyk):
    lib = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    lib.tjInitCompress.restype = ctypes.c_void_p
    h = lib.tjInitCompress()
    buf, size = ctypes.POINTER(ctypes.c_ubyte)(), ctypes.c_ulong(0)
    src = np.ascontiguousarray(cmyk, dtype=np.uint8)
    height, width = src.shape[:2]
    TJPF_CMYK, TJSAMP_420 = 11, 2
    rc = lib.tjCompress2(ctypes.c_void_p(h), src.ctypes.data_as(ctypes.c_void_p), width, 0, height, TJPF_CMYK,
                         ctypes.byref(buf), ctypes.byref(size), TJSAMP_420, 90, 0)
    assert rc == 0, "tjCompress2 failed"
    data = ctypes.string_at(buf, size.value)
    lib.tjFree(buf)
    lib.tjDestroy(ctypes.c_void_p(h))
    return data


# --- fixtures -------------------------------------------------------------------------------

def source_image(name, size):
    im = Image.open(SHARED / "images" / name).convert("RGB")
    return im.resize(size, Image.BICUBIC)


def build():
    rng = np.random.default_rng(0)
    files = {}
    zebra = source_image("n02391049_zebra.JPEG", (72, 54))
    photo = np.asarray(zebra)

    def save(name, data):
        files[name] = data

    # JPEG: colour 4:2:0, progressive, grayscale, CMYK (Adobe-inverted as Pillow writes it), YCCK.
    b = io.BytesIO(); zebra.save(b, "JPEG", quality=90); save("color420.jpg", b.getvalue())
    b = io.BytesIO(); zebra.save(b, "JPEG", quality=90, progressive=True, subsampling=0); save("progressive444.jpg", b.getvalue())
    b = io.BytesIO(); Image.open(SHARED / "images" / "n03908714_pencil_sharpener.JPEG").resize((45, 67), Image.BICUBIC).save(b, "JPEG", quality=90)
    save("gray.jpg", b.getvalue())
    rgbf = photo.astype(np.int32)
    k = 255 - rgbf.max(axis=2)
    cmyk = np.stack([255 - rgbf[..., 0] - k, 255 - rgbf[..., 1] - k, 255 - rgbf[..., 2] - k, k], axis=2).clip(0, 255).astype(np.uint8)
    b = io.BytesIO(); Image.fromarray(cmyk, "CMYK").save(b, "JPEG", quality=90); save("cmyk.jpg", b.getvalue())
    save("ycck.jpg", turbojpeg_ycck(cmyk))

    # PNG: 8-bit RGB with a gAMA of 1.0 (must be ignored), RGBA and LA (alpha dropped, including
    # fully transparent pixels), palette with and without tRNS, 1-bit gray, 16-bit gray/RGB/RGBA,
    # an interlaced RGB, and tiny images.
    h, w = photo.shape[:2]
    save("gamma.png", png_bytes(w, h, 8, 2, [photo[y].tobytes() for y in range(h)], extra=[(b"gAMA", struct.pack(">I", 100000))]))
    alpha = rng.integers(0, 256, size=(h, w, 1), dtype=np.uint8); alpha[:8] = 0
    b = io.BytesIO(); Image.fromarray(np.concatenate([photo, alpha], axis=2), "RGBA").save(b, "PNG"); save("rgba.png", b.getvalue())
    gray = np.asarray(zebra.convert("L"))
    b = io.BytesIO(); Image.fromarray(np.stack([gray, alpha[..., 0]], axis=2), "LA").save(b, "PNG"); save("la.png", b.getvalue())
    pal = zebra.quantize(colors=37)
    b = io.BytesIO(); pal.save(b, "PNG"); save("palette.png", b.getvalue())
    b = io.BytesIO(); pal.save(b, "PNG", transparency=bytes(rng.integers(0, 256, 37, dtype=np.uint8))); save("palette_trns.png", b.getvalue())
    b = io.BytesIO(); zebra.convert("1").save(b, "PNG"); save("gray1bit.png", b.getvalue())
    g16 = (gray.astype(np.uint16) * 3).astype(np.uint16); g16[0, :8] = [0, 1, 254, 255, 256, 257, 4096, 65535]
    save("gray16.png", png_bytes(w, h, 16, 0, rows16(g16)))
    c16 = rng.integers(0, 65536, size=(h, w, 3), dtype=np.uint16)
    save("rgb16.png", png_bytes(w, h, 16, 2, rows16(c16.reshape(h, w * 3))))
    c16a = rng.integers(0, 65536, size=(h, w, 4), dtype=np.uint16); c16a[..., 3][:4] = 0
    save("rgba16.png", png_bytes(w, h, 16, 6, rows16(c16a.reshape(h, w * 4))))
    save("interlaced.png", png_bytes(w, h, 8, 2, [photo[y].tobytes() for y in range(h)], interlaced=True))
    save("tiny1x1.png", png_bytes(1, 1, 8, 2, [bytes([200, 30, 90])]))
    tiny = rng.integers(0, 256, size=(5, 3, 3), dtype=np.uint8)
    save("tiny3x5.png", png_bytes(3, 5, 8, 2, [tiny[y].tobytes() for y in range(5)]))
    noise = rng.integers(0, 256, size=(53, 37, 3), dtype=np.uint8)
    save("noise37x53.png", png_bytes(37, 53, 8, 2, [noise[y].tobytes() for y in range(53)]))
    save("photo72x54.png", png_bytes(w, h, 8, 2, [photo[y].tobytes() for y in range(h)]))
    # Taller than twice its width: Pillow 13 resamples it vertically first, older releases do not.
    tall = rng.integers(0, 256, size=(130, 40, 3), dtype=np.uint8)
    save("tall40x130.png", png_bytes(40, 130, 8, 2, [tall[y].tobytes() for y in range(130)]))

    # Preprocessed tensors (target sizes kept small so the files are).
    tensors = {
        "tiny1x1.png": [(16, 16, None, None)],
        "tiny3x5.png": [(24, 24, None, None), (16, 24, None, None)],
        "noise37x53.png": [(16, 16, None, None), (64, 64, None, None), (40, 24, None, None), (24, 40, "squash", "bicubic")],
        "photo72x54.png": [(32, 32, None, None), (32, 48, None, None), (32, 48, "squash", "bicubic"),
                           (48, 32, "shorterSide", "bicubic"), (64, 64, None, None, 1.25)],
        "tall40x130.png": [(16, 16, None, None, 0.875, "pillow13"), (16, 16, None, None, 0.875, "pillow12_1")],
        "gray.jpg": [(32, 32, None, None)],
        "cmyk.jpg": [(32, 32, None, None)],
    }
    return files, tensors


def write(files, tensors):
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        im = Image.open(io.BytesIO(data))
        rgb = im.convert("RGB")
        (OUT / (name + ".rgb")).write_bytes(np.asarray(rgb).tobytes())
        entry = {"file": name, "width": rgb.width, "height": rgb.height, "pillowMode": im.mode, "tensors": []}
        for (th, tw, rule, filt, *more) in tensors.get(name, []):
            crop_pct = more[0] if more else 0.875
            order = more[1] if len(more) > 1 else "pillow13"
            t, rule, filt = timm_eval(rgb, th, tw, crop_pct=crop_pct, rule=rule, filt=filt, order=order)
            tname = f"{name}.{th}x{tw}.{rule}-{filt}" + (f".crop{crop_pct}" if crop_pct != 0.875 else "")
            tname += (f".{order}" if order != "pillow13" else "") + ".f32"
            (OUT / tname).write_bytes(t.tobytes())
            entry["tensors"].append({"file": tname, "height": th, "width": tw, "cropPercent": crop_pct,
                                     "resizeRule": rule, "filter": filt, "passOrder": order})
        manifest.append(entry)
    (OUT / "manifest.json").write_text(json.dumps({"generator": f"scripts/make-image-fixtures.py, Pillow {Image.__version__}",
                                                   "images": manifest}, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, to {OUT}")


def read_safetensors(path):
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for key, v in header.items():
        if key == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[key] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"])
    return out


def check():
    """The emulation against timm's own outputs in ../shared/reference."""
    ref = SHARED / "reference"
    manifest = json.loads((ref / "manifest.json").read_text())
    cases = []
    for size, model in manifest["models"].items():
        vec = read_safetensors(ref / model["files"]["vectors"])
        for tag in ("input_image_0", "input_image_1"):
            cases.append((SHARED / "images" / model["inputs"][tag]["file"], vec[tag]))
    trained = json.loads((ref / "trained" / "vectors.json").read_text())
    vec = read_safetensors(ref / "trained" / "convnextv2_atto_exemplar_vectors.safetensors")
    for i, name in enumerate(trained["images"]):
        cases.append((SHARED / "eval-images" / name, vec[f"input_image_{i}"]))
    for path, expected in cases:
        got, _, _ = timm_eval(Image.open(path).convert("RGB"), 224, 224)
        d = np.abs(got - expected)
        print(f"{path.name}: max {d.max():.3g} mean {d.mean():.3g}")


if __name__ == "__main__":
    write(*build())
    if "--check" in sys.argv:
        check()
