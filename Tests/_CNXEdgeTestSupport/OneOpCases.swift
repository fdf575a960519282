import CNXEdge

/// One op at one precision and shape, as the op harness runs it on every backend.
public struct OneOpCase: Sendable, CustomStringConvertible {
    public let description: String
    public let make: @Sendable () throws -> OneOpGraph

    public init(_ description: String, _ make: @escaping @Sendable () throws -> OneOpGraph) {
        self.description = description
        self.make = make
    }
}

/// Every op × precision × weight storage at shapes around the kernels' tiles: channel counts below,
/// at and past the 8/16-wide panels, primes, Atto/Femto/Pico stage widths (40, 48, 64, 80, 160,
/// 320, 384, 1280), and spatial sizes around the 7x7 window (1, 2, 3, 5, 7, 8, 13, 14, 28).
public enum OneOpCases {
    static let pointwiseShapes = [(1, 1, 3, 5), (2, 3, 17, 33), (7, 7, 40, 160), (4, 7, 37, 16), (5, 9, 48, 192), (14, 14, 64, 256),
                                  (7, 7, 1280, 320), (2, 2, 80, 15)]
    static let depthwiseShapes = [(1, 1, 8), (3, 5, 17), (7, 7, 40), (8, 13, 48), (14, 14, 64), (9, 4, 37), (28, 28, 80), (2, 9, 16),
                                  (7, 7, 33)]
    static let downsampleShapes = [(2, 2, 8, 16), (4, 6, 17, 33), (14, 14, 40, 80), (8, 8, 48, 96), (6, 10, 64, 128), (2, 4, 160, 320)]
    static let headShapes = [(1, 1, 8, 10), (3, 5, 17, 33), (7, 7, 320, 1000), (2, 3, 384, 100)]
    static let stemShapes = [(32, 32, 40), (16, 24, 17), (64, 96, 48), (8, 4, 64)]
    static let grnShapes = [(1, 1, 8), (3, 5, 17), (7, 7, 160), (14, 14, 64), (2, 2, 1280)]

