import ArgumentParser
import CohortCore
import CohortImageIO
import Foundation

/// `cohort convert`: one frame to PNG or TIFF, as stored values or as the display image.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert one frame of an image to PNG or TIFF.",
        discussion: """
            --display (default) applies the DICOM display chain in order: modality LUT or rescale, VOI (the file's \
            first window, or --window, or --voi-lut), then MONOCHROME1 / Presentation LUT inversion, so brighter \
            is always higher. --stored writes the stored values untouched (PNG: unsigned 8/16-bit only; TIFF also \
            float32).

            Examples:
              cohort convert mammo.dcm mammo.png
              cohort convert mammo.dcm mammo.png --window 2048,4096 --bits 16
              cohort convert ct.dcm ct.tif --stored --frame 3
            """
    )

    @Argument(help: "Input DICOM, PNG or TIFF file.") var input: String
    @Argument(help: "Output file ending in .png, .tif or .tiff.") var output: String
    @Option(help: "Frame (page) to convert, 0-based.") var frame = 0
    @Flag(help: "Write stored values.") var stored = false
    @Flag(help: "Write the display image (default).") var display = false
    @Option(help: "Explicit VOI window as CENTER,WIDTH in modality units (LINEAR).") var window: String?
    @Option(name: .customLong("window-index"), help: "Use the file's window at this index (0-based).") var windowIndex: Int?
    @Option(name: .customLong("voi-lut"), help: "Use the file's VOI LUT at this index (0-based).") var voiLUT: Int?
    @Option(help: "Bits per sample of a display PNG: 8 or 16.") var bits = 8

    func validate() throws {
        if stored && display { throw ValidationError("choose one of --stored and --display") }
        if ![8, 16].contains(bits) { throw ValidationError("--bits must be 8 or 16") }
        let ext = (output as NSString).pathExtension.lowercased()
        if !["png", "tif", "tiff"].contains(ext) { throw ValidationError("output must end in .png, .tif or .tiff") }
    }

    func run() throws {
        do {
            let image = try ImageFiles.read(path: input)
            let pixels = stored ? try storedFrame(image) : try displayFrame(image)
            let ext = (output as NSString).pathExtension.lowercased()
            if ext == "png" { try PNGWriter.write(pixels, to: output) } else { try TIFFWriter.write(pixels, to: output) }
        } catch let error as ImageIOError {
            printError("error: \(error)")
            throw ExitCode(1)
        } catch let error as ImageError {
            printError("error: \(input): \(error)")
            throw ExitCode(1)
        }
    }

    private func storedFrame(_ image: MedicalImage) throws -> PixelArray {
        guard let pixels = image.pixels else { throw ImageError(code: .noPixels, message: "no pixels") }
        guard frame < pixels.frames else {
            throw ImageError(code: .frameOutOfRange, message: "frame \(frame) requested, the image has \(pixels.frames)")
        }
        return pixels.frame(frame)
    }

    private func displayFrame(_ image: MedicalImage) throws -> PixelArray {
        let shown = try image.display(frame: frame, voi: try selection())
        let tiff = (output as NSString).pathExtension.lowercased() != "png"
        if tiff { return DisplayExport.float32(shown) }
        return DisplayExport.integers(shown, bits: bits)
    }

    private func selection() throws -> VOISelection {
        if let window {
            let parts = window.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts[1] > 0 else { throw ValidationError("--window wants CENTER,WIDTH with WIDTH > 0") }
            return .explicit(Window(center: parts[0], width: parts[1]))
        }
        if let windowIndex { return .window(windowIndex) }
        if let voiLUT { return .lut(voiLUT) }
        return .automatic
    }
}
