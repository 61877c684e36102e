"""pydicom + PyTorch peer of `cohort score`: DICOM files on disk to a CSV of probabilities with mammo-cnn.

Reads every .dcm under FOLDER with pydicom (+pylibjpeg), applies the modality and VOI transforms and MONOCHROME1
inversion, resizes to SIZE x SIZE (bilinear), scales to [0, 1], batches through mammo-cnn with the weights of a
Cohort checkpoint (safetensors; the names match torch's) in a DataLoader with 2 workers, and writes path,p.
Usage: torch_score.py FOLDER CHECKPOINT OUT.csv SIZE
"""
import csv
import os
import sys

import numpy as np
import pydicom
import torch
import torch.nn as nn
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from safetensors.torch import load_file


class Model(nn.Module):
    def __init__(self, size):
        super().__init__()
        layers, cin = [], 1
        for cout in (32, 64, 256, 512):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(512 * (size // 16) ** 2, 128), nn.ReLU(), nn.Dropout(0.3),
                                        nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.classifier(self.features(x))


class Files(torch.utils.data.Dataset):
    def __init__(self, paths, size):
        self.paths, self.size = paths, size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        ds = pydicom.dcmread(self.paths[i])
        a = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds).astype(np.float32)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        if ds.PhotometricInterpretation == "MONOCHROME1":
            a = 1 - a
        t = torch.from_numpy(a)[None, None]
        t = torch.nn.functional.interpolate(t, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return t[0], self.paths[i]


def main():
    folder, checkpoint, out, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(2)
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.endswith(".dcm"))
    model = Model(size)
    state = {k: v for k, v in load_file(checkpoint).items() if not k.startswith("optimizer.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if [m for m in missing if "num_batches" not in m] or unexpected:
        raise SystemExit(f"weights do not match: missing {missing}, unexpected {unexpected}")
    model.eval()
    loader = torch.utils.data.DataLoader(Files(paths, size), batch_size=32, num_workers=2)
    with open(out, "w", newline="") as f, torch.no_grad():
        w = csv.writer(f)
        w.writerow(["path", "p"])
        for x, names in loader:
            p = torch.sigmoid(model(x)).squeeze(1)
            w.writerows(zip(names, p.tolist()))


if __name__ == "__main__":
    main()
