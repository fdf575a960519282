// swift-tools-version: 6.1
// An application that embeds cnx-edge: `swift run -c release classify MODEL.cnx IMAGE...`.
// In your own package, depend on the repository URL instead of the path.
import PackageDescription

let package = Package(
    name: "classify",
    dependencies: [.package(name: "cnx-edge", path: "../..")],
    targets: [
        .executableTarget(name: "classify", dependencies: [.product(name: "CNXEdge", package: "cnx-edge")]),
    ]
)
