// `import CNXEdge` brings the runtime (kernels, model types, executor) with it, so applications,
// the CLI and the benchmarks need one import.
@_exported import CNXEdgeRuntime
