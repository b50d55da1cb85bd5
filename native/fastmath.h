/*
 * exp, sigmoid and tanh for the addon's loops (native/elementwise.c, native/coupling.c), written so the compiler
 * vectorises them, and the attribute that builds AVX2 clones of a loop. Header-only: static inline functions.
 */
#ifndef SAMPLING_LAB_FASTMATH_H
#define SAMPLING_LAB_FASTMATH_H

#include <math.h>
#include <stdint.h>

/*
 * exp(x), written so the compiler vectorises it (no libm call, selects instead of branches): x = n ln2 + r with
 * n = round(x / ln2) (the 1.5 * 2^23 trick), ln2 split in two (Cody-Waite) so r is exact to float precision,
 * exp(r) on |r| <= ln2 / 2 by its degree-6 Taylor polynomial (truncation below 2e-9 relative), and 2^n from the
 * float's exponent bits. Measured within 3e-7 relative of exp (about 2 ulp) over the normal range; results below
 * the smallest normal float (x < -87.33) flush to 0, x > 88.72 gives inf, NaN stays NaN.
 */
static inline float exp_poly(float x) {
  float c = x < -87.33654f ? -87.33654f : x; /* n >= -126: 2^n stays a normal float */
  c = c > 88.72283f ? 88.72283f : c;         /* n <= 128, applied as 2 * 2^(n - 1) */
  const float shifter = 12582912.0f; /* 1.5 * 2^23 */
  const float t = c * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  const float r = (c - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t k = (int32_t)n;
  const int32_t high = k > 0;
  union { int32_t i; float f; } scale;
  scale.i = (k - high + 127) << 23;
  float e = (high ? p * 2.0f : p) * scale.f;
  e = x < -87.33654f ? 0.0f : e;
  e = x > 88.72283f ? INFINITY : e;
  return e;
}

static inline float sigmoid_poly(float z) { return 1.0f / (1.0f + exp_poly(-z)); }

/*
 * tanh(x): odd Taylor series to x^13 for |x| < 0.25 (truncation below 1e-10 relative), 1 - 2 / (exp(2|x|) + 1)
 * with the sign of x above (within about 4 ulp; exp overflows to inf for |x| > 44, giving exactly 1). NaN stays NaN.
 */
static inline float tanh_poly(float x) {
  const float a = x < 0 ? -x : x;
  const float x2 = x * x;
  float p = 21844.0f / 6081075.0f;
  p = p * x2 - 1382.0f / 155925.0f;
  p = p * x2 + 62.0f / 2835.0f;
  p = p * x2 - 17.0f / 315.0f;
  p = p * x2 + 2.0f / 15.0f;
  p = p * x2 - 1.0f / 3.0f;
  const float small = x * (1.0f + x2 * p); /* keeps the sign of -0 */
  const float big = 1.0f - 2.0f / (exp_poly(2.0f * a) + 1.0f);
  const float signed_big = x < 0 ? -big : big;
  return a < 0.25f ? small : signed_big;
}

/* AVX2 clones of the loops where the compiler supports it (chosen when the addon loads), SSE2 otherwise. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

#endif
