"""Trains the 2x luma network on CPU (or a GPU when present) and exports ONNX.

    python train.py --out runs/full --steps 60000          # the committed model's recipe
    python train.py --out runs/reduced --reduced           # under an hour on 2 cores
    python train.py --data DIR --steps 5 --out DIR         # a smoke run on any folder of images

Checkpoints every --save-every steps into --out and resumes from there when restarted.
"""

import argparse
import hashlib
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import data
import model as M


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="run folder: checkpoints, log, exported model")
    p.add_argument("--data", help="folder of images to train on instead of the Debian wallpaper packages")
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--steps", type=int, default=60000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=128, help="high-resolution crop side")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save-every", type=int, default=1000)
    p.add_argument("--val-every", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--compressed", type=float, default=0.0, help="share of batches whose input went through H.264 (CRF 14-24)")
    p.add_argument("--init", help="start from this state dict (fine-tuning), when the run has no checkpoint yet")
    p.add_argument("--reduced", action="store_true", help="the one-hour CPU recipe (fewer steps, fewer scales)")
    p.add_argument("--export", help="write the ONNX model here when done (default: OUT/model.onnx)")
    a = p.parse_args(argv)
    if a.reduced:
        a.steps = min(a.steps, 12000)
    return a


def is_validation(path: Path) -> bool:
    """About 1 in 8 training-package pictures is kept aside to pick checkpoints (not the held-out set)."""
    return int(hashlib.sha1(path.name.encode()).hexdigest(), 16) % 8 == 0


def load_planes(args):
    if args.data:
        files = sorted(f for f in Path(args.data).rglob("*") if f.suffix.lower() in data.IMAGE_SUFFIXES)
        planes = []
        for f in files:
            with Image.open(f) as im:
                planes.append(data.to_luma(im))
        return planes, planes[:1]
    scales = (720, 1080) if args.reduced else (720, 900, 1080, 1440)
    train, val = [], []
    for path in data.training_images():
        (val if is_validation(path) else train).append(path)
    all_planes = data.training_planes(scales)
    # training_planes keeps picture order; map planes back to their pictures by re-deriving per file.
    per_file = []
    for path in data.training_images():
        with Image.open(path) as im:
            short = min(im.size)
        per_file.append((path, sum(1 for s in scales if s / short <= 1)))
    t_planes, v_planes, i = [], [], 0
    for path, n in per_file:
        (v_planes if is_validation(path) else t_planes).extend(all_planes[i : i + n])
        i += n
    return t_planes, v_planes


class Sampler:
    def __init__(self, planes, patch, rng: random.Random):
        # Keep indices aligned with `inputs` lists: small planes get zero weight instead of being dropped.
        self.planes = planes
        if not any(min(p.shape) >= patch for p in planes):
            raise SystemExit(f"no image is at least {patch}px on its short side")
        weights = np.array([p.size if min(p.shape) >= patch else 0 for p in self.planes], dtype=np.float64)
        self.cdf = np.cumsum(weights / weights.sum())
        self.patch, self.rng = patch, rng

    def crop(self, inputs=None) -> tuple[np.ndarray, np.ndarray | None]:
        """A high-resolution crop at even coordinates, and the matching crop of `inputs` (half size) if given."""
        for _ in range(20):
            i = int(np.searchsorted(self.cdf, self.rng.random()))
            plane = self.planes[i]
            y = self.rng.randrange((plane.shape[0] - self.patch) // 2 + 1) * 2
            x = self.rng.randrange((plane.shape[1] - self.patch) // 2 + 1) * 2
            c = plane[y : y + self.patch, x : x + self.patch]
            # Flat sky teaches nothing: mostly skip crops without texture.
            if c.std() > 2.0 or self.rng.random() < 0.3:
                break
        lr = None if inputs is None else inputs[i][y // 2 : (y + self.patch) // 2, x // 2 : (x + self.patch) // 2]
        k = self.rng.randrange(8)

        def orient(a):
            a = np.rot90(a, k % 4)
            return np.ascontiguousarray(a[:, ::-1] if k >= 4 else a)

        return orient(c), None if lr is None else orient(lr)

    def batch(self, n, inputs=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        pairs = [self.crop(inputs) for _ in range(n)]
        hr = torch.from_numpy(np.stack([p[0] for p in pairs])).float().div_(255).unsqueeze(1)
        if inputs is None:
            return hr, None
        return hr, torch.from_numpy(np.stack([p[1] for p in pairs])).float().div_(255).unsqueeze(1)


def degrade(hr: torch.Tensor, how: str) -> torch.Tensor:
    """2x downscale as real inputs are made (bicubic/bilinear with antialiasing, or area), then 8-bit."""
    if how == "area":
        lr = F.avg_pool2d(hr, 2)
    else:
        lr = F.interpolate(hr, scale_factor=0.5, mode=how, antialias=True, align_corners=False)
    return lr.mul(255).round_().clamp_(0, 255).div_(255)


DEGRADATIONS = ["bicubic", "bicubic", "area", "bilinear"]


def psnr(a: torch.Tensor, b: torch.Tensor, border: int = 4) -> float:
    a = a[..., border:-border, border:-border].mul(255).round().clamp(0, 255)
    b = b[..., border:-border, border:-border].mul(255)
    mse = F.mse_loss(a, b).item()
    return 10 * math.log10(255**2 / max(mse, 1e-10))


def validation_set(planes, patch=256):
    crops = []
    for p in planes:
        h, w = p.shape
        if min(h, w) < patch:
            continue
        crops.append(p[(h - patch) // 2 : (h + patch) // 2, (w - patch) // 2 : (w + patch) // 2])
    hr = torch.from_numpy(np.stack(crops)).float().div(255).unsqueeze(1)
    return hr, degrade(hr, "bicubic")


def export_onnx(net: M.SRNet, path: str):
    """uint8 luma + uint8 chroma in, uint8 out: the engine copies decoder planes straight in and out."""
    plain = M.PlainSRNet(net, in_scale=1 / 255, out_scale=255, out_offset=0.5).eval()

    class Deployed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.plain = plain

        def forward(self, y, uv):
            y2 = self.plain(y.float()).clamp(0, 255).to(torch.uint8)
            # Chroma: bilinear (ORT's cubic Resize costs ~30 ms a 360p frame; bilinear under 1 ms).
            uv2 = F.interpolate(uv.float(), scale_factor=2.0, mode="bilinear", align_corners=False)
            return y2, uv2.add(0.5).clamp(0, 255).to(torch.uint8)

    y = torch.randint(0, 256, (1, 1, 36, 64), dtype=torch.uint8)
    uv = torch.randint(0, 256, (1, 2, 18, 32), dtype=torch.uint8)
    torch.onnx.export(
        Deployed(),
        (y, uv),
        path,
        input_names=["y", "uv"],
        output_names=["y2", "uv2"],
        dynamic_axes={"y": {2: "h", 3: "w"}, "uv": {2: "ch", 3: "cw"}, "y2": {2: "h2", 3: "w2"}, "uv2": {2: "ch2", 3: "cw2"}},
        opset_version=17,
        dynamo=False,
    )
    return plain


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    # Tiny Adam moments and gradients turn denormal after a few thousand steps and make CPU steps ~10x slower.
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "train.log", "a")

    def say(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    train_planes, val_planes = load_planes(args)
    sampler = Sampler(train_planes, args.patch, rng)
    compressed = data.compressed_inputs(train_planes) if args.compressed > 0 else None
    val_hr, val_lr = validation_set(val_planes, min(256, min(min(p.shape) for p in val_planes) // 2 * 2))
    net = M.SRNet(args.channels, args.layers)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    step, best = 0, -1.0
    ckpt = out / "checkpoint.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        step, best = state["step"], state["best"]
        rng.setstate(state["rng"])
        say(f"resumed at step {step}")
    elif args.init:
        net.load_state_dict(torch.load(args.init))
        say(f"initialised from {args.init}")
    say(f"{len(train_planes)} training planes, {len(val_planes)} validation planes, params(trained)={M.count_params(net)}")

    bicubic_val = psnr(F.interpolate(val_lr, scale_factor=2, mode="bicubic", align_corners=False), val_hr)
    val_inputs = [val_lr]
    if args.compressed > 0:
        # Checkpoints are then picked on clean and H.264 (CRF 20) input alike.
        to_u8 = lambda t: t[0, 0].mul(255).round().byte().numpy()
        val_inputs.append(torch.stack([torch.from_numpy(data.h264_roundtrip(to_u8(t[None]), 20)) for t in val_lr]).float().div(255).unsqueeze(1))
    warmup = min(500, args.steps // 10 + 1)
    t0, losses = time.time(), []
    while step < args.steps:
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        if compressed is not None and rng.random() < args.compressed:
            hr, lr_img = sampler.batch(args.batch, compressed)
        else:
            hr, _ = sampler.batch(args.batch)
            lr_img = degrade(hr, DEGRADATIONS[step % len(DEGRADATIONS)])
        loss = F.l1_loss(net(lr_img), hr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        last = step == args.steps
        if step % args.val_every == 0 or last:
            net.eval()
            with torch.no_grad():
                v = float(np.mean([psnr(net(x), val_hr) for x in val_inputs]))
            net.train()
            if v > best:
                best = v
                torch.save(net.state_dict(), out / "best.pt")
            say(f"step {step} loss {np.mean(losses[-200:]):.5f} val PSNR-Y {v:.2f} (bicubic {bicubic_val:.2f}, best {best:.2f}) {(time.time() - t0) / max(1, len(losses)):.3f}s/step")
        if step % args.save_every == 0 or last:
            torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "best": best, "bicubic_val": bicubic_val, "rng": rng.getstate(), "args": vars(args)}, ckpt)
    if (out / "best.pt").exists():
        net.load_state_dict(torch.load(out / "best.pt"))
    target = args.export or str(out / "model.onnx")
    plain = export_onnx(net.eval(), target)
    meta = {
        "channels": args.channels,
        "layers": args.layers,
        "params": M.count_params(plain),
        "macs_per_input_pixel": M.macs_per_input_pixel(plain),
        "steps": step,
        "validation_psnr_y": best,
        "validation_bicubic_psnr_y": bicubic_val,
        "train_seconds": round(time.time() - t0),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    say(f"exported {target}: {json.dumps(meta)}")


if __name__ == "__main__":
    main()
