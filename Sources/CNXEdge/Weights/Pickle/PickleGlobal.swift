/// Element type of a PyTorch storage, named by its legacy storage class (`torch.FloatStorage`) or
/// its dtype (`torch.float32`).
enum ElementKind: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// The legacy storage class name, e.g. `FloatStorage`.
    var storageClassName: String {
        switch self {
        case .float32: "FloatStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .float64: "DoubleStorage"
        case .int64: "LongStorage"
        case .int32: "IntStorage"
        case .int16: "ShortStorage"
        case .int8: "CharStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        }
    }

    /// Names `torch.<name>` resolves to this dtype under (`torch.float32`, its alias `torch.float`, ...).
    var dtypeNames: [String] {
        switch self {
        case .float32: ["float32", "float"]
        case .float16: ["float16", "half"]
        case .bfloat16: ["bfloat16"]
        case .float64: ["float64", "double"]
        case .int64: ["int64", "long"]
        case .int32: ["int32", "int"]
        case .int16: ["int16", "short"]
        case .int8: ["int8"]
        case .uint8: ["uint8"]
        case .bool: ["bool"]
        }
    }
}

/// The only globals the unpickler will resolve: the handful a PyTorch state dict refers to. Each is
/// interpreted as data (a tensor description, an empty dict, a dtype), never called.
enum PickleGlobal: Sendable, Equatable, CustomStringConvertible {
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (before PyTorch 1.0).
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// `collections.OrderedDict`, called with no arguments.
    case orderedDict
    /// `_codecs.encode(str, "latin1")`: how protocol 2 spells a `bytes` object.
    case codecsEncode
    /// `torch.FloatStorage` and the other legacy typed storage classes.
    case storageClass(ElementKind)
    /// `torch.UntypedStorage`: raw bytes.
    case untypedStorage
    /// `torch.float32` and the other dtypes.
    case dtype(ElementKind)

    /// Resolves `module.name`, or nil if it is not on the allow-list.
    static func resolve(module: String, name: String) -> PickleGlobal? {
        switch module {
        case "torch._utils":
            switch name {
            case "_rebuild_tensor_v2": return .rebuildTensorV2
            case "_rebuild_tensor": return .rebuildTensor
            case "_rebuild_parameter": return .rebuildParameter
            case "_rebuild_parameter_with_state": return .rebuildParameterWithState
            default: return nil
            }
        case "collections":
            return name == "OrderedDict" ? .orderedDict : nil
        case "_codecs":
            return name == "encode" ? .codecsEncode : nil
        case "torch.storage":
            return name == "UntypedStorage" ? .untypedStorage : nil
        case "torch":
            if name == "UntypedStorage" { return .untypedStorage }
            if let kind = ElementKind.allCases.first(where: { $0.storageClassName == name }) { return .storageClass(kind) }
            if let kind = ElementKind.allCases.first(where: { $0.dtypeNames.contains(name) }) { return .dtype(kind) }
            return nil
        default:
            return nil
        }
    }

    var description: String {
        switch self {
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: "torch._utils._rebuild_tensor"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .orderedDict: "collections.OrderedDict"
        case .codecsEncode: "_codecs.encode"
        case let .storageClass(kind): "torch.\(kind.storageClassName)"
        case .untypedStorage: "torch.UntypedStorage"
        case let .dtype(kind): "torch.\(kind.dtypeNames[0])"
        }
    }
}
