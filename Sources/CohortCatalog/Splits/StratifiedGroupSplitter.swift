import CohortCore

/// One labelled image to split, with the keys that must keep it together with others (patient, duplicate
/// content, ...). Images sharing any key, directly or through others, form one group.
public struct SplitItem: Sendable {
    public var imageId: Int64
    public var label: String
    public var groupKeys: [String]

    public init(imageId: Int64, label: String, groupKeys: [String]) {
        self.imageId = imageId
        self.label = label
        self.groupKeys = groupKeys
    }
}

/// Stratified and grouped partitioning at once: no group is divided between partitions, and each partition's
/// size and class counts stay as close to their targets as whole groups allow.
///
/// Algorithm (version 1): groups are formed by union-find over the keys, then placed largest first (ties in a
/// seeded order), each into the partition where it most reduces the squared distance to the targets
/// `ratio_p * N_c` (per class, scaled by 1/N_c) plus `ratio_p * N` (size, scaled by 1/N). The same items, ratios
/// and seed always give the same assignment.
public enum StratifiedGroupSplitter {
    /// Version recorded with every split; bump it when the assignment of the same inputs could change.
    public static let algorithmVersion = 1

    /// The result: partition index and group key of each image.
    public struct Assignment: Sendable, Equatable {
        public var partition: Int
        public var groupKey: String
    }

    /// Assigns every item to one of `ratios.count` partitions (ratios are normalised to sum to 1).
    public static func assign(_ items: [SplitItem], ratios: [Double], seed: UInt64) -> [Int64: Assignment] {
        precondition(!ratios.isEmpty && ratios.allSatisfy { $0 >= 0 } && ratios.reduce(0, +) > 0,
                     "ratios must be non-negative with a positive sum, got \(ratios)")
        let total = ratios.reduce(0, +)
        let shares = ratios.map { $0 / total }
        let groups = formGroups(items)
        let classes = Array(Set(items.map(\.label))).sorted()
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let classTotals = classes.map { c in Double(items.filter { $0.label == c }.count) }
        let n = Double(items.count)
        var counts = [[Double]](repeating: [Double](repeating: 0, count: classes.count), count: shares.count)
        var sizes = [Double](repeating: 0, count: shares.count)
        let rank = { (key: String) in SeededGenerator.mix(stableHash(key) ^ SeededGenerator.mix(seed)) }
        let ordered = groups.sorted { a, b in
            a.members.count != b.members.count ? a.members.count > b.members.count : rank(a.key) < rank(b.key)
        }
        var result: [Int64: Assignment] = [:]
        for group in ordered {
            var vector = [Double](repeating: 0, count: classes.count)
            for member in group.members { vector[classIndex[member.label]!] += 1 }
            let size = Double(group.members.count)
            var best = 0, bestCost = Double.infinity
            var generator = SeededGenerator(seed: seed, stream: stableHash(group.key))
            let offset = Int(generator.next() % UInt64(shares.count))  // seeded tie-break start
            for step in 0..<shares.count {
                let p = (offset + step) % shares.count
                var cost = 0.0
                for c in classes.indices where vector[c] > 0 {
                    let target = shares[p] * classTotals[c]
                    let before = counts[p][c] - target, after = before + vector[c]
                    cost += (after * after - before * before) / classTotals[c]
                }
                let target = shares[p] * n, before = sizes[p] - target, after = before + size
                cost += (after * after - before * before) / n
                if cost < bestCost - 1e-12 { best = p; bestCost = cost }
            }
            for c in classes.indices { counts[best][c] += vector[c] }
            sizes[best] += size
            for member in group.members { result[member.imageId] = Assignment(partition: best, groupKey: group.key) }
        }
        return result
    }

    /// Connected components of items linked by shared keys; each named by its smallest key.
    static func formGroups(_ items: [SplitItem]) -> [(key: String, members: [SplitItem])] {
        var parent = Array(items.indices)
        func find(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        var owner: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            for key in item.groupKeys {
                if let other = owner[key] { parent[find(index)] = find(other) } else { owner[key] = index }
            }
        }
        var components: [Int: [Int]] = [:]
        for index in items.indices { components[find(index), default: []].append(index) }
        return components.values.map { indices in
            let members = indices.map { items[$0] }.sorted { $0.imageId < $1.imageId }
            let key = members.flatMap(\.groupKeys).min() ?? "image:\(members[0].imageId)"
            return (key, members)
        }.sorted { $0.key < $1.key }
    }
}
