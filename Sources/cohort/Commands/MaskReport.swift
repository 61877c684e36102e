import CohortCatalog

/// Prints what attaching masks did.
enum MaskReport {
    static func print(_ r: MaskAttacher.Result) {
        Swift.print("masks: \(r.attached) attached, \(r.alreadyAttached) attached before; " +
                    "\(r.imagesWithSeveralMasks) image(s) have several masks")
        if !r.orphans.isEmpty {
            Swift.print("  \(r.orphans.count) mask file(s) without an image of that name: " + r.orphans.prefix(5).joined(separator: ", ") +
                        (r.orphans.count > 5 ? ", ..." : ""))
        }
        for error in r.errors { printError("error: \(error)") }
    }
}
