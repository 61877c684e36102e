#!/usr/bin/env python3
"""Wraps a JPEG 2000 codestream as the single frame of a DICOM file (JPEG 2000 Lossless transfer syntax)."""
import sys

import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless

source, codestream, out = sys.argv[1:4]
ds = pydicom.dcmread(source)
ds.PixelData = encapsulate([open(codestream, "rb").read()])
ds["PixelData"].VR = "OB"
ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
ds.save_as(out, enforce_file_format=True)
