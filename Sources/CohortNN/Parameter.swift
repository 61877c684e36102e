#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// A named tensor of a model's state: a trainable parameter with its gradient, or a buffer (running
/// statistics) that training updates without gradients. Shared by reference between a layer and optimizers.
public final class Parameter: @unchecked Sendable {
    /// What the tensor is, which decides its initialisation and whether it is trained.
    public enum Role: Sendable, Equatable {
        /// Convolution or linear weight with its fan-in (inputs per output: in/groups * kh * kw, or in).
        case weight(fanIn: Int)
        case bias
        case normWeight, normBias
        case runningMean, runningVariance, batchCount
    }

    public let role: Role
    public var value: Tensor
    /// Accumulated gradient (zero after ``zeroGradient()``); unused for buffers.
    public var gradient: Tensor

    public init(_ value: Tensor, role: Role) {
        self.value = value
        self.role = role
        gradient = Tensor(shape: value.shape)
    }

    /// Whether optimizers update it.
    public var isTrainable: Bool {
        switch role {
        case .runningMean, .runningVariance, .batchCount: return false
        default: return true
        }
    }

    public func zeroGradient() {
        for i in gradient.data.indices { gradient.data[i] = 0 }
    }
}

/// A piece of a network: forward and backward side by side, and its state in torchvision's order and names.
///
/// `forward` keeps what `backward` needs; `backward` takes dLoss/dOutput, adds the parameter gradients into
/// ``Parameter/gradient`` and returns dLoss/dInput. Call them in pairs.
public protocol Module: AnyObject {
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ outputGradient: Tensor) -> Tensor
    /// Parameters and buffers with their local names (`weight`, `running_mean`, `0.weight` ...), state-dict order.
    var state: [(name: String, parameter: Parameter)] { get }
}

extension Module {
    /// The trainable parameters, in state order.
    public var parameters: [Parameter] { state.map(\.parameter).filter(\.isTrainable) }

    /// Sets every gradient to zero.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Tells the first layer that the gradient with respect to the network's input will not be read (training
    /// discards it, as PyTorch does for inputs that do not require gradients), so a first convolution skips
    /// computing it and ``backward(_:)`` returns zeros for it. Looks through modules that name the one that
    /// reads their input (``InputLayerProviding``); returns whether a convolution was found first.
    @discardableResult
    public func skipsInputGradient() -> Bool {
        var module: Module = self
        while let container = module as? InputLayerProviding, let first = container.inputLayer { module = first }
        guard let conv = module as? Conv2d else { return false }
        conv.computesInputGradient = false
        return true
    }
}

/// A module made of others, one of which reads the module's own input first.
protocol InputLayerProviding {
    var inputLayer: Module? { get }
}

/// Modules that read an input in channel blocks of 16 (``TensorLayout/channelBlocks16``) as it is and give its
/// gradient back in that layout: convolution, batch norm, ReLU, and containers whose first module does.
protocol ChannelBlockReading {
    var readsChannelBlocks: Bool { get }
}

extension Conv2d: ChannelBlockReading { var readsChannelBlocks: Bool { true } }  // the reference loops convert
extension ReLU: ChannelBlockReading { var readsChannelBlocks: Bool { true } }  // element-wise
extension BatchNorm2d: ChannelBlockReading {
    #if COHORT_DOUBLE
    var readsChannelBlocks: Bool { false }
    #else
    var readsChannelBlocks: Bool { channels % 16 == 0 }
    #endif
}
extension Sequential: ChannelBlockReading, ChannelBlockPlanning {
    var readsChannelBlocks: Bool { (children.first?.module as? ChannelBlockReading)?.readsChannelBlocks ?? false }
}

/// Containers that decide where their convolutions keep channel blocks, given whether their output may leave in
/// them (``Sequential/planChannelBlocks(outputMayBeBlocked:)``, which calls this on its children).
protocol ChannelBlockPlanning: AnyObject {
    func planChannelBlocks(outputMayBeBlocked: Bool)
}

