import ArgumentParser

@main
struct CNXEdgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnx-edge",
        abstract: "Run and benchmark ConvNeXt V2 image classifiers on edge CPUs.",
        subcommands: [RunCommand.self, BenchCommand.self]
    )
}
