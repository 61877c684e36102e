import Foundation
import Yams

/// The data section of an experiment (YAML or flags): preprocessing, augmentation, loading and cache.
///
/// ```yaml
/// data:
///   size: [224, 224]          # height, width
///   resize: stretch           # stretch | pad
///   intensity: voi            # voi | minmax | window (then window: [center, width])
///   crop_to_foreground: false
///   orientation: none         # none | laterality | auto
///   normalization: unit       # unit | symmetric | zscore | imagenet
///   channels: 1
///   augmentation: {horizontal_flip: 0.5, rotation_degrees: 15, per_class: {malignant: {horizontal_flip: 0.9}}}
///   batch_size: 8
///   seed: 7
///   class_balanced: false
///   cache: catalogs/cache
/// ```
public struct DataSettings: Sendable {
    public var preprocessing = Preprocessing()
    public var augmentation = AugmentationPolicy()
    public var loader = LoaderOptions()
    /// Folder of the prepared-sample cache (nil: no cache).
    public var cacheFolder: String?

    public init() {}

    static let keys: Set<String> = ["size", "resize", "intensity", "window", "crop_to_foreground", "orientation",
                                    "normalization", "channels", "augmentation", "batch_size", "seed", "class_balanced", "cache"]

    /// Reads the `data` section of the YAML file at `path` (a file without one gives the defaults).
    public static func load(yamlFile path: String) throws -> DataSettings {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DataError(code: .configuration, message: "cannot read the experiment file", path: path)
        }
        do {
            guard let root = try Yams.load(yaml: text) as? [String: Any] else { return DataSettings() }
            guard let data = root["data"] as? [String: Any] else { return DataSettings() }
            if let unknown = Set(data.keys).subtracting(keys).sorted().first {
                throw DataError(code: .configuration,
                                message: "unknown key data.\(unknown); known keys: \(keys.sorted().joined(separator: ", "))", path: path)
            }
            return try parse(data, augmentationYAML: try Yams.dump(object: ["augmentation": data["augmentation"] ?? [String: Any]()]), path: path)
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(code: .configuration, message: "not valid YAML: \(error)", path: path)
        }
    }

    private static func parse(_ d: [String: Any], augmentationYAML: String, path: String) throws -> DataSettings {
        var s = DataSettings()
        func fail(_ message: String) -> DataError { DataError(code: .configuration, message: message, path: path) }
        if let size = d["size"] as? [Int], size.count == 2 { (s.preprocessing.height, s.preprocessing.width) = (size[0], size[1]) }
        else if d["size"] != nil { throw fail("data.size is [height, width], e.g. [224, 224]") }
        if let text = d["resize"] as? String {
            guard let value = Preprocessing.Resize(rawValue: text) else { throw fail("data.resize is stretch or pad, not \(text)") }
            s.preprocessing.resize = value
        }
        switch d["intensity"] as? String {
        case nil, "voi": s.preprocessing.intensity = .fileVOI
        case "minmax": s.preprocessing.intensity = .minMax
        case "window":
            guard let w = d["window"] as? [Any], w.count == 2, let c = Double("\(w[0])"), let width = Double("\(w[1])"), width > 0 else {
                throw fail("data.intensity window needs data.window: [center, width] with width > 0")
            }
            s.preprocessing.intensity = .window(center: c, width: width)
        case let other?: throw fail("data.intensity is voi, minmax or window, not \(other)")
        }
        s.preprocessing.cropToForeground = d["crop_to_foreground"] as? Bool ?? false
        if let text = d["orientation"] as? String {
            guard let value = Preprocessing.Orientation(rawValue: text) else { throw fail("data.orientation is none, laterality or auto") }
            s.preprocessing.orientation = value
        }
        if let text = d["normalization"] as? String {
            guard let value = Preprocessing.Normalization(rawValue: text) else {
                throw fail("data.normalization is unit, symmetric, zscore or imagenet, not \(text)")
            }
            s.preprocessing.normalization = value
        }
        if let channels = d["channels"] as? Int {
            guard channels == 1 || channels == 3 else { throw fail("data.channels is 1 or 3") }
            s.preprocessing.channels = channels
        }
        struct Wrapper: Decodable { var augmentation: AugmentationPolicy }
        s.augmentation = try YAMLDecoder().decode(Wrapper.self, from: augmentationYAML).augmentation
        if let b = d["batch_size"] as? Int { guard b > 0 else { throw fail("data.batch_size must be positive") }; s.loader.batchSize = b }
        if let seed = d["seed"] as? Int { s.loader.seed = UInt64(bitPattern: Int64(seed)) }
        s.loader.classBalanced = d["class_balanced"] as? Bool ?? false
        s.cacheFolder = d["cache"] as? String
        return s
    }
}
