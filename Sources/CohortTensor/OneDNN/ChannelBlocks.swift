import CDNNL

extension Tensor {
    /// The same values in `target` (`[N, C, H, W]` with C a multiple of 16 for ``TensorLayout/channelBlocks16``):
    /// this tensor when already there, else a reorder through oneDNN, which fails only when memory runs out (and
    /// then this stops the process with oneDNN's status).
    public func inLayout(_ target: TensorLayout) -> Tensor {
        guard target != layout else { return self }
        precondition(shape.count == 4 && shape[1] % 16 == 0, "Tensor \(shape): channel blocks of 16 need [N, C, H, W] with C a multiple of 16")
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        guard let (engine, stream) = ConvolutionScratch.engine else { preconditionFailure("oneDNN could not create a CPU engine") }
        var output = Tensor.uninitialized(shape)
        output.layout = target
        let status = data.withUnsafeBufferPointer { from in
            output.data.withUnsafeMutableBufferPointer { to in
                cdnnl_reorder_channel_blocks(from.baseAddress, to.baseAddress, Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3]),
                                             target == .channelBlocks16 ? 1 : 0, engine, stream)
            }
        }
        precondition(status == 0, "oneDNN could not reorder a \(shape) activation to \(target) (status \(status))")
        return output
    }
}
