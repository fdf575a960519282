// swift-tools-version: 6.1
// The benchmark suite is its own package so that the main package's `swift build`/`swift test`
// (and CI) never resolve or build the benchmark framework. Run from this directory:
// `swift package --scratch-path .build benchmark` (see README.md).
import PackageDescription

let package = Package(
    name: "cnx-edge-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "cnx-edge", path: ".."),
        // Only the MallocInterposer trait: it needs nothing beyond the malloc-interposer package and
        // gives the malloc counters that show a kernel does not allocate. The default traits also
        // turn on RuntimeInterposer (ARC counters on Linux with Swift 6.3), whose package this
        // machine's package mirror does not have.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "CNXEdge", package: "cnx-edge"),
                .product(name: "Benchmark", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "ModelBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "CNXEdge", package: "cnx-edge"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ModelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "CNXEdge", package: "cnx-edge"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
