import CohortCatalog

/// Per-epoch metrics of one training run, for curves (several runs can be overlaid).
public struct TrainingHistory: Sendable {
    public struct Row: Sendable, Equatable {
        public var epoch: Int
        /// `train` or `validation`.
        public var phase: String
        public var loss: Double, accuracy: Double?
    }

    public var name: String
    public var rows: [Row]

    public init(name: String, rows: [Row]) {
        self.name = name
        self.rows = rows
    }

    /// Reads a CSV with columns `epoch`, `phase` (train/validation), `loss` and optionally `accuracy`.
    public static func load(csv path: String, name: String) throws -> TrainingHistory {
        let table = try CSVFile(path: path)
        func column(_ n: String) -> Int? { table.header.firstIndex(of: n) }
        guard let epoch = column("epoch"), let phase = column("phase"), let loss = column("loss") else {
            throw ReportError(code: .input, message: "a history CSV needs columns epoch, phase, loss (and accuracy)", path: path)
        }
        let accuracy = column("accuracy")
        let rows = try table.rows.enumerated().map { (line, r) -> Row in
            guard let e = Int(r[epoch]), let l = Double(r[loss]) else {
                throw ReportError(code: .input, message: "line \(line + 2): epoch and loss must be numbers", path: path)
            }
            return Row(epoch: e, phase: r[phase], loss: l, accuracy: accuracy.flatMap { Double(r[$0]) })
        }
        return TrainingHistory(name: name, rows: rows)
    }
}
