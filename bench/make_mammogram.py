#!/usr/bin/env python3
"""Writes a synthetic mammogram-sized image (3328x4084, 12 bits in 16) as raw little-endian uint16 plus a
dump2dcm header, for bench/decode.sh. Breast-like: a smooth dome of tissue with texture, background zero."""
import math
import random
import sys

import numpy as np

rows, cols = 4084, 3328
out = sys.argv[1]
rng = np.random.default_rng(7)
y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
dome = np.clip(1 - ((y - rows / 2) / (rows * 0.48)) ** 2 - (x / (cols * 0.85)) ** 2, 0, 1)
texture = rng.normal(0, 1, (rows // 16 + 1, cols // 16 + 1)).astype(np.float32)
texture = np.kron(texture, np.ones((16, 16), np.float32))[:rows, :cols]
image = np.where(dome > 0, 800 + 2600 * np.sqrt(dome) + 120 * texture + rng.normal(0, 20, (rows, cols)), 0)
np.clip(image, 0, 4095).astype("<u2").tofile(out + ".raw")
with open(out + ".dump", "w") as f:
    f.write(f"""(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI 1.2.840.10008.5.1.4.1.1.1.2
(0008,0018) UI 1.2.826.0.1.3680043.10.1435.99.3
(0008,0060) CS MG
(0010,0020) LO [BENCH]
(0020,000d) UI 1.2.826.0.1.3680043.10.1435.99.1
(0020,000e) UI 1.2.826.0.1.3680043.10.1435.99.2
(0028,0002) US 1
(0028,0004) CS MONOCHROME2
(0028,0010) US {rows}
(0028,0011) US {cols}
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(7fe0,0010) OW ={out.split('/')[-1]}.raw
""")
