// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "cnx-edge",
    products: [
        .library(name: "CNXEdge", targets: ["CNXEdge"]),
        // What an application that only runs compiled .cnx models links: no weight loaders, no compiler.
        .library(name: "CNXEdgeRuntime", targets: ["CNXEdgeRuntime"]),
        .executable(name: "cnx-edge", targets: ["cnx-edge"]),
        // The C API (include/cnx_edge.h) as a shared and a static library; `make install` puts them
        // with the header and cnx-edge.pc under PREFIX.
        .library(name: "cnxedge", type: .dynamic, targets: ["CNXEdgeC"]),
        .library(name: "cnxedge-static", type: .static, targets: ["CNXEdgeC"]),
    ],
    traits: [
        .trait(
            name: "Native",
            description: "The native and xnnpack execution providers: cnx-edge's C kernels, threaded with pthreadpool, chosen per ISA with cpuinfo, and XNNPACK's convolution, fully-connected and add operators for the 1x1, downsample and classifier convolutions (Debian libpthreadpool-dev, libcpuinfo-dev, libxnnpack-dev). Each op runs where the placement puts it: the per-ISA default table (our kernels on x86-64) or `cnx-edge tune`'s measurement."
        ),
        .default(enabledTraits: ["Native"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // Debian: libturbojpeg0-dev. Debian ships turbojpeg's .pc file, but the modulemap is enough.
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg"),
        // Debian: libpng-dev.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        // Debian: libxnnpack-dev, libpthreadpool-dev, libcpuinfo-dev (no .pc files; the modulemap links them).
        .systemLibrary(name: "CXNNPACK", path: "Sources/CXNNPACK"),
        // cnx-edge's C kernels, chosen at start-up from the CPU's features (cpuinfo).
        .target(
            name: "CCNXKernels",
            dependencies: [.target(name: "CXNNPACK", condition: .when(traits: ["Native"]))],
            path: "Sources/CCNXKernels"
        ),
        // The camera-frame preprocessing kernels (plain C, every build).
        .target(name: "CCNXFrame", path: "Sources/CCNXFrame"),
        .target(
            name: "CNXEdgeRuntime",
            dependencies: [
                .target(name: "CCNXKernels", condition: .when(traits: ["Native"])),
                .target(name: "CXNNPACK", condition: .when(traits: ["Native"])),
            ]
        ),
        .target(
            name: "CNXEdge",
            dependencies: [
                "CNXEdgeRuntime", "CTurboJPEG", "CPNG", "CCNXFrame",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // include/cnx_edge.h (linked into include/ here) and the per-thread error message.
        .target(name: "CCNXEdgeAPI", path: "Sources/CCNXEdgeAPI"),
        .target(name: "CNXEdgeC", dependencies: ["CNXEdge", "CCNXEdgeAPI"]),
        .executableTarget(
            name: "cnx-edge",
            dependencies: [
                "CNXEdge",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "_CNXEdgeTestSupport", dependencies: ["CNXEdge"], path: "Tests/_CNXEdgeTestSupport"),
        // Depends on the executable so the CLI tests can run the binary built beside them.
        .testTarget(
            name: "CNXEdgeTests",
            dependencies: [
                "CNXEdge", "CNXEdgeRuntime", "_CNXEdgeTestSupport", "cnx-edge", "CNXEdgeC", "CCNXEdgeAPI",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .target(name: "CCNXKernels", condition: .when(traits: ["Native"])),
            ],
            exclude: ["Fixtures"]  // read through #filePath, see scripts/make-image-fixtures.py
        ),
    ]
)
