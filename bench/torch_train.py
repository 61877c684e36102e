"""PyTorch peer of `cohort bench train`: the same model, batch and input size, one process per configuration.

Prints one CSV line: model,batch,size,mode,median_seconds,images_per_second,peak_rss_mb (best of the default
layout and channels_last; Adam fused when this PyTorch supports it on CPU).
"""
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torchvision


def simple_cnn(channels, size, classes):
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, classes))


def mammo_cnn(channels, size, classes):
    layers, cin = [], channels
    for cout in (32, 64, 256, 512):
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
        cin = cout
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * (size // 16) ** 2, 128), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 1))


class UNet(nn.Module):
    """Cohort's `unet` (widths 16/32/64/128, bottleneck 256): double 3x3 conv + BN + ReLU, max-pool down,
    2x2 stride-2 transposed convolutions up, skips concatenated (skip first), 1x1 head."""

    def __init__(self, channels, classes, widths=(16, 32, 64, 128)):
        super().__init__()

        def double(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                 nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

        self.down, cin = nn.ModuleList(), channels
        for w in widths:
            self.down.append(double(cin, w))
            cin = w
        self.bottleneck = double(cin, cin * 2)
        self.up, self.decode, current = nn.ModuleList(), nn.ModuleList(), cin * 2
        for w in reversed(widths):
            self.up.append(nn.ConvTranspose2d(current, w, 2, stride=2))
            self.decode.append(double(2 * w, w))
            current = w
        self.head = nn.Conv2d(current, classes, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, decode in zip(self.up, self.decode):
            x = decode(torch.cat([skips.pop(), up(x)], 1))
        return self.head(x)


def make(name, channels, size, classes):
    if name == "unet":
        return UNet(channels, classes)
    if name == "simple-cnn":
        return simple_cnn(channels, size, classes)
    if name == "mammo-cnn":
        return mammo_cnn(channels, size, classes)
    if name == "resnet18":
        return torchvision.models.resnet18(num_classes=classes)
    if name == "mobilenet-v2":
        return torchvision.models.mobilenet_v2(num_classes=classes)
    raise SystemExit(f"unknown model {name}")


def run(name, batch, size, mode, steps, channels_last):
    torch.manual_seed(1)
    channels = 1 if name in ("mammo-cnn", "unet") else 3
    model = make(name, channels, size, 2)
    x = torch.randn(batch, channels, size, size)
    y = torch.arange(batch) % 2
    if name == "unet":  # per-pixel targets: a square lesion in every image
        y = torch.zeros(batch, size, size, dtype=torch.long)
        y[:, size // 4:size // 2, size // 4:size // 2] = 1
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, fused=True)
    except (RuntimeError, TypeError):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.BCEWithLogitsLoss() if name == "mammo-cnn" else nn.CrossEntropyLoss()
    times = []
    if mode == "inference":
        model.eval()
    for step in range(steps + 1):
        start = time.perf_counter()
        if mode == "inference":
            with torch.no_grad():
                model(x)
        else:
            out = model(x)
            loss = loss_fn(out.squeeze(1), y.float()) if name == "mammo-cnn" else loss_fn(out, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if step > 0:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    name, batch, size, mode, steps, layout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(int(sys.argv[7]) if len(sys.argv) > 7 else 2)
    median = run(name, batch, size, mode, steps, layout == "channels_last")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name},{batch},{size},{mode},{median:.6f},{batch / median:.3f},{rss:.0f}")


if __name__ == "__main__":
    main()
