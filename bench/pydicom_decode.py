#!/usr/bin/env python3
"""pydicom (+pylibjpeg) peer: median seconds to read and decode each file, same protocol as cohort bench decode."""
import sys
import time

import pydicom

repeats = int(sys.argv[1])
for path in sys.argv[2:]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        array = pydicom.dcmread(path).pixel_array
        assert array.size > 0
        seconds.append(time.perf_counter() - start)
    median = sorted(seconds)[len(seconds) // 2]
    print(f"{path}\t{median:.4f}\t{1 / median:.2f}")
