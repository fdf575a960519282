// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "cnx-edge",
    products: [
        .library(name: "CNXEdge", targets: ["CNXEdge"]),
        .executable(name: "cnx-edge", targets: ["cnx-edge"]),
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
        .target(
            name: "CNXEdge",
            dependencies: [
                "CTurboJPEG", "CPNG",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
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
                "CNXEdge", "_CNXEdgeTestSupport", "cnx-edge",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["Fixtures"]  // read through #filePath, see scripts/make-image-fixtures.py
        ),
    ]
)
