"""A compact 2x luma super-resolution network, trained wide and folded to plain convolutions.

Trained form: every conv is a re-parameterisable block (kxk + 1x1 + 1x1-expand-then-kxk [+ identity]),
all linear, so each folds exactly into one kxk conv at export. Inference form: conv + ReLU layers,
a conv to 4 sub-pixel channels, plus a learned linear 5x5 skip from the input (initialised to bicubic
interpolation), then pixel shuffle. The network only learns what bicubic misses.

ReLU rather than PReLU: onnxruntime fuses conv+ReLU into one blocked (NCHWc) kernel, while PReLU runs
as a separate pass over every feature map; measured, the same body costs about half the CPU time.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RepConv(nn.Module):
    def __init__(self, cin: int, cout: int, k: int = 3, expand: int = 0, rep: bool = True):
        super().__init__()
        self.cin, self.cout, self.k = cin, cout, k
        self.kk = nn.Conv2d(cin, cout, k, padding=k // 2)
        self.rep = rep and k > 1
        self.expand = self.rep and expand > 0
        if self.rep:
            self.k1 = nn.Conv2d(cin, cout, 1)
        if self.expand:
            # No bias in the expansion: zero padding then matches the folded conv exactly.
            self.e1 = nn.Conv2d(cin, cout * expand, 1, bias=False)
            self.ek = nn.Conv2d(cout * expand, cout, k, padding=k // 2)
        self.identity = self.rep and cin == cout

    def forward(self, x):
        y = self.kk(x)
        if self.rep:
            y = y + self.k1(x)
        if self.expand:
            y = y + self.ek(self.e1(x))
        return y + x if self.identity else y

    @torch.no_grad()
    def fold(self) -> tuple[torch.Tensor, torch.Tensor]:
        w, b = self.kk.weight.clone(), self.kk.bias.clone()
        if self.rep:
            p = self.k // 2
            w += F.pad(self.k1.weight, (p, p, p, p))
            b += self.k1.bias
        if self.expand:
            w += torch.einsum("oekl,ei->oikl", self.ek.weight, self.e1.weight[:, :, 0, 0])
            b += self.ek.bias
        if self.identity:
            for c in range(self.cin):
                w[c, c, self.k // 2, self.k // 2] += 1.0
        return w, b

    def branches(self):
        return [self.kk] + ([self.k1] if self.rep else []) + ([self.ek] if self.expand else [])


def bicubic_phase_kernels(a: float = -0.5) -> torch.Tensor:
    """4 x 1 x 5 x 5 kernels whose pixel shuffle is 2x bicubic upsampling (half-pixel centres)."""

    def cubic(t):
        t = abs(t)
        if t <= 1:
            return (a + 2) * t**3 - (a + 3) * t**2 + 1
        if t < 2:
            return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
        return 0.0

    # Output sub-pixel phase p (0 or 1) sits at input offset -0.25 (p=0) or +0.25 (p=1).
    taps = {}
    for p, off in ((0, -0.25), (1, 0.25)):
        taps[p] = [cubic(k - off) for k in range(-2, 3)]
    w = torch.zeros(4, 1, 5, 5)
    for py in (0, 1):
        for px in (0, 1):
            w[py * 2 + px, 0] = torch.outer(torch.tensor(taps[py]), torch.tensor(taps[px]))
    return w


class SRNet(nn.Module):
    """`layers` conv+ReLU layers of `channels` (the first with a `first_kernel` square kernel, the rest
    3x3), a `tail_kernel` conv to the 4 sub-pixel phases, and the learned 5x5 linear skip."""

    def __init__(self, channels: int = 16, layers: int = 4, first_kernel: int = 3, tail_kernel: int = 1, expand: int = 0):
        super().__init__()
        self.channels, self.layers = channels, layers
        self.first_kernel, self.tail_kernel = first_kernel, tail_kernel
        convs = [RepConv(1, channels, first_kernel, expand)] + [RepConv(channels, channels, 3, expand) for _ in range(layers - 1)]
        self.body = nn.ModuleList(convs)
        self.tail = RepConv(channels, 4, tail_kernel, expand)
        self.skip = nn.Conv2d(1, 4, 5, padding=2)
        with torch.no_grad():
            self.skip.weight.copy_(bicubic_phase_kernels())
            self.skip.bias.zero_()
            # Start as plain bicubic: the residual branch begins silent (and learns from the first step).
            for m in self.tail.branches():
                m.weight.zero_()
                m.bias.zero_()

    def receptive_radius(self) -> int:
        """How many input pixels each side an output depends on (the engine's strips carry 8)."""
        return max(2, self.first_kernel // 2 + (self.layers - 1) + self.tail_kernel // 2)

    def config(self) -> dict:
        return {"channels": self.channels, "layers": self.layers, "first_kernel": self.first_kernel, "tail_kernel": self.tail_kernel}

    def forward(self, x):
        """x: N x 1 x H x W luma in [0, 1] -> N x 1 x 2H x 2W."""
        h = x
        for conv in self.body:
            h = F.relu(conv(h))
        return F.pixel_shuffle(self.tail(h) + self.skip(x), 2)


def plain_conv(rep: RepConv, scale: float = 1.0, bias_scale: float = 1.0, bias_offset: float = 0.0) -> nn.Conv2d:
    w, b = rep.fold()
    conv = nn.Conv2d(rep.cin, rep.cout, rep.k, padding=rep.k // 2)
    conv.weight.copy_(w * scale)
    conv.bias.copy_(b * bias_scale + bias_offset)
    return conv


class PlainSRNet(nn.Module):
    """The folded inference network: same function as SRNet, plain convs only. Input and output
    scaling (e.g. 0-255 pixel values) fold into the first conv, the tail and the skip."""

    def __init__(self, net: SRNet, in_scale: float = 1.0, out_scale: float = 1.0, out_offset: float = 0.0):
        super().__init__()
        with torch.no_grad():
            # ReLU commutes with a positive scale: the input scale folds into the first conv's weights.
            self.convs = nn.ModuleList(plain_conv(rep, in_scale if i == 0 else 1.0) for i, rep in enumerate(net.body))
            self.tail = plain_conv(net.tail, out_scale, out_scale, out_offset)
            self.skip = nn.Conv2d(1, 4, 5, padding=2)
            self.skip.weight.copy_(net.skip.weight * in_scale * out_scale)
            self.skip.bias.copy_(net.skip.bias * out_scale)

    def forward(self, x):
        h = x
        for conv in self.convs:
            h = F.relu(conv(h))
        return F.pixel_shuffle(self.tail(h) + self.skip(x), 2)


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def macs_per_input_pixel(plain: PlainSRNet) -> int:
    """Multiply-adds per low-resolution pixel (x4 output pixels) of the folded network."""
    return sum(m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1] for m in plain.modules() if isinstance(m, nn.Conv2d))