extension Tensor {
    /// This tensor in `layout` (a oneDNN reorder when it is in another; the float64 engine has NCHW only).
    func arranged(_ layout: TensorLayout) -> Tensor {
        #if COHORT_DOUBLE
        precondition(self.layout == layout, "the float64 engine has no blocked layouts")
        return self
        #else
        return inLayout(layout)
        #endif
    }
}

/// Modules in order, named `0`, `1`, ... (or given names), like `torch.nn.Sequential` / named submodules.
public final class Sequential: Module, InputLayerProviding {
    public let children: [(name: String, module: Module)]

    /// Whether this module's output may leave in channel blocks of 16 (the module after it reads them).
    private var outputMayBeBlocked = false

    public convenience init(_ modules: [Module]) { self.init(named: modules.enumerated().map { (String($0.offset), $0.element) }) }
    public init(named: [(String, Module)]) {
        children = named.map { (name: $0.0, module: $0.1) }
        planChannelBlocks(outputMayBeBlocked: false)
    }

    /// Lets each convolution's training output stay in channel blocks of 16 (``TensorLayout/channelBlocks16``)
    /// when everything up to the next module other than a batch norm or ReLU reads that layout as it is: within
    /// this module, or past its end when `outputMayBeBlocked` (the parent's next module reads it).
    func planChannelBlocks(outputMayBeBlocked: Bool) {
        self.outputMayBeBlocked = outputMayBeBlocked
        for i in children.indices {
            var next = i + 1, between = true
            while next < children.count, children[next].module is BatchNorm2d || children[next].module is ReLU {
                between = between && (children[next].module as? ChannelBlockReading)?.readsChannelBlocks == true
                next += 1
            }
            let nextReads = next == children.count ? outputMayBeBlocked : (children[next].module as? ChannelBlockReading)?.readsChannelBlocks ?? false
            let blocksRead = between && nextReads
            if let conv = children[i].module as? Conv2d { conv.keepsBlockedOutput = blocksRead && conv.outChannels % 16 == 0 }
            if let inner = children[i].module as? ChannelBlockPlanning { inner.planChannelBlocks(outputMayBeBlocked: blocksRead) }
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if !training && InferenceFusion.applies { return fusedInference(.plain(input)).tensor }
        // A batch norm followed by a ReLU runs both in one pass (and their backward passes likewise).
        var h = input, i = 0
        while i < children.count {
            precondition(h.layout == .nchw || (children[i].module as? ChannelBlockReading)?.readsChannelBlocks == true,
                         "Sequential: child \(children[i].name) cannot read \(h.layout) (planChannelBlocks let a convolution keep it)")
            if let norm = children[i].module as? BatchNorm2d, let relu = pairedReLU(after: i) {
                h = norm.forward(h, training: training, then: relu)
                i += 2
            } else {
                h = children[i].module.forward(h, training: training)
                i += 1
            }
        }
        precondition(h.layout == .nchw || outputMayBeBlocked, "Sequential: output in \(h.layout) where the next module reads NCHW only")
        return h
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        var g = outputGradient, i = children.count - 1
        while i >= 0 {
            if i > 0, let norm = children[i - 1].module as? BatchNorm2d, let relu = pairedReLU(after: i - 1) {
                g = norm.backward(g, through: relu)
                i -= 2
            } else {
                g = children[i].module.backward(g)
                i -= 1
            }
        }
        return g
    }

    var inputLayer: Module? { children.first?.module }

    /// The ReLU right after child `i`, if any.
    private func pairedReLU(after i: Int) -> ReLU? { i + 1 < children.count ? children[i + 1].module as? ReLU : nil }

    public var state: [(name: String, parameter: Parameter)] {
        children.flatMap { child in child.module.state.map { (name: child.name + "." + $0.name, parameter: $0.parameter) } }
    }
}
