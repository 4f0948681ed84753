"""Data: Debian wallpaper packages (fetched with apt-get download + dpkg -x, never committed).

Training packages and the held-out package are disjoint: the model never sees a held-out photo.
Everything works on luma (BT.601 limited range, as ffmpeg converts RGB to yuv420p), uint8.
"""

import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

TRAIN_PACKAGES = [
    "plasma-workspace-wallpapers",
    "ukui-wallpapers",
    "lomiri-wallpapers",
    "lomiri-wallpapers-20.04",
    "mate-backgrounds",
    "gnome-backgrounds",
]
# Natural photos (landscapes, a bridge, a dragonfly, ...) from a package used nowhere in training.
HELDOUT_PACKAGE = "lomiri-wallpapers-16.04"
HELDOUT_GLOB = "usr/share/backgrounds/*.jpg"

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def cache_dir() -> Path:
    base = os.environ.get("VSR_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "vsr")
    return Path(base) / "training-data"


def fetch(package: str) -> Path:
    """Downloads and unpacks one Debian package into the cache; returns the unpacked root."""
    root = cache_dir() / package
    done = root / ".unpacked"
    if done.exists():
        return root
    debs = cache_dir() / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = list(debs.glob(f"{package}_*.deb"))
    if not found:
        r = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True)
        if r.returncode != 0:
            # A fresh machine may not have package lists yet.
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
        found = list(debs.glob(f"{package}_*.deb"))
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg", "-x", str(found[0]), str(root)], check=True)
    done.touch()
    return root


def _pixels(path: Path) -> int:
    with Image.open(path) as im:
        return im.size[0] * im.size[1]


def training_images() -> list[Path]:
    """One file per distinct picture: packages ship the same picture at several sizes."""
    picked: dict[Path, Path] = {}
    for package in TRAIN_PACKAGES:
        root = fetch(package)
        for f in sorted(root.rglob("*")):
            if f.suffix.lower() not in IMAGE_SUFFIXES or "screenshot" in f.name:
                continue
            # Plasma keeps one folder per picture (images/, images_dark/): keep its largest file.
            key = f.parent if f.parent.name.startswith("images") else f
            if key not in picked or _pixels(f) > _pixels(picked[key]):
                picked[key] = f
    return sorted(picked.values())


def heldout_images() -> list[Path]:
    return sorted(fetch(HELDOUT_PACKAGE).glob(HELDOUT_GLOB))


def to_luma(im: Image.Image) -> np.ndarray:
    """BT.601 limited-range Y, the plane ffmpeg hands a yuv420p encoder, as uint8."""
    rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    y = 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
    return np.clip(np.rint(y), 0, 255).astype(np.uint8)


def resize_area(im: Image.Image, width: int, height: int) -> Image.Image:
    return im.resize((width, height), Image.Resampling.BOX if im.width >= width else Image.Resampling.BICUBIC)


def training_planes(short_sides=(720, 900, 1080, 1440)) -> list[np.ndarray]:
    """Luma of every training picture at video-like scales (wallpapers are 4K-6K; videos are not).

    Cached as .npy next to the data so repeated runs start at once.
    """
    out = []
    for path in training_images():
        tag = hashlib.sha1(f"{path}:{short_sides}".encode()).hexdigest()[:12]
        cache = cache_dir() / "planes" / f"{tag}.npz"
        if cache.exists():
            with np.load(cache) as z:
                out.extend(z[k] for k in sorted(z.files))
            continue
        with Image.open(path) as im:
            im = im.convert("RGB")
            planes = []
            for s in short_sides:
                scale = s / min(im.size)
                if scale > 1:
                    continue
                planes.append(to_luma(resize_area(im, round(im.width * scale), round(im.height * scale))))
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **{f"p{i}": p for i, p in enumerate(planes)})
        out.extend(planes)
    return out


def h264_roundtrip(plane: np.ndarray, crf: int) -> np.ndarray:
    """Encodes a luma plane as one H.264 frame (libx264, yuv420p, neutral chroma) and decodes it."""
    h, w = plane.shape
    # yuv420p needs even sizes: pad by repeating the edge, crop after decoding.
    plane = np.pad(plane, ((0, h % 2), (0, w % 2)), mode="edge")
    eh, ew = plane.shape
    enc = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{ew}x{eh}", "-i", "-", "-c:v", "libx264",
         "-preset", "medium", "-crf", str(crf), "-pix_fmt", "yuv420p", "-f", "h264", "-"],
        input=plane.tobytes(), capture_output=True, check=True).stdout
    dec = subprocess.run(["ffmpeg", "-v", "error", "-f", "h264", "-i", "-", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         input=enc, capture_output=True, check=True).stdout
    return np.frombuffer(dec, dtype=np.uint8)[: ew * eh].reshape(eh, ew)[:h, :w].copy()


def bicubic_half(plane: np.ndarray) -> np.ndarray:
    im = Image.fromarray(plane)
    return np.asarray(im.resize((im.width // 2, im.height // 2), Image.Resampling.BICUBIC))


def compressed_inputs(planes: list[np.ndarray], crfs=range(14, 25)) -> list[np.ndarray]:
    """For each high-resolution plane, its bicubic 2x downscale after an H.264 round trip at a CRF
    drawn from `crfs` (per plane, deterministic): the degradation real video inputs carry. Cached."""
    out = []
    for i, plane in enumerate(planes):
        crf = list(crfs)[int(hashlib.sha1(plane[::97, ::89].tobytes()).hexdigest(), 16) % len(crfs)]
        tag = hashlib.sha1(plane[::31, ::37].tobytes() + f"{plane.shape}:{crf}".encode()).hexdigest()[:16]
        cache = cache_dir() / "h264" / f"{tag}.npy"
        if not cache.exists():
            lr = bicubic_half(plane[: plane.shape[0] // 2 * 2, : plane.shape[1] // 2 * 2])
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, h264_roundtrip(lr, crf))
        out.append(np.load(cache))
    return out


def heldout_frames(width=1280, height=720) -> list[tuple[str, np.ndarray]]:
    """Held-out ground truth: each photo scaled to cover width x height (area), centre crop, luma."""
    frames = []
    for path in heldout_images():
        with Image.open(path) as im:
            im = im.convert("RGB")
            scale = max(width / im.width, height / im.height)
            im = resize_area(im, round(im.width * scale), round(im.height * scale))
            left, top = (im.width - width) // 2, (im.height - height) // 2
            frames.append((path.stem, to_luma(im.crop((left, top, left + width, top + height)))))
    return frames


if __name__ == "__main__":
    imgs = training_images()
    print(f"{len(imgs)} training pictures, {len(heldout_images())} held-out photos")
    planes = training_planes()
    print(f"{len(planes)} planes, {sum(p.size for p in planes) / 1e6:.0f} Mpx")
