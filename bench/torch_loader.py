#!/usr/bin/env python3
"""PyTorch peer for bench/data.sh: a DataLoader over the same images with the same transforms (gray, resize to
SIZE x SIZE, horizontal flip p=0.5, rotation +-15 degrees, brightness/contrast 0.1, 3 channels, ImageNet
normalisation), batch 32, 2 workers. Prints one line per epoch: epoch, samples, seconds, samples/s."""
import sys
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

files = [line.strip() for line in open(sys.argv[1]) if line.strip()]
epochs, size, batch = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)

transform = transforms.Compose([
    transforms.Grayscale(1),
    transforms.Resize((size, size)),
    transforms.RandomHorizontalFlip(0.5),
    transforms.RandomRotation(15),
    transforms.ColorJitter(brightness=0.1, contrast=0.1),
    transforms.Grayscale(3),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


class Files(Dataset):
    def __len__(self):
        return len(files)

    def __getitem__(self, i):
        with Image.open(files[i]) as image:
            return transform(image.convert("L")), 0


loader = DataLoader(Files(), batch_size=batch, shuffle=True, num_workers=2, persistent_workers=False)
for epoch in range(epochs):
    start = time.perf_counter()
    count = 0
    for images, _ in loader:
        count += images.shape[0]
    seconds = time.perf_counter() - start
    print(f"epoch\t{epoch + 1}\t{count}\t{seconds:.3f}\t{count / seconds:.1f}", flush=True)
