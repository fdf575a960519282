// swift-tools-version: 6.1
// The benchmark suite is its own package so that the main package's `swift build`/`swift test`
// (and CI) never resolve or build the benchmark framework. Run from this directory:
// `swift package --scratch-path .build benchmark` (see README.md).
import PackageDescription

let package = Package(
    name: "cnx-edge-benchmarks",
    platforms: [.macOS(.v13)],
    // `Native` mirrors the main package's trait of the same name (default on): it turns on the
    // native backend there and its `__native` rows here (`#if Native`). Build without it with
    // `swift package --disable-default-traits ...` to get only the Swift rows.
    traits: [
        .trait(name: "Native", description: "Rows for cnx-edge's native backend (enables cnx-edge's Native trait)."),
        .default(enabledTraits: ["Native"]),
    ],
    dependencies: [
        .package(name: "cnx-edge", path: "..",
                 traits: [.trait(name: "Native", condition: .when(traits: ["Native"]))]),
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
        .executableTarget(
            name: "OpBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "CNXEdge", package: "cnx-edge"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/OpBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