    /// Every case, each seeded by its position.
    public static var all: [OneOpCase] {
        var cases: [OneOpCase] = []
        func add(_ name: String, _ build: @escaping @Sendable (inout OneOpBuilder) throws -> FusedOp, image: (Int, Int) = (4, 4)) {
            let seed = UInt64(cases.count + 1)
            cases.append(OneOpCase(name) {
                var b = OneOpBuilder(seed: seed, image: (h: image.0, w: image.1))
                return try b.finish(try build(&b))
            })
        }
        for (i, (h, w, c)) in stemShapes.enumerated() {
            add("stem \(h)x\(w)→\(c) affine=\(i % 2 == 0)", { b in
                b.inputs[b.g.input] = .float(b.rng.floats(3 * h * w, in: -2...2))
                return .stem(StemParameters(input: b.g.input, output: b.activation("y", [1, h / 4, w / 4, c]),
                                            weight: b.constant("w", [c, 3, 4, 4], -0.3...0.3), bias: b.constant("b", [c], -0.5...0.5),
                                            norm: b.norm("ln", c, affine: i % 2 == 0)))
            }, image: (h, w))
        }
        for (i, (h, w, c)) in depthwiseShapes.enumerated() {
            for int8 in [false, true] {
                let storage = (i + (int8 ? 1 : 0)) % 2 == 0 ? 0 : 1, affine = i % 3 != 1
                add("\(int8 ? "qu8DepthwiseConvLN" : "depthwiseConvLN") \(h)x\(w)x\(c) weights=\(storage == 0 ? "f32" : "w8") affine=\(affine)", { b in
                    let x = b.floatInput("x", [1, h, w, c]), (wt, ws) = b.weight("w", [c, 49], int8Planes: storage)
                    let y = b.activation("y", [1, h, w, c])
                    let p = DepthwiseConvLNParameters(input: x, output: y, weight: wt, bias: b.constant("b", [c], -0.5...0.5),
                                                      norm: b.norm("ln", c, affine: affine), weightStorage: ws)
                    guard int8 else { return .depthwiseConvLN(p) }
                    b.g.quantize(y, b.quantization(0.01...0.03))
                    return .qu8DepthwiseConvLN(p)
                })
            }
        }
        for (i, (h, w, k, n)) in pointwiseShapes.enumerated() {
            add("pointwiseGELU \(h)x\(w)x\(k)→\(n) weights=\(i % 2 == 0 ? "f32" : "w8")", { b in
                let x = b.floatInput("x", [1, h, w, k]), (wt, ws) = b.weight("w", [n, k], int8Planes: i % 2)
                return .pointwiseGELU(PointwiseGELUParameters(input: x, output: b.activation("y", [1, h, w, n]),
                                                              sumOfSquares: b.activation("s", [n], .float64), weight: wt,
                                                              bias: b.constant("b", [n], -0.5...0.5), weightStorage: ws))
            })
            add("qu8PointwiseGELU \(h)x\(w)x\(k)→\(n)", { b in
                let x = b.codeInput("x", [1, h, w, k], b.quantization(0.01...0.05)), c = b.int8Weight("w", [n, k])
                let y = b.activation("y", [1, h, w, n])
                b.g.quantize(y, b.quantization(0.005...0.02))
                return .qu8PointwiseGELU(QU8PointwiseGELUParameters(
                    input: x, output: y, sumOfSquares: b.activation("s", [n], .float64), weight: c.weight, bias: c.bias,
                    weightScale: c.steps, geluInput: b.quantization(0.01...0.05)))
            })
            for residual in [false, true] {
                add("pointwise \(h)x\(w)x\(k)→\(n) weights=\(i % 2 == 1 ? "f32" : "w8") residual=\(residual)", { b in
                    let x = b.floatInput("x", [1, h, w, k]), (wt, ws) = b.weight("w", [n, k], int8Planes: 1 - i % 2)
                    let r = residual ? b.floatInput("r", [1, h, w, n]) : nil
                    return .pointwise(PointwiseParameters(input: x, output: b.activation("y", [1, h, w, n]), residual: r, weight: wt,
                                                          bias: b.constant("b", [n], -0.5...0.5), weightStorage: ws))
                })
                add("qu8Pointwise \(h)x\(w)x\(k)→\(n) residual=\(residual)", { b in
                    let x = b.codeInput("x", [1, h, w, k], b.quantization(0.01...0.05)), c = b.int8Weight("w", [n, k])
                    let r = residual ? b.floatInput("r", [1, h, w, n]) : nil
                    return .qu8Pointwise(QU8PointwiseParameters(input: x, output: b.activation("y", [1, h, w, n]), residual: r,
                                                                weight: c.weight, bias: c.bias, weightScale: c.steps))
                })
            }
            let residual = i % 2 == 0
            add("grnPointwise \(h)x\(w)x\(k)→\(n) residual=\(residual)", { b in
                let x = b.floatInput("x", [1, h, w, k], 0...2), s = b.sumsInput("s", k), (wt, _) = b.weight("w", [n, k])
                let r = residual ? b.floatInput("r", [1, h, w, n]) : nil
                return .grnPointwise(GRNPointwiseParameters(input: x, output: b.activation("y", [1, h, w, n]), residual: r, weight: wt,
                                                            bias: b.constant("b", [n], -0.5...0.5),
                                                            grn: GRNInputScale(sumOfSquares: s, gamma: b.constant("gamma", [k], -1...1))))
            })
            add("qu8GRNPointwise \(h)x\(w)x\(k)→\(n) residual=\(residual)", { b in
                let x = b.codeInput("x", [1, h, w, k], b.quantization(0.01...0.05)), s = b.sumsInput("s", k)
                let c = b.int8Weight("w", [n, k], floatBias: true)
                let r = residual ? b.floatInput("r", [1, h, w, n]) : nil
                return .qu8GRNPointwise(QU8GRNPointwiseParameters(
                    input: x, output: b.activation("y", [1, h, w, n]), residual: r, weight: c.weight, bias: c.bias, weightScale: c.steps,
                    grn: GRNInputScale(sumOfSquares: s, gamma: b.constant("gamma", [k], -1...1))))
            })
        }
        for (h, w, c) in grnShapes {
            add("grn \(h)x\(w)x\(c)", { b in
                let x = b.floatInput("x", [1, h, w, c]), s = b.sumsInput("s", c)
                return .grn(GRNParameters(input: x, sumOfSquares: s, output: b.activation("y", [1, h, w, c]),
                                          gamma: b.constant("gamma", [c], -1...1), beta: b.constant("beta", [c], -0.5...0.5)))
            })
            add("qu8GRN \(h)x\(w)x\(c)", { b in
                let x = b.codeInput("x", [1, h, w, c], b.quantization(0.01...0.05)), s = b.sumsInput("s", c)
                let y = b.activation("y", [1, h, w, c])
                b.g.quantize(y, b.quantization(0.01...0.1))
                return .qu8GRN(GRNParameters(input: x, sumOfSquares: s, output: y, gamma: b.constant("gamma", [c], -1...1),
                                             beta: b.constant("beta", [c], -0.5...0.5)))
            })
        }
        for (i, (h, w, k, n)) in downsampleShapes.enumerated() {
            let affine = i % 2 == 0
            add("downsample \(h)x\(w)x\(k)→\(n) weights=\(i % 3 == 0 ? "w8" : "f32") affine=\(affine)", { b in
                let x = b.floatInput("x", [1, h, w, k]), (wt, ws) = b.weight("w", [n, k, 2, 2], int8Planes: i % 3 == 0 ? 1 : 0)
                return .downsample(DownsampleParameters(input: x, output: b.activation("y", [1, h / 2, w / 2, n]),
                                                        norm: b.norm("ln", k, affine: affine), weight: wt,
                                                        bias: b.constant("b", [n], -0.5...0.5), weightStorage: ws))
            })
            add("qu8Downsample \(h)x\(w)x\(k)→\(n) affine=\(affine)", { b in
                let x = b.floatInput("x", [1, h, w, k]), c = b.int8Weight("w", [n, k, 2, 2])
                return .qu8Downsample(QU8DownsampleParameters(input: x, output: b.activation("y", [1, h / 2, w / 2, n]),
                                                              norm: b.norm("ln", k, affine: affine), weight: c.weight, bias: c.bias,
                                                              weightScale: c.steps, normQuantization: b.quantization(0.02...0.04)))
            })
        }
        for (i, (h, w, c, classes)) in headShapes.enumerated() {
            add("head \(h)x\(w)x\(c)→\(classes) weight planes=\(i % 3)", { b in
                let x = b.floatInput("x", [1, h, w, c]), (wt, ws) = b.weight("w", [classes, c], int8Planes: i % 3)
                return .head(HeadParameters(input: x, output: b.activation("logits", [1, 1, 1, classes]), norm: b.norm("ln", c, affine: true),
                                            weight: wt, bias: b.constant("b", [classes], -0.5...0.5), weightStorage: ws))
            })
        }
        return cases
    }
}
