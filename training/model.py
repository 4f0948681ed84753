"""A compact 2x luma super-resolution network, trained wide and folded to plain convolutions.

Trained form: every conv is a re-parameterisable block (3x3 + 1x1 + 1x1-expand-then-3x3 [+ identity]),
all linear, so each folds exactly into one 3x3 conv at export. Inference form: conv3x3 + PReLU layers,
a 3x3 conv to 4 sub-pixel channels, plus a learned linear 5x5 skip from the input (initialised to
bicubic interpolation), then pixel shuffle. The network only learns what bicubic misses.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RepConv(nn.Module):
    def __init__(self, cin: int, cout: int, expand: int = 2):
        super().__init__()
        self.cin, self.cout = cin, cout
        self.k3 = nn.Conv2d(cin, cout, 3, padding=1)
        self.k1 = nn.Conv2d(cin, cout, 1)
        # No bias in the expansion: zero padding then matches the folded conv exactly.
        self.e1 = nn.Conv2d(cin, cout * expand, 1, bias=False)
        self.e3 = nn.Conv2d(cout * expand, cout, 3, padding=1)
        self.identity = cin == cout

    def forward(self, x):
        y = self.k3(x) + self.k1(x) + self.e3(self.e1(x))
        return y + x if self.identity else y

    @torch.no_grad()
    def fold(self) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.k3.weight.clone()
        w += F.pad(self.k1.weight, (1, 1, 1, 1))
        w += torch.einsum("oekl,ei->oikl", self.e3.weight, self.e1.weight[:, :, 0, 0])
        if self.identity:
            for c in range(self.cin):
                w[c, c, 1, 1] += 1.0
        b = self.k3.bias + self.k1.bias + self.e3.bias
        return w, b


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
    def __init__(self, channels: int = 16, layers: int = 2):
        super().__init__()
        self.channels, self.layers = channels, layers
        convs = [RepConv(1, channels)] + [RepConv(channels, channels) for _ in range(layers - 1)]
        self.body = nn.ModuleList(convs)
        self.acts = nn.ModuleList(nn.PReLU(channels) for _ in convs)
        self.tail = RepConv(channels, 4)
        self.skip = nn.Conv2d(1, 4, 5, padding=2)
        with torch.no_grad():
            self.skip.weight.copy_(bicubic_phase_kernels())
            self.skip.bias.zero_()
            # Start as plain bicubic: the residual branch begins silent.
            for m in (self.tail.k3, self.tail.k1, self.tail.e3):
                m.weight.mul_(0.1)
                m.bias.zero_()

    def forward(self, x):
        """x: N x 1 x H x W luma in [0, 1] -> N x 1 x 2H x 2W."""
        h = x
        for conv, act in zip(self.body, self.acts):
            h = act(conv(h))
        return F.pixel_shuffle(self.tail(h) + self.skip(x), 2)


class PlainSRNet(nn.Module):
    """The folded inference network: same function as SRNet, plain convs only."""

    def __init__(self, net: SRNet, in_scale: float = 1.0, out_scale: float = 1.0, out_offset: float = 0.0):
        super().__init__()
        self.convs = nn.ModuleList()
        self.acts = nn.ModuleList()
        with torch.no_grad():
            for i, (rep, act) in enumerate(zip(net.body, net.acts)):
                w, b = rep.fold()
                if i == 0:
                    w = w * in_scale  # input scaling folds into the first conv
                conv = nn.Conv2d(rep.cin, rep.cout, 3, padding=1)
                conv.weight.copy_(w)
                conv.bias.copy_(b)
                self.convs.append(conv)
                p = nn.PReLU(rep.cout)
                p.weight.copy_(act.weight)
                self.acts.append(p)
            w, b = net.tail.fold()
            self.tail = nn.Conv2d(net.channels, 4, 3, padding=1)
            self.tail.weight.copy_(w * out_scale)
            self.tail.bias.copy_(b * out_scale + out_offset)
            self.skip = nn.Conv2d(1, 4, 5, padding=2)
            self.skip.weight.copy_(net.skip.weight * in_scale * out_scale)
            self.skip.bias.copy_(net.skip.bias * out_scale)

    def forward(self, x):
        h = x
        for conv, act in zip(self.convs, self.acts):
            h = act(conv(h))
        return F.pixel_shuffle(self.tail(h) + self.skip(x), 2)


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def macs_per_input_pixel(plain: PlainSRNet) -> int:
    """Multiply-adds per low-resolution pixel (x4 output pixels) of the folded network."""
    total = 0
    for m in plain.modules():
        if isinstance(m, nn.Conv2d):
            total += m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.PReLU):
            total += m.num_parameters
    return total
