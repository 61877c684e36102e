/// Building display images from stored values.
extension MedicalImage {
    /// The display image of `frame`: modality, VOI (as selected) and presentation stages applied for gray
    /// images; colour images scaled by their stored bit depth; palette images expanded to RGB.
    ///
    /// - Throws: ``ImageError`` when pixels were not read, the frame is out of range, or the selection names a
    ///   window or LUT the file does not have.
    public func display(frame: Int = 0, voi: VOISelection = .automatic) throws -> DisplayImage {
        guard let pixels else { throw ImageError(code: .noPixels, message: "pixels were not read (header-only read)") }
        guard frame >= 0 && frame < pixels.frames else {
            throw ImageError(code: .frameOutOfRange, message: "frame \(frame) requested, the image has \(pixels.frames)")
        }
        if photometric == .monochrome1 || photometric == .monochrome2, pixels.format.byteCount <= 2, !pixels.format.isFloatingPoint {
            return try tabulatedGrayscaleDisplay(pixels, frame: frame, voi: voi)
        }
        let values = pixels.floatSamples(frame: frame)
        switch photometric {
        case .monochrome1, .monochrome2:
            return try grayscaleDisplay(values, voi: voi)
        case .palette:
            return paletteDisplay(values)
        case .rgb, .rgba, .grayAlpha:
            let scale = 1 / Float(maximumStoredValue)
            let channels = photometric == .grayAlpha ? 1 : 3
            let stride = pixels.samplesPerPixel
            var out = [Float](repeating: 0, count: pixels.rows * pixels.columns * channels)
            for p in 0..<(pixels.rows * pixels.columns) {
                for c in 0..<channels { out[p * channels + c] = Swift.min(Swift.max(values[p * stride + c] * scale, 0), 1) }
            }
            return DisplayImage(rows: pixels.rows, columns: pixels.columns, channels: channels, values: out)
        }
    }

    /// Largest value the stored bits can hold (`2^bitsStored - 1`, or 1 for float data).
    public var maximumStoredValue: Double {
        if pixels?.format.isFloatingPoint == true { return 1 }
        let bits = Swift.min(Swift.max(metadata.bitsStored, 1), 32)
        return Double((UInt64(1) << UInt64(metadata.isSigned ? bits - 1 : bits)) - 1)
    }

    private func grayscaleDisplay(_ values: [Float], voi: VOISelection) throws -> DisplayImage {
        let modality = grayscale.modality
        let modal = values.map { modality(Double($0)) }
        let stage = try voiStage(voi, modalityValues: modal)
        let invert = grayscale.invert
        let out = modal.map { value -> Float in
            let y = Swift.min(Swift.max(stage(value), 0), 1)
            return Float(invert ? 1 - y : y)
        }
        return DisplayImage(rows: metadata.rows, columns: metadata.columns, channels: 1, values: out)
    }

    /// The same chain for 8- and 16-bit samples through a table over the stored values present: the modality
    /// and VOI functions run once per distinct value instead of once per pixel. Min-max windows see the same
    /// extremes, since they depend only on which values occur.
    private func tabulatedGrayscaleDisplay(_ pixels: PixelArray, frame: Int, voi: VOISelection) throws -> DisplayImage {
        let format = pixels.format
        let size = 1 << (8 * format.byteCount), offset = format.isSigned ? size / 2 : 0
        let count = pixels.samplesPerFrame, start = frame * count
        let table = { (stored: [Int]) throws -> [Float] in try self.displayTable(stored: stored, size: size, offset: offset, voi: voi) }
        let out: [Float] = try pixels.bytes.withUnsafeBytes { raw in
            switch format {
            case .uint8: return try Self.tabulated(raw, UInt8.self, start: start, count: count, size: size, offset: offset, table: table)
            case .int8: return try Self.tabulated(raw, Int8.self, start: start, count: count, size: size, offset: offset, table: table)
            case .uint16: return try Self.tabulated(raw, UInt16.self, start: start, count: count, size: size, offset: offset, table: table)
            default: return try Self.tabulated(raw, Int16.self, start: start, count: count, size: size, offset: offset, table: table)
            }
        }
        return DisplayImage(rows: metadata.rows, columns: metadata.columns, channels: 1, values: out)
    }

