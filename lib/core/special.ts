/**
 * Special functions in float64: erf, erfc, the standard normal CDF / log-CDF / quantile, log-gamma.
 *
 * erf / erfc follow FreeBSD's s_erf.c (fdlibm): rational approximations on [0, 0.84375), [0.84375, 1.25),
 * [1.25, 1/0.35), [1/0.35, 28), under 1 ulp. The coefficients are that file's, which carries this notice:
 *   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *   Developed at SunPro, a Sun Microsystems, Inc. business.
 *   Permission to use, copy, modify, and distribute this software is freely granted, provided that this
 *   notice is preserved.
 */

const ERX = 8.45062911510467529297e-1;
// erf on [0, 0.84375)
const EFX8 = 1.02703333676410069053e0;
const PP0 = 1.28379167095512558561e-1;
const PP1 = -3.25042107247001499370e-1;
const PP2 = -2.84817495755985104766e-2;
const PP3 = -5.77027029648944159157e-3;
const PP4 = -2.37630166566501626084e-5;
const QQ1 = 3.97917223959155352819e-1;
const QQ2 = 6.50222499887672944485e-2;
const QQ3 = 5.08130628187576562776e-3;
const QQ4 = 1.32494738004321644526e-4;
const QQ5 = -3.96022827877536812320e-6;
// erf on [0.84375, 1.25)
const PA0 = -2.36211856075265944077e-3;
const PA1 = 4.14856118683748331666e-1;
const PA2 = -3.72207876035701323847e-1;
const PA3 = 3.18346619901161753674e-1;
const PA4 = -1.10894694282396677476e-1;
const PA5 = 3.54783043256182359371e-2;
const PA6 = -2.16637559486879084300e-3;
const QA1 = 1.06420880400844228286e-1;
const QA2 = 5.40397917702171048937e-1;
const QA3 = 7.18286544141962662868e-2;
const QA4 = 1.26171219808761642112e-1;
const QA5 = 1.36370839120290507362e-2;
const QA6 = 1.19844998467991074170e-2;
// erfc on [1.25, 1/0.35)
const RA0 = -9.86494403484714822705e-3;
const RA1 = -6.93858572707181764372e-1;
const RA2 = -1.05586262253232909814e1;
const RA3 = -6.23753324503260060396e1;
const RA4 = -1.62396669462573470355e2;
const RA5 = -1.84605092906711035994e2;
const RA6 = -8.12874355063065934246e1;
const RA7 = -9.81432934416914548592e0;
const SA1 = 1.96512716674392571292e1;
const SA2 = 1.37657754143519042600e2;
const SA3 = 4.34565877475229228821e2;
const SA4 = 6.45387271733267880336e2;
const SA5 = 4.29008140027567833386e2;
const SA6 = 1.08635005541779435134e2;
const SA7 = 6.57024977031928170135e0;
const SA8 = -6.04244152148580987438e-2;
// erfc on [1/0.35, 28)
const RB0 = -9.86494292470009928597e-3;
const RB1 = -7.99283237680523006574e-1;
const RB2 = -1.77579549177547519889e1;
const RB3 = -1.60636384855821916062e2;
const RB4 = -6.37566443368389627722e2;
const RB5 = -1.02509513161107724954e3;
const RB6 = -4.83519191608651397019e2;
const SB1 = 3.03380607434824582924e1;
const SB2 = 3.25792512996573918826e2;
const SB3 = 1.53672958608443695994e3;
const SB4 = 3.19985821950859553908e3;
const SB5 = 2.55305040643316442583e3;
const SB6 = 4.74528541206955367215e2;
const SB7 = -2.24409524465858183362e1;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // index of the low word

/** x with the low 32 bits of its mantissa cleared (so that z * z is exact). */
function truncLow(x: number): number {
  F64[0] = x;
  U32[LO] = 0;
  return F64[0];
}

function smallR(z: number): number {
  const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return r / s;
}

/** erf(a) - ERX for a = |x| in [0.84375, 1.25). */
function midPQ(a: number): number {
  const s = a - 1;
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

/** R/S of fdlibm for a = |x| in [1.25, 28): erfc(a) = exp(-a^2 - 0.5625 + R/S) / a. */
function erfcRS(a: number): number {
  const s = 1 / (a * a);
  if (a < 1 / 0.35) {
    const r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    const q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
    return r / q;
  }
  const r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
  const q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  return r / q;
}

/** erfc(a) for a in [1.25, 28). -z^2 is exact (z = a with its low word cleared), as in fdlibm. */
function erfcLarge(a: number): number {
  const z = truncLow(a);
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + erfcRS(a))) / a;
}

