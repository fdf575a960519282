// swift-tools-version: 6.1
// libFuzzer targets, one per input format, each driving the whole path a user's bytes take. Its own
// package (like Benchmarks/) so that the main package's build never sees fuzzer flags. Built and
// run by `make fuzz TARGET=... SECONDS=...` (see the README's Reliability section):
//   swift build -c release --package-path Fuzz --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library
import PackageDescription

let targets = ["FuzzSafetensors", "FuzzPyTorch", "FuzzCNX", "FuzzNumpy", "FuzzJPEG", "FuzzPNG"]

let package = Package(
    name: "cnx-edge-fuzz",
    dependencies: [.package(name: "cnx-edge", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "CNXEdge", package: "cnx-edge")]),
    ] + targets.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "CNXEdge", package: "cnx-edge")])
    }
)
