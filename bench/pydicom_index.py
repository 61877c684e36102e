#!/usr/bin/env python3
"""Peer indexer for `bench/import.sh`: what a pydicom-based catalog does per file (hash the content, read the
header without pixels, insert a row into SQLite). PNG/TIFF headers are read with Pillow (lazy, no pixels).
Prints: seconds, files, bytes."""
import hashlib
import os
import sqlite3
import sys
import time

import pydicom
from PIL import Image

root, database = sys.argv[1], sys.argv[2]
start = time.perf_counter()
db = sqlite3.connect(database)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS image (path TEXT PRIMARY KEY, sha256 TEXT, patient TEXT, study TEXT, "
           "modality TEXT, rows INTEGER, columns INTEGER, laterality TEXT, view TEXT)")
files = 0
size = 0
batch = []
for folder, _, names in os.walk(root):
    for name in sorted(names):
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            data = f.read()
        files += 1
        size += len(data)
        digest = hashlib.sha256(data).hexdigest()
        row = None
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            row = (path, digest, str(ds.get("PatientID", "")), str(ds.get("StudyInstanceUID", "")),
                   str(ds.get("Modality", "")), ds.get("Rows"), ds.get("Columns"),
                   str(ds.get("ImageLaterality", ds.get("Laterality", ""))), str(ds.get("ViewPosition", "")))
        except Exception:
            try:
                with Image.open(path) as im:
                    row = (path, digest, None, None, None, im.height, im.width, None, None)
            except Exception:
                pass
        if row:
            batch.append(row)
        if len(batch) >= 64:
            db.executemany("INSERT OR REPLACE INTO image VALUES (?,?,?,?,?,?,?,?,?)", batch)
            db.commit()
            batch = []
db.executemany("INSERT OR REPLACE INTO image VALUES (?,?,?,?,?,?,?,?,?)", batch)
db.commit()
print(f"{time.perf_counter() - start:.4f}\t{files}\t{size}")