    /// The display values of `count` samples of type `T` from `start`: which table indices (sample + `offset`) occur,
    /// the table `table` makes for them, then one lookup per sample. Two passes over the samples, no copies.
    private static func tabulated<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type, start: Int, count: Int, size: Int,
                                                        offset: Int, table: ([Int]) throws -> [Float]) rethrows -> [Float] {
        let samples = UnsafeBufferPointer(rebasing: raw.bindMemory(to: T.self)[start..<(start + count)])
        var present = [Bool](repeating: false, count: size)
        present.withUnsafeMutableBufferPointer { seen in for v in samples { seen[Int(v) + offset] = true } }
        let lookup = try table(present.indices.filter { present[$0] })
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            lookup.withUnsafeBufferPointer { l in for i in 0..<count { buffer[i] = l[Int(samples[i]) + offset] } }
            initialized = count
        }
    }

    /// The display table (indexed by stored value + `offset`) over the `stored` indices present: modality, VOI,
    /// clamping and inversion, run once per distinct value.
    private func displayTable(stored: [Int], size: Int, offset: Int, voi: VOISelection) throws -> [Float] {
        let modality = grayscale.modality
        let modal = stored.map { modality(Double($0 - offset)) }
        let stage = try voiStage(voi, modalityValues: modal)
        let invert = grayscale.invert
        var table = [Float](repeating: 0, count: size)
        for (index, m) in zip(stored, modal) {
            let y = Swift.min(Swift.max(stage(m), 0), 1)
            table[index] = Float(invert ? 1 - y : y)
        }
        return table
    }

    private func voiStage(_ selection: VOISelection, modalityValues: [Double]) throws -> (Double) -> Double {
        switch selection {
        case .automatic:
            if let window = grayscale.windows.first, window.width > 0 { return window.callAsFunction }
            if !grayscale.voiLUTs.isEmpty { return try voiStage(.lut(0), modalityValues: modalityValues) }
            return try voiStage(.minMax, modalityValues: modalityValues)
        case .window(let index):
            guard grayscale.windows.indices.contains(index) else {
                throw ImageError(code: .noSuchWindow,
                                 message: "window \(index) requested; the file has \(grayscale.windows.count) window(s)")
            }
            return grayscale.windows[index].callAsFunction
        case .lut(let index):
            guard grayscale.voiLUTs.indices.contains(index) else {
                throw ImageError(code: .noSuchWindow,
                                 message: "VOI LUT \(index) requested; the file has \(grayscale.voiLUTs.count) VOI LUT(s)")
            }
            let table = grayscale.voiLUTs[index]
            let maximum = table.outputMaximum
            return { table($0) / maximum }
        case .explicit(let window):
            return window.callAsFunction
        case .minMax:
            let low = modalityValues.min() ?? 0, high = modalityValues.max() ?? 1
            let window = Window(center: (low + high) / 2, width: Swift.max(high - low, 1e-9), function: .linearExact)
            return window.callAsFunction
        }
    }

    private func paletteDisplay(_ values: [Float]) -> DisplayImage {
        let count = metadata.rows * metadata.columns
        var out = [Float](repeating: 0, count: count * 3)
        if let palette {
            let scale = 1 / Float((1 << palette.bitsPerEntry) - 1)
            for p in 0..<count {
                let (r, g, b) = palette.entry(for: Int(values[p]))
                out[p * 3] = Float(r) * scale
                out[p * 3 + 1] = Float(g) * scale
                out[p * 3 + 2] = Float(b) * scale
            }
        }
        return DisplayImage(rows: metadata.rows, columns: metadata.columns, channels: 3, values: out)
    }
}
