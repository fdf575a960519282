#ifndef CNX_GELU_COEFFICIENTS_H
#define CNX_GELU_COEFFICIENTS_H
// Exact GELU, x·Φ(x) = 0.5 x (1 + erf(x/√2)), with 1 + erf(z) computed directly so it keeps its
// relative accuracy for negative z. The same fits as the Swift kernels' `erfPieces` (our own:
// iteratively reweighted least squares toward minimax, checked in float32):
// - |z| < 0.6: erf(z) = z · P(z²), P degree 4 (relative 8e-9);
// - else erfc(|z|) = exp(−z²) · R(|z|), R a (4, 4) rational for erfcx on [0.6, 4.5] (relative 1e-9),
//   0 beyond 4.5 where the tail is below 2e-10; then 1 + erf = 2 − erfc (z > 0) or erfc(−z).
// exp(v), v ≤ 0: v = n ln2 + r (Cody–Waite, ln2 in two parts), degree-6 polynomial, 2ⁿ from bits.
#define CNX_ERF_SMALL_LIMIT 0.6f
#define CNX_ERF_TAIL_LIMIT 4.5f
#define CNX_ERF_P4 0.004512359853833914f
#define CNX_ERF_P3 -0.026646988466382027f
#define CNX_ERF_P2 0.112809918820858f
#define CNX_ERF_P1 -0.37612512707710266f
#define CNX_ERF_P0 1.1283791065216064f
#define CNX_ERFC_N4 3.8021189538994804e-06f
#define CNX_ERFC_N3 0.0845319852232933f
#define CNX_ERFC_N2 0.43540602922439575f
#define CNX_ERFC_N1 0.9629601240158081f
#define CNX_ERFC_N0 0.9999725222587585f
#define CNX_ERFC_D4 0.15000221133232117f
#define CNX_ERFC_D3 0.7697193622589111f
#define CNX_ERFC_D2 1.7959398031234741f
#define CNX_ERFC_D1 2.091096878051758f
#define CNX_ERFC_D0 1.0f
#define CNX_EXP_MAGIC 12582912.0f
#define CNX_EXP_LOG2E 1.4426950216293335f
#define CNX_EXP_LN2_HI 0.693359375f
#define CNX_EXP_LN2_LO -2.12194440e-4f
#define CNX_EXP_C6 0.0013836834114044905f
#define CNX_EXP_C5 0.008374815806746483f
#define CNX_EXP_C4 0.04166822507977486f
#define CNX_EXP_C3 0.16666419804096222f
#define CNX_EXP_C2 0.49999991059303284f
#define CNX_EXP_C1 1.0f
#define CNX_EXP_C0 1.0f
#define CNX_SQRT1_2 0.70710678118654752f
#endif
