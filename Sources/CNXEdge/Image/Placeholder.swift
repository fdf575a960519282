// TEMPORARY stand-ins so the CLI builds while the image module is written; this file is deleted by it.
import Foundation
public enum ImageError: Error, Equatable { case notYet }
public struct DecodedImage { public var width = 0, height = 0; public var pixels: [UInt8] = [] }
public enum ImageDecoder { public static func decode(path: String) throws -> DecodedImage { throw ImageError.notYet } }
public struct ImagePreprocessor {
    public var height: Int, width: Int
    public init(height: Int, width: Int) { self.height = height; self.width = width }
    public func tensor(from image: DecodedImage) -> [Float] { [] }
}
