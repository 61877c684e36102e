#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// The three CNNs of the seed papers, with torchvision-style names (`features.N`, `classifier.N`).
public enum PaperModels {
    /// `simple-cnn`: conv3x3 3->16, ReLU, pool, conv3x3 16->32, ReLU, pool; FC 512, 128, classes.
    public static func simpleCNN(channels: Int = 3, height: Int = 224, width: Int = 224, classes: Int) -> Sequential {
        Sequential(named: [
            ("features", Sequential([Conv2d(channels, 16, kernel: 3, padding: 1), ReLU(), MaxPool2d(2),
                                     Conv2d(16, 32, kernel: 3, padding: 1), ReLU(), MaxPool2d(2)])),
            ("classifier", Sequential([Flatten(), Linear(32 * (height / 4) * (width / 4), 512), ReLU(), Linear(512, 128), ReLU(),
                                       Linear(128, classes)])),
        ])
    }

    /// `mammo-cnn`: conv 32/64/256/512 each with BN, ReLU and pool; dense 128, dropout, dense 64, one logit.
    public static func mammoCNN(channels: Int = 1, height: Int = 256, width: Int = 256, dropout: Scalar = 0.3, seed: UInt64 = 0) -> Sequential {
        var features: [Module] = []
        var cin = channels
        for cout in [32, 64, 256, 512] {
            features += [Conv2d(cin, cout, kernel: 3, padding: 1), BatchNorm2d(cout), ReLU(), MaxPool2d(2)]
            cin = cout
        }
        return Sequential(named: [
            ("features", Sequential(features)),
            ("classifier", Sequential([Flatten(), Linear(512 * (height / 16) * (width / 16), 128), ReLU(), Dropout(dropout, seed: seed),
                                       Linear(128, 64), ReLU(), Linear(64, 1)])),
        ])
    }

    /// `paper-cnn`: valid conv3x3 32/64/128 each with ReLU and pool; dense 128, classes.
    public static func paperCNN(channels: Int = 3, height: Int = 512, width: Int = 512, classes: Int = 2) -> Sequential {
        var h = height, w = width
        for _ in 0..<3 { h = (h - 2) / 2; w = (w - 2) / 2 }
        return Sequential(named: [
            ("features", Sequential([Conv2d(channels, 32, kernel: 3), ReLU(), MaxPool2d(2), Conv2d(32, 64, kernel: 3), ReLU(), MaxPool2d(2),
                                     Conv2d(64, 128, kernel: 3), ReLU(), MaxPool2d(2)])),
            ("classifier", Sequential([Flatten(), Linear(128 * h * w, 128), ReLU(), Linear(128, classes)])),
        ])
    }
}
