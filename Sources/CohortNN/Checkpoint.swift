import CohortTensor
import Foundation

/// Model weights in the safetensors format (8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data), so files move to and from PyTorch.
/// `__metadata__` carries the format version, architecture, input spec and class names.
public struct Checkpoint: Sendable {
    /// Version of Cohort's metadata conventions.
    public static let formatVersion = "1"

    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The state of `model` (parameters and buffers, torchvision names) with `metadata` plus the format version.
    public init(model: Module, metadata: [String: String]) {
        tensors = Dictionary(uniqueKeysWithValues: model.state.map { ($0.name, $0.parameter.value) })
        self.metadata = metadata.merging(["format_version": Self.formatVersion]) { _, new in new }
    }

    /// Errors naming the file and the fix.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Writes the file atomically (temporary file, then rename): a killed process never leaves half a checkpoint.
    /// Tensors named `*num_batches_tracked` are stored as I64 like PyTorch's; the rest as F32. Keys are sorted.
    public func write(to path: String) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let begin = body.count
            if name.hasSuffix("num_batches_tracked") {
                let counts = t.data.map { Int64($0.rounded()).littleEndian }
                counts.withUnsafeBytes { body.append(contentsOf: $0) }
                header[name] = ["dtype": "I64", "shape": t.shape, "data_offsets": [begin, body.count]]
            } else {
                let words = t.data.map { $0.bitPattern.littleEndian }
                words.withUnsafeBytes { body.append(contentsOf: $0) }
                header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [begin, body.count]]
            }
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad the header with spaces to 8-byte alignment
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(body)
        let temporary = path + ".tmp-\(getpid())"
        try file.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw LoadError(message: "\(path): cannot move the checkpoint into place")
        }
    }

    /// Reads a safetensors file (F32, F64, F16 and I64 tensors become float32).
    public static func read(from path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(message: "\(path): cannot read the file or it is shorter than a safetensors header")
        }
        return try read(data: data, path: path)
    }

    /// Parses the bytes of a safetensors file (already read from `path`, which errors name).
    public static func read(data: Data, path: String) throws -> Checkpoint {
        guard data.count >= 8 else {
            throw LoadError(message: "\(path): cannot read the file or it is shorter than a safetensors header")
        }
        let headerLength = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard headerLength > 0, 8 + headerLength <= data.count,
              let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] else {
            throw LoadError(message: "\(path): not a safetensors file (bad header); export weights with safetensors.torch.save_file")
        }
        let bodyStart = 8 + headerLength
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String, let shape = entry["shape"] as? [Int],
                  let offsets = entry["data_offsets"] as? [Int], offsets.count == 2, offsets[0] <= offsets[1],
                  bodyStart + offsets[1] <= data.count else {
                throw LoadError(message: "\(path): tensor \(name) has a malformed header entry")
            }
            let bytes = data.subdata(in: (bodyStart + offsets[0])..<(bodyStart + offsets[1]))
            let count = shape.reduce(1, *)
            let values: [Float]
            switch dtype {
            case "F32" where bytes.count == 4 * count:
                values = bytes.withUnsafeBytes { raw in (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
            case "F64" where bytes.count == 8 * count:
                values = bytes.withUnsafeBytes { raw in (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) } }
            case "I64" where bytes.count == 8 * count:
                values = bytes.withUnsafeBytes { raw in (0..<count).map { Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) } }
            case "F16" where bytes.count == 2 * count:
                values = bytes.withUnsafeBytes { raw in (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) } }
            default:
                throw LoadError(message: "\(path): tensor \(name) has dtype \(dtype) with \(bytes.count) bytes for shape \(shape); F32, F64, F16 and I64 are read")
            }
            tensors[name] = Tensor(shape: shape, data: values)
        }
        let metadata = (header["__metadata__"] as? [String: String]) ?? [:]
        return Checkpoint(tensors: tensors, metadata: metadata)
    }

    /// Copies the tensors into `model`. Every state entry must be present with the same shape, and no tensor may
    /// be left over; the error lists what is missing, unexpected or mis-shaped.
    public func load(into model: Module, architecture: String? = nil) throws {
        if let architecture, let stored = metadata["architecture"], stored != architecture {
            throw LoadError(message: "the checkpoint is a '\(stored)' model, not '\(architecture)'; pass --model \(stored) or another checkpoint")
        }
        let state = model.state
        let expected = Set(state.map(\.name))
        let missing = state.map(\.name).filter { tensors[$0] == nil }
        let unexpected = tensors.keys.filter { !expected.contains($0) }.sorted()
        let misshaped = state.compactMap { entry -> String? in
            guard let t = tensors[entry.name], t.shape != entry.parameter.value.shape else { return nil }
            return "\(entry.name) is \(t.shape) in the file but \(entry.parameter.value.shape) in the model"
        }
        guard missing.isEmpty, unexpected.isEmpty, misshaped.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? " (\(missing.count) in all)" : "")") }
            if !unexpected.isEmpty { parts.append("unexpected: \(unexpected.prefix(5).joined(separator: ", "))\(unexpected.count > 5 ? " (\(unexpected.count) in all)" : "")") }
            parts += misshaped.prefix(5)
            throw LoadError(message: "the checkpoint does not fit this model (check the architecture, input channels and class count): " + parts.joined(separator: "; "))
        }
        for entry in state { entry.parameter.value = tensors[entry.name]! }
    }
}
