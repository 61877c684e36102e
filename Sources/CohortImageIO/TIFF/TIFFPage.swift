import CohortCore
import CTIFF

/// One TIFF directory's geometry and the decoding of its samples.
struct TIFFPage {
    let width: Int, height: Int, samples: Int, bitsPerSample: Int
    let format: SampleFormat
    let photometric: Int, planar: Int, compression: Int
    let tiled: Bool

    init(handle: TIFFHandle) throws {
        width = handle.u32(TIFFTAG_IMAGEWIDTH) ?? 0
        height = handle.u32(TIFFTAG_IMAGELENGTH) ?? 0
        samples = handle.u16(TIFFTAG_SAMPLESPERPIXEL) ?? 1
        bitsPerSample = handle.u16(TIFFTAG_BITSPERSAMPLE) ?? 1
        photometric = handle.u16(TIFFTAG_PHOTOMETRIC, defaulted: false) ?? 1
        planar = handle.u16(TIFFTAG_PLANARCONFIG) ?? 1
        compression = handle.u16(TIFFTAG_COMPRESSION) ?? 1
        tiled = TIFFIsTiled(handle.tiff) != 0
        let sampleFormat = handle.u16(TIFFTAG_SAMPLEFORMAT) ?? 1
        let container = bitsPerSample <= 8 ? 8 : bitsPerSample <= 16 ? 16 : bitsPerSample <= 32 ? 32 : 64
        switch sampleFormat {
        case 3: format = bitsPerSample == 64 ? .float64 : .float32
        case 2: format = SampleFormat.integer(bits: container, signed: true) ?? .int32
        default: format = SampleFormat.integer(bits: container, signed: false) ?? .uint32
        }
        guard width > 0, height > 0, (1...4).contains(samples), bitsPerSample >= 1, bitsPerSample <= 64,
              sampleFormat != 3 || bitsPerSample == 32 || bitsPerSample == 64 else {
            throw ImageIOError(code: .unsupportedPixelLayout,
                               message: "TIFF page of \(width)x\(height), \(samples) samples of \(bitsPerSample) bits (format \(sampleFormat)) is not supported",
                               path: handle.path)
        }
        if compression == 7, photometric == 6 { _ = ctiff_set_int(handle.tiff, UInt32(TIFFTAG_JPEGCOLORMODE), JPEGCOLORMODE_RGB) }
    }

    func sameGeometry(as other: TIFFPage) -> Bool {
        width == other.width && height == other.height && samples == other.samples && format == other.format
    }

    var compressionName: String {
        [1: "none", 5: "LZW", 7: "JPEG", 8: "Deflate", 32946: "Deflate", 32773: "PackBits", 50000: "zstd",
         34925: "LZMA", 50001: "WebP"][compression] ?? "compression \(compression)"
    }

    func palette(_ handle: TIFFHandle) -> ColorPalette? {
        guard photometric == 3, bitsPerSample <= 16 else { return nil }
        var r: UnsafeMutablePointer<UInt16>?, g: UnsafeMutablePointer<UInt16>?, b: UnsafeMutablePointer<UInt16>?
        guard ctiff_get_colormap(handle.tiff, &r, &g, &b) == 1, let r, let g, let b else { return nil }
        let n = 1 << bitsPerSample
        return ColorPalette(firstMapped: 0, bitsPerEntry: 16, red: Array(UnsafeBufferPointer(start: r, count: n)),
                            green: Array(UnsafeBufferPointer(start: g, count: n)),
                            blue: Array(UnsafeBufferPointer(start: b, count: n)))
    }

    /// The page's samples in `[rows, columns, samples]` order, host (little-endian) byte order.
    ///
    /// Memory stays near the decoded image: the first strip or tile is decoded (its first MiB) before any
    /// image-sized buffer exists, so a damaged header that declares a huge image costs an error, not gigabytes;
    /// strips decode straight into the image when its samples are whole bytes in one plane.
    func samples(_ handle: TIFFHandle) throws -> [UInt8] {
        try probeFirstBlock(handle)
        let planes = planar == 2 ? samples : 1
        let perPlane = planar == 2 ? 1 : samples
        let rowBytes = (width * perPlane * bitsPerSample + 7) / 8
        if planes == 1 && bitsPerSample == format.byteCount * 8 && !tiled {
            return try readStrips(handle, plane: 0, perPlane: perPlane)
        }
        var out = [UInt8](repeating: 0, count: width * height * samples * format.byteCount)
        for plane in 0..<planes {
            let packed = try tiled ? readTiles(handle, plane: plane, perPlane: perPlane)
                                   : readStrips(handle, plane: plane, perPlane: perPlane)
            scatter(packed, rowBytes: rowBytes, perPlane: perPlane, plane: plane, into: &out)
        }
        return out
    }

