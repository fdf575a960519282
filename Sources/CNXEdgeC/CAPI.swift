// The C API of include/cnx_edge.h, over ``Classifier``: opaque handles are retained Swift
// objects, every error becomes a status and this thread's cnx_last_error() message, and nothing
// throws or traps across the boundary (every argument is checked before it reaches the library).
import CCNXEdgeAPI
import CNXEdge
import Foundation

/// What a `cnx_model *` points to.
final class ModelHandle {
    let classifier: Classifier
    /// Each label as a NUL-terminated C string, alive as long as the model.
    let labels: [UnsafeMutablePointer<CChar>]
    let precision: UnsafeMutablePointer<CChar>

    init(_ classifier: Classifier) {
        self.classifier = classifier
        labels = classifier.labels.map { strdup($0)! }
        precision = strdup(classifier.precision)!
    }

    deinit {
        labels.forEach { free($0) }
        free(precision)
    }
}

/// What a `cnx_session *` points to: a session and its preallocated top-k buffer.
final class SessionHandle {
    let model: ModelHandle
    let session: ClassifierSession
    let predictions: UnsafeMutableBufferPointer<Prediction>

    init(_ model: ModelHandle) throws {
        self.model = model
        session = try model.classifier.makeSession()
        predictions = .allocate(capacity: model.classifier.classCount)
        predictions.initialize(repeating: Prediction(classIndex: 0, label: "", probability: 0, logit: 0))
    }

    deinit {
        predictions.deinitialize()
        predictions.deallocate()
    }
}

/// An error's status and message.
func status(of error: Error) -> (cnx_status, String) {
    switch error {
    case let e as ModelFileError:
        if case .unreadable = e { return (CNX_ERROR_IO, "\(e)") }
        return (CNX_ERROR_FORMAT, "\(e)")
    case let e as WeightLoadingError:
        if case .unreadable = e { return (CNX_ERROR_IO, "\(e)") }
        return (CNX_ERROR_FORMAT, "\(e)")
    case let e as ImageError:
        if case .unreadable = e { return (CNX_ERROR_IO, "\(e)") }
        return (CNX_ERROR_FORMAT, "\(e)")
    case let e as ClassLabels.Error:
        if case .unreadable = e { return (CNX_ERROR_IO, "\(e)") }
        return (CNX_ERROR_FORMAT, "\(e)")
    case let e as ExecutionError:
        switch e {
        case .providerUnavailable, .unsupportedOp, .providerFailed: return (CNX_ERROR_UNSUPPORTED, "\(e)")
        default: return (CNX_ERROR_INPUT, "\(e)")
        }
    case let e as PixelBufferError: return (CNX_ERROR_INPUT, "\(e)")
    case let e as GraphError: return (CNX_ERROR_FORMAT, "\(e)")
    case let e as CAPIError: return (e.status, e.message)
    default: return (CNX_ERROR_FORMAT, "\(error)")
    }
}

/// A bad argument found before calling the library.
struct CAPIError: Error {
    var status: cnx_status
    var message: String
    static func input(_ message: String) -> CAPIError { CAPIError(status: CNX_ERROR_INPUT, message: message) }
}

/// Runs `body`, turning a thrown error into its status and this thread's message.
@inline(__always)
func guarded(_ function: String, _ body: () throws -> Void) -> cnx_status {
    do {
        try body()
        return CNX_OK
    } catch {
        let (code, message) = status(of: error)
        cnx_internal_set_error("\(function): \(message)")
        return code
    }
}

