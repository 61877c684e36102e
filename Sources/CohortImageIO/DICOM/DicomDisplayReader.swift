import CohortCore

/// Reads the grayscale display chain and palettes (PS3.3 C.11, C.7.6.3.1.5) from a DICOM file.
struct DicomDisplayReader {
    let file: DicomFile
    let photometric: String

    func transforms(warnings: inout [ImageWarning], leniency: Leniency) throws -> GrayscaleTransforms {
        var chain = GrayscaleTransforms()
        if file.itemCount([.modalityLUTSequence]) > 0, let table = try lut(in: .modalityLUTSequence, item: 0) {
            chain.modality = .lut(table)
        } else {
            let slope = file.doubles(.rescaleSlope)?.first ?? 1
            let intercept = file.doubles(.rescaleIntercept)?.first ?? 0
            chain.modality = .rescale(slope: slope == 0 ? 1 : slope, intercept: intercept)
        }
        chain.windows = windows()
        for item in 0..<file.itemCount([.voiLUTSequence]) {
            if let table = try lut(in: .voiLUTSequence, item: item) { chain.voiLUTs.append(table) }
        }
        let shape = file.string([.presentationLUTShape])?.uppercased()
        let monochrome1 = photometric == "MONOCHROME1"
        // MONOCHROME1 and INVERSE describe the same single inversion (PS3.3 C.8.11.6.1.2); never apply it twice.
        chain.invert = monochrome1 || shape == "INVERSE"
        if leniency == .warn, (shape == "INVERSE" && photometric == "MONOCHROME2") || (shape == "IDENTITY" && monochrome1) {
            warnings.append(ImageWarning(code: "inconsistentPresentationLUT",
                                         message: "Presentation LUT Shape \(shape ?? "") with \(photometric); inverting once"))
        }
        return chain
    }

    private func windows() -> [Window] {
        let centers = file.doubles(.windowCenter) ?? []
        let widths = file.doubles(.windowWidth) ?? []
        let function = Window.Function(rawValue: file.string([.voiLUTFunction])?.uppercased() ?? "LINEAR") ?? .linear
        let explanations = file.strings(.windowExplanation)
        return zip(centers, widths).enumerated().map { index, pair in
            Window(center: pair.0, width: pair.1, function: function,
                   explanation: index < explanations.count ? explanations[index] : nil)
        }
    }

    /// A LUT item: descriptor (entries, first mapped, bits), data; 0 entries means 65536 (PS3.3 C.11.1.1).
    private func lut(in sequence: DicomTag, item: Int) throws -> LookupTable? {
        guard let descriptor = try file.words([sequence, .lutDescriptor], items: [item]), descriptor.count >= 3,
              let data = try file.words([sequence, .lutData], items: [item]), !data.isEmpty else { return nil }
        let declared = descriptor[0] == 0 ? 65536 : Int(descriptor[0])
        // The first-mapped value is US or SS depending on the data it maps; signed images use SS.
        let firstMapped = file.int(.pixelRepresentation) == 1 ? Int(Int16(bitPattern: descriptor[1])) : Int(descriptor[1])
        let bits = Int(descriptor[2])
        var entries = data.prefix(declared).map(Double.init)
        if bits <= 8 && data.count * 2 == declared {
            // 8-bit entries packed two per OW word.
            entries = data.flatMap { [Double($0 & 0xFF), Double($0 >> 8)] }
        }
        return LookupTable(firstMapped: firstMapped, bitsPerEntry: bits, entries: entries,
                           explanation: file.string([sequence, .lutExplanation], items: [item]))
    }

    /// The RGB palette of a PALETTE COLOR image.
    func palette() throws -> ColorPalette? {
        guard let rd = try file.words([.redPaletteDescriptor]), rd.count >= 3,
              let red = try file.words([.redPaletteData]), let green = try file.words([.greenPaletteData]),
              let blue = try file.words([.bluePaletteData]) else { return nil }
        let count = Swift.min(red.count, green.count, blue.count)
        guard count > 0 else { return nil }
        let firstMapped = file.int(.pixelRepresentation) == 1 ? Int(Int16(bitPattern: rd[1])) : Int(rd[1])
        return ColorPalette(firstMapped: firstMapped, bitsPerEntry: Int(rd[2]) == 8 ? 8 : 16,
                            red: Array(red.prefix(count)), green: Array(green.prefix(count)), blue: Array(blue.prefix(count)))
    }
}

/// Expanding palette indices into RGB samples.
enum PaletteExpansion {
    /// `[frames, rows, columns, 1]` indices to `[frames, rows, columns, 3]` palette entries (uint8 or uint16).
    static func rgb(_ pixels: PixelArray, palette: ColorPalette) -> PixelArray {
        let indices = pixels.doubles()
        let wide = palette.bitsPerEntry > 8
        var bytes: [UInt8] = []
        bytes.reserveCapacity(indices.count * 3 * (wide ? 2 : 1))
        for index in indices {
            let (r, g, b) = palette.entry(for: Int(index))
            for v in [r, g, b] {
                if wide { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] } else { bytes.append(UInt8(truncatingIfNeeded: v)) }
            }
        }
        return PixelArray(format: wide ? .uint16 : .uint8, frames: pixels.frames, rows: pixels.rows,
                          columns: pixels.columns, samplesPerPixel: 3, bytes: bytes)
    }
}