    /// Decodes up to 1 MiB of the first strip or tile, so that data that cannot produce it fails early.
    private func probeFirstBlock(_ handle: TIFFHandle) throws {
        let size = Int(tiled ? TIFFTileSize(handle.tiff) : TIFFStripSize(handle.tiff))
        var probe = [UInt8](repeating: 0, count: Swift.max(1, Swift.min(size, 1 << 20)))
        let count = probe.count
        let got = probe.withUnsafeMutableBytes { raw in
            tiled ? TIFFReadEncodedTile(handle.tiff, 0, raw.baseAddress, tmsize_t(count)) : TIFFReadEncodedStrip(handle.tiff, 0, raw.baseAddress, tmsize_t(count))
        }
        guard got >= 0 else {
            throw ImageIOError(code: .decodeFailed, message: "the first \(tiled ? "tile" : "strip") cannot be decoded", path: handle.path,
                               libraryMessage: handle.lastError)
        }
    }

    private func readStrips(_ handle: TIFFHandle, plane: Int, perPlane: Int) throws -> [UInt8] {
        let rowBytes = (width * perPlane * bitsPerSample + 7) / 8
        let rowsPerStrip = Swift.max(1, Swift.min(handle.u32(TIFFTAG_ROWSPERSTRIP) ?? height, height))
        let stripsPerPlane = (height + rowsPerStrip - 1) / rowsPerStrip
        var packed = [UInt8](repeating: 0, count: rowBytes * height)
        try packed.withUnsafeMutableBytes { target in
            for s in 0..<stripsPerPlane {
                let index = UInt32(plane * stripsPerPlane + s)
                let start = s * rowsPerStrip * rowBytes
                let got = TIFFReadEncodedStrip(handle.tiff, index, target.baseAddress! + start, tmsize_t(Swift.min(rowsPerStrip * rowBytes, target.count - start)))
                guard got >= 0 else {
                    throw ImageIOError(code: .decodeFailed, message: "strip \(index) cannot be decoded", path: handle.path,
                                       libraryMessage: handle.lastError)
                }
            }
        }
        return packed
    }

    private func readTiles(_ handle: TIFFHandle, plane: Int, perPlane: Int) throws -> [UInt8] {
        guard bitsPerSample % 8 == 0 else {
            throw ImageIOError(code: .unsupportedPixelLayout, message: "tiled TIFF with \(bitsPerSample)-bit samples",
                               path: handle.path)
        }
        let tileWidth = handle.u32(TIFFTAG_TILEWIDTH) ?? width, tileHeight = handle.u32(TIFFTAG_TILELENGTH) ?? height
        let pixelBytes = perPlane * bitsPerSample / 8
        let rowBytes = width * pixelBytes
        var packed = [UInt8](repeating: 0, count: rowBytes * height)
        var tile = [UInt8](repeating: 0, count: Swift.max(Int(TIFFTileSize(handle.tiff)), tileWidth * tileHeight * pixelBytes))
        for y in stride(from: 0, to: height, by: tileHeight) {
            for x in stride(from: 0, to: width, by: tileWidth) {
                let index = TIFFComputeTile(handle.tiff, UInt32(x), UInt32(y), 0, UInt16(plane))
                let got = tile.withUnsafeMutableBytes { TIFFReadEncodedTile(handle.tiff, index, $0.baseAddress, -1) }
                guard got >= 0 else {
                    throw ImageIOError(code: .decodeFailed, message: "tile \(index) cannot be decoded", path: handle.path,
                                       libraryMessage: handle.lastError)
                }
                for row in 0..<Swift.min(tileHeight, height - y) {
                    let n = Swift.min(tileWidth, width - x) * pixelBytes
                    let from = row * tileWidth * pixelBytes, to = (y + row) * rowBytes + x * pixelBytes
                    packed.replaceSubrange(to..<(to + n), with: tile[from..<(from + n)])
                }
            }
        }
        return packed
    }

    /// Copies packed rows into the interleaved output, unpacking sub-byte and 12/14-bit samples (MSB first).
    private func scatter(_ packed: [UInt8], rowBytes: Int, perPlane: Int, plane: Int, into out: inout [UInt8]) {
        let width = format.byteCount
        let aligned = bitsPerSample == width * 8
        for y in 0..<height {
            for x in 0..<self.width {
                for s in 0..<perPlane {
                    let sampleIndex = x * perPlane + s
                    let target = ((y * self.width + x) * samples + plane + s) * width
                    if aligned {
                        let from = y * rowBytes + sampleIndex * width
                        for b in 0..<width { out[target + b] = packed[from + b] }
                    } else {
                        let value = readBits(packed, bitOffset: y * rowBytes * 8 + sampleIndex * bitsPerSample)
                        for b in 0..<width { out[target + b] = UInt8(truncatingIfNeeded: value >> UInt64(8 * b)) }
                    }
                }
            }
        }
    }

    private func readBits(_ bytes: [UInt8], bitOffset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<bitsPerSample {
            let bit = bitOffset + i
            value = value << 1 | UInt64((bytes[bit >> 3] >> UInt8(7 - (bit & 7))) & 1)
        }
        return value
    }
}
