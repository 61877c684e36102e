import CohortCore
import COpenJPEG

/// Decodes JPEG 2000 (and HTJ2K) encapsulated frames with OpenJPEG; DCMTK's free edition has no J2K codec.
struct JPEG2000FrameDecoder {
    let file: DicomFile
    let attributes: PixelAttributes
    let format: SampleFormat
    /// Threads OpenJPEG may use for one frame (large single images gain; batch readers pass 1).
    var threads: Int { attributes.rows * attributes.columns >= 1 << 20 ? Int(opj_get_num_cpus()) : 1 }

    func decode(fragmentCount: Int) throws -> PixelArray {
        let frames = try frameCodestreams(fragmentCount: fragmentCount)
        let a = attributes
        var bytes: [UInt8] = []
        bytes.reserveCapacity(a.frames * a.rows * a.columns * a.samplesPerPixel * format.byteCount)
        for (index, codestream) in frames.enumerated() {
            try decodeFrame(codestream, index: index, into: &bytes)
        }
        var out = bytes
        if a.isSigned, a.bitsStored < a.bitsAllocated { NativeLayout.signExtend(&out, format: format, bitsStored: a.bitsStored) }
        return PixelArray(format: format, frames: a.frames, rows: a.rows, columns: a.columns,
                          samplesPerPixel: a.samplesPerPixel, bytes: out)
    }

    /// Groups fragments into one codestream per frame (PS3.5 A.4): one fragment each, all for one frame,
    /// by Basic Offset Table, or else by the SOC marker that starts every codestream.
    private func frameCodestreams(fragmentCount: Int) throws -> [[UInt8]] {
        let frames = attributes.frames
        let fragments = try (0..<fragmentCount).map { try file.fragment($0) }
        if fragments.count == frames { return fragments }
        if frames == 1 { return [fragments.flatMap { $0 }] }
        let table = file.offsetTable()
        var groups: [[UInt8]] = []
        if table.count == frames {
            var position: UInt32 = 0
            for fragment in fragments {
                if let index = table.firstIndex(of: position), index == groups.count { groups.append([]) }
                if groups.isEmpty { groups.append([]) }
                groups[groups.count - 1] += fragment
                position += UInt32(fragment.count + 8)
            }
        } else {
            for fragment in fragments {
                if fragment.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) || groups.isEmpty { groups.append([]) }
                groups[groups.count - 1] += fragment
            }
        }
        guard groups.count == frames else {
            throw ImageIOError(code: .malformed,
                               message: "\(fragments.count) JPEG 2000 fragments could not be grouped into \(frames) frames",
                               path: file.path)
        }
        return groups
    }

    private func decodeFrame(_ codestream: [UInt8], index: Int, into bytes: inout [UInt8]) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard let image = codestream.withUnsafeBufferPointer({ coj_decode($0.baseAddress, $0.count, Int32(threads), &message) }) else {
            throw ImageIOError(code: .decodeFailed, message: "frame \(index): the JPEG 2000 codestream is corrupt",
                               path: file.path, libraryMessage: String(cString: message))
        }
        defer { opj_image_destroy(image) }
        let a = attributes
        guard Int(image.pointee.numcomps) >= a.samplesPerPixel else {
            throw ImageIOError(code: .decodeFailed,
                               message: "frame \(index): codestream has \(image.pointee.numcomps) components, expected \(a.samplesPerPixel)",
                               path: file.path)
        }
        var planes: [UnsafeMutablePointer<Int32>] = []
        for c in 0..<a.samplesPerPixel {
            guard let component = coj_component(image, UInt32(c)), let data = component.pointee.data,
                  Int(component.pointee.w) == a.columns, Int(component.pointee.h) == a.rows else {
                throw ImageIOError(code: .decodeFailed,
                                   message: "frame \(index): component \(c) does not match \(a.rows)x\(a.columns) (subsampled or truncated)",
                                   path: file.path)
            }
            planes.append(data)
        }
        let pixels = a.rows * a.columns
        let width = format.byteCount
        let start = bytes.count
        bytes += [UInt8](repeating: 0, count: pixels * a.samplesPerPixel * width)
        bytes.withUnsafeMutableBytes { raw in
            let spp = a.samplesPerPixel
            switch width {
            case 1:
                let out = raw.bindMemory(to: UInt8.self).baseAddress! + start
                for c in 0..<spp { for p in 0..<pixels { out[p * spp + c] = UInt8(truncatingIfNeeded: planes[c][p]) } }
            case 2:
                let out = (raw.baseAddress! + start).assumingMemoryBound(to: UInt16.self)
                for c in 0..<spp { for p in 0..<pixels { out[p * spp + c] = UInt16(truncatingIfNeeded: planes[c][p]) } }
            default:
                let out = (raw.baseAddress! + start).assumingMemoryBound(to: UInt32.self)
                for c in 0..<spp { for p in 0..<pixels { out[p * spp + c] = UInt32(truncatingIfNeeded: planes[c][p]) } }
            }
        }
    }
}
