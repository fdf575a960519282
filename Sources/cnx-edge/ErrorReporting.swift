import ArgumentParser
import CNXEdge
import Foundation

/// Runs a command body, turning library errors into one line on standard error and an exit code
/// per error family, so scripts can tell a bad checkpoint from a bad image.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as WeightLoadingError {
        throw fail("weights: \(error)", code: 3)
    } catch let error as ImageError {
        throw fail("image: \(error)", code: 4)
    } catch let error as NumpyFormatError {
        throw fail("input: \(error)", code: 4)
    } catch let error as ModelFileError {
        throw fail("model file: \(error)", code: 3)
    } catch let error as GraphError {
        throw fail("graph: \(error)", code: 3)
    } catch let error as ExecutionError {
        throw fail("input: \(error)", code: 5)
    } catch let error as CalibrationError {
        throw fail("calibration: \(error)", code: 4)
    } catch let error as QuantizationError {
        throw fail("quantization: \(error)", code: 3)
    } catch let error as ClassLabels.Error {
        throw fail("\(error)", code: 4)
    } catch let error as CPUAffinity.Error {
        throw fail("\(error)", code: 5)
    }
}

private func fail(_ message: String, code: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("cnx-edge: error: \(message)\n".utf8))
    return ExitCode(code)
}
