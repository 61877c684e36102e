import CohortCore
import CohortData
import CohortTensor

/// The one place images become tensors: samples `[H, W, C]` to an `[N, C, H, W]` batch.
public enum BatchTensors {
    public static func images(_ samples: [Sample]) -> Tensor {
        precondition(!samples.isEmpty, "an empty batch")
        let (h, w, c) = (samples[0].image.height, samples[0].image.width, samples[0].image.channels)
        var out = Tensor(shape: [samples.count, c, h, w])
        for (n, s) in samples.enumerated() {
            precondition(s.image.height == h && s.image.width == w && s.image.channels == c, "samples of one batch differ in shape")
            for y in 0..<h { for x in 0..<w { for k in 0..<c { out.data[((n * c + k) * h + y) * w + x] = s.image.values[(y * w + x) * c + k] } } }
        }
        return out
    }
}