/** The error function, under 1 ulp (fdlibm). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.84375) {
    if (a < 2 ** -28) return (8 * x + EFX8 * x) / 8;
    return x + x * smallR(x * x);
  }
  let y: number;
  if (a < 1.25) y = ERX + midPQ(a);
  else if (a < 6) y = 1 - erfcLarge(a);
  else y = 1;
  return x < 0 ? -y : y;
}

/** The complementary error function 1 - erf(x), accurate relative to its value in both tails (fdlibm). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.84375) {
    if (a < 2 ** -56) return 1 - x;
    const y = x * smallR(x * x);
    if (x < 0.25) return 1 - (x + y);
    return 0.5 - (x - 0.5 + y);
  }
  if (a < 1.25) {
    const pq = midPQ(a);
    return x >= 0 ? 1 - ERX - pq : 1 + (ERX + pq);
  }
  if (a < 28) {
    const c = erfcLarge(a);
    return x >= 0 ? c : 2 - c;
  }
  return x >= 0 ? 0 : 2;
}

/**
 * log(erfc(a)) for a >= 1.25, finite far beyond erfc's underflow (a > 26.5): the fdlibm exponent below 28,
 * the asymptotic series erfc(a) ~ exp(-a^2) / (a sqrt(pi)) (1 - 1/(2a^2) + 3/(4a^4) - ...) above.
 */
function logErfcLarge(a: number): number {
  if (a < 28) {
    const z = truncLow(a);
    return -z * z - 0.5625 + ((z - a) * (z + a) + erfcRS(a)) - Math.log(a);
  }
  const t = 1 / (2 * a * a);
  // 1 - t + 3t^2 - 15t^3 + 105t^4 - 945t^5: truncation error < 1e-17 for a >= 28
  const series = 1 - t * (1 - t * (3 - t * (15 - t * (105 - t * 945))));
  return -a * a - Math.log(a) - 0.5 * Math.log(Math.PI) + Math.log(series);
}

const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = 0.9189385332046728; // log(sqrt(2 pi))
const SQRT_2PI = 2.5066282746310002;

/** Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, accurate relative to its value in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** log Phi(x), stable in both tails: finite for every finite x (log Phi(-40) = -804.608...). */
export function normalLogCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 0) return Math.log1p(-0.5 * erfc(x * SQRT1_2));
  const a = -x * SQRT1_2;
  if (a < 1.25) return Math.log(0.5 * erfc(a));
  return logErfcLarge(a) - Math.LN2;
}

// Acklam's rational approximation of the normal quantile (relative error < 1.15e-9), refined below by one
// Halley step on the exact CDF, which brings it to near double precision.
const AQ = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const BQ = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const CQ = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const DQ = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Lower half: p in (0, 0.5]. */
function quantileLower(p: number): number {
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((CQ[0] * q + CQ[1]) * q + CQ[2]) * q + CQ[3]) * q + CQ[4]) * q + CQ[5]) /
      ((((DQ[0] * q + DQ[1]) * q + DQ[2]) * q + DQ[3]) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((AQ[0] * r + AQ[1]) * r + AQ[2]) * r + AQ[3]) * r + AQ[4]) * r + AQ[5]) * q) /
      (((((BQ[0] * r + BQ[1]) * r + BQ[2]) * r + BQ[3]) * r + BQ[4]) * r + 1);
  }
  // Halley step: e = Phi(x) - p, u = e / phi(x).
  const pdf = Math.exp(-0.5 * x * x) / SQRT_2PI;
  if (pdf > 0) {
    const u = (normalCdf(x) - p) / pdf;
    if (Number.isFinite(u)) x -= u / (1 + 0.5 * x * u);
  }
  return x;
}

/**
 * The standard normal quantile Phi^-1(p) for p in [0, 1] (-Infinity at 0, Infinity at 1, NaN outside).
 * Acklam's approximation plus one Halley refinement; relative error about 1e-15 in the body, ~1e-13 deep
 * in the tails.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  // 1 - p is exact for p in [0.5, 1]: the upper half by symmetry keeps the tail accurate.
  return p < 0.5 ? quantileLower(p) : -quantileLower(1 - p);
}

// Lanczos approximation, g = 7, n = 9 (the coefficients of Godfrey, as in Numerical Recipes / Wikipedia).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * log |Gamma(x)| (Lanczos, reflection for x < 0.5). +Infinity at 0 and the negative integers.
 * Absolute error about 1e-14 near the zeros at x = 1, 2; relative about 1e-15 elsewhere.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Gamma(x) Gamma(1 - x) = pi / sin(pi x)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const y = x - 1;
  let a = LANCZOS[0];
  const t = y + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (y + i);
  return LOG_SQRT_2PI + (y + 0.5) * Math.log(t) - t + Math.log(a);
}