func modelHandle(_ p: OpaquePointer?) -> ModelHandle? {
    p.map { Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

func sessionHandle(_ p: OpaquePointer?, _ function: String) throws -> SessionHandle {
    guard let p else { throw CAPIError.input("session is NULL") }
    return Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

@_cdecl("cnx_model_options_default")
public func cnx_model_options_default() -> cnx_model_options {
    cnx_model_options(threads: 1, backend: CNX_BACKEND_AUTO, color_space: CNX_BT601_LIMITED, labels_path: nil, fast_jpeg_decode: 0)
}

@_cdecl("cnx_model_open")
public func cnx_model_open(_ path: UnsafePointer<CChar>?, _ threads: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> cnx_status {
    var options = cnx_model_options_default()
    options.threads = threads
    return withUnsafePointer(to: &options) { open("cnx_model_open", path, $0, out) }
}

@_cdecl("cnx_model_open_with_options")
public func cnx_model_open_with_options(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<cnx_model_options>?,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> cnx_status {
    open("cnx_model_open_with_options", path, options, out)
}

func open(_ function: String, _ path: UnsafePointer<CChar>?, _ options: UnsafePointer<cnx_model_options>?,
          _ out: UnsafeMutablePointer<OpaquePointer?>?) -> cnx_status {
    out?.pointee = nil
    return guarded(function) {
        guard let out else { throw CAPIError.input("out is NULL") }
        guard let path else { throw CAPIError.input("path is NULL") }
        guard let o = options?.pointee else { throw CAPIError.input("options is NULL") }
        guard (1...256).contains(o.threads) else { throw CAPIError.input("threads \(o.threads): must be between 1 and 256") }
        let backends: [BackendChoice] = [.auto, .native, .xnnpack, .swift]
        guard (0..<UInt32(backends.count)).contains(o.backend.rawValue) else { throw CAPIError.input("backend \(o.backend.rawValue): not a cnx_backend") }
        guard let colorSpace = YUVColorSpace(rawValue: Int32(bitPattern: o.color_space.rawValue)) else {
            throw CAPIError.input("color_space \(o.color_space.rawValue): not a cnx_color_space")
        }
        let file = String(cString: path)
        var options = Classifier.Options(backend: backends[Int(o.backend.rawValue)], threads: Int(o.threads), colorSpace: colorSpace,
                                         fastJPEGDecode: o.fast_jpeg_decode != 0)
        if let labels = o.labels_path { options.labels = try ClassLabels.read(path: String(cString: labels)) }
        let handle = ModelHandle(try Classifier(contentsOf: file, options: options))
        out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    }
}

@_cdecl("cnx_model_close")
public func cnx_model_close(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("cnx_model_input_height")
public func cnx_model_input_height(_ model: OpaquePointer?) -> Int32 { Int32(modelHandle(model)?.classifier.inputHeight ?? 0) }

@_cdecl("cnx_model_input_width")
public func cnx_model_input_width(_ model: OpaquePointer?) -> Int32 { Int32(modelHandle(model)?.classifier.inputWidth ?? 0) }

@_cdecl("cnx_model_class_count")
public func cnx_model_class_count(_ model: OpaquePointer?) -> Int32 { Int32(modelHandle(model)?.classifier.classCount ?? 0) }

@_cdecl("cnx_model_label")
public func cnx_model_label(_ model: OpaquePointer?, _ index: Int32) -> UnsafePointer<CChar>? {
    guard let m = modelHandle(model), m.labels.indices.contains(Int(index)) else { return nil }
    return UnsafePointer(m.labels[Int(index)])
}

@_cdecl("cnx_model_precision")
public func cnx_model_precision(_ model: OpaquePointer?) -> UnsafePointer<CChar>? {
    modelHandle(model).map { UnsafePointer($0.precision) }
}

@_cdecl("cnx_session_create")
public func cnx_session_create(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> cnx_status {
    out?.pointee = nil
    return guarded("cnx_session_create") {
        guard let out else { throw CAPIError.input("out is NULL") }
        guard let m = modelHandle(model) else { throw CAPIError.input("model is NULL") }
        out.pointee = OpaquePointer(Unmanaged.passRetained(try SessionHandle(m)).toOpaque())
    }
}

@_cdecl("cnx_session_destroy")
public func cnx_session_destroy(_ session: OpaquePointer?) {
    guard let session else { return }
    Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(session)).release()
}

@_cdecl("cnx_session_run")
public func cnx_session_run(_ session: OpaquePointer?, _ input: UnsafePointer<Float>?, _ logits: UnsafeMutablePointer<Float>?) -> cnx_status {
    guarded("cnx_session_run") {
        let s = try sessionHandle(session, "cnx_session_run")
        guard let input else { throw CAPIError.input("nchw_input is NULL") }
        guard let logits else { throw CAPIError.input("logits_out is NULL") }
        let c = s.model.classifier
        try s.session.logits(UnsafeBufferPointer(start: input, count: 3 * c.inputHeight * c.inputWidth),
                             into: UnsafeMutableBufferPointer(start: logits, count: c.classCount))
    }
}

/// A frame from the C arguments: NV12/NV21's chroma plane right after the Y plane.
func frame(_ pixels: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32, _ stride: Int32, _ format: cnx_pixel_format) throws -> PixelBuffer {
    guard let f = PixelFormat(rawValue: Int32(bitPattern: format.rawValue)) else {
        throw PixelBufferError.unknownFormat(Int32(bitPattern: format.rawValue))
    }
    return PixelBuffer(pixels: pixels.map(UnsafeRawPointer.init), width: Int(width), height: Int(height), rowStride: Int(stride), format: f)
}

/// Copies the session's first `count` predictions to `out` with the model's C labels.
func export(_ s: SessionHandle, _ count: Int, _ out: UnsafeMutablePointer<cnx_prediction>) {
    for i in 0..<count {
        let p = s.predictions[i]
        out[i] = cnx_prediction(class_index: Int32(p.classIndex), probability: p.probability, label: UnsafePointer(s.model.labels[p.classIndex]))
    }
}

@_cdecl("cnx_session_classify_pixels")
public func cnx_session_classify_pixels(_ session: OpaquePointer?, _ pixels: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32,
                                        _ rowStride: Int32, _ format: cnx_pixel_format, _ topK: Int32,
                                        _ out: UnsafeMutablePointer<cnx_prediction>?) -> cnx_status {
    guarded("cnx_session_classify_pixels") {
        let s = try sessionHandle(session, "cnx_session_classify_pixels")
        guard topK >= 1 else { throw CAPIError.input("top_k \(topK): must be at least 1") }
        guard let out else { throw CAPIError.input("out is NULL") }
        let k = min(Int(topK), s.model.classifier.classCount)
        let written = try s.session.classify(try frame(pixels, width, height, rowStride, format),
                                             into: UnsafeMutableBufferPointer(rebasing: s.predictions[0..<k]))
        export(s, written, out)
    }
}

@_cdecl("cnx_session_preprocess_pixels")
public func cnx_session_preprocess_pixels(_ session: OpaquePointer?, _ pixels: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32,
                                          _ rowStride: Int32, _ format: cnx_pixel_format, _ out: UnsafeMutablePointer<Float>?) -> cnx_status {
    guarded("cnx_session_preprocess_pixels") {
        let s = try sessionHandle(session, "cnx_session_preprocess_pixels")
        guard let out else { throw CAPIError.input("nchw_out is NULL") }
        try s.session.frames.writeTensor(from: frame(pixels, width, height, rowStride, format),
                                         into: UnsafeMutableBufferPointer(start: out, count: s.session.preprocessor.tensorCount))
    }
}

@_cdecl("cnx_session_preprocess_file")
public func cnx_session_preprocess_file(_ session: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Float>?) -> cnx_status {
    guarded("cnx_session_preprocess_file") {
        let s = try sessionHandle(session, "cnx_session_preprocess_file")
        guard let path else { throw CAPIError.input("image_path is NULL") }
        guard let out else { throw CAPIError.input("nchw_out is NULL") }
        let pre = s.session.preprocessor
        pre.writeTensor(from: try s.session.decode(String(cString: path)), into: UnsafeMutableBufferPointer(start: out, count: pre.tensorCount))
    }
}

@_cdecl("cnx_session_classify_file")
public func cnx_session_classify_file(_ session: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ topK: Int32,
                                      _ out: UnsafeMutablePointer<cnx_prediction>?) -> cnx_status {
    guarded("cnx_session_classify_file") {
        let s = try sessionHandle(session, "cnx_session_classify_file")
        guard let path else { throw CAPIError.input("image_path is NULL") }
        guard topK >= 1 else { throw CAPIError.input("top_k \(topK): must be at least 1") }
        guard let out else { throw CAPIError.input("out is NULL") }
        let top = try s.session.classify(imageAt: String(cString: path), top: Int(topK))
        for (i, p) in top.enumerated() { s.predictions[i] = p }
        export(s, top.count, out)
    }
}

