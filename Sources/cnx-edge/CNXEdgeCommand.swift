import ArgumentParser

@main
struct CNXEdgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnx-edge",
        abstract: "Run, benchmark and compile ConvNeXt V2 image classifiers on edge CPUs.",
        subcommands: [RunCommand.self, BenchCommand.self, CompileCommand.self, InspectCommand.self, TuneCommand.self, ReportCommand.self, SoakCommand.self]
    )
}
