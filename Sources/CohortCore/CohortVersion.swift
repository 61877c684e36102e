/// The version of the Cohort suite, recorded with every import, run and report.
public enum CohortVersion {
    /// Semantic version of this build.
    public static let string = "0.2.0"
}
