import Benchmark

/// Kernel rows, one per ConvNeXt V2 Atto shape at 224x224, single-threaded, each named
/// `<kernel name>/<shape>` as in STYLE.md (the name the kernel's file, test and profiler use).
/// Buffers and packed weights are built in each benchmark's `setup`, outside the measured region.
let benchmarks: @Sendable () -> Void = {
    registerPointwiseBenchmarks()
    registerDepthwiseBenchmarks()
    registerNormalizationBenchmarks()
    registerQS8GRNRequantizeBenchmarks()
    registerQU8PWConvBenchmarks()
}
