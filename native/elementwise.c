/*
 * The elementwise half of the fused MLP kernels of lib/core/nativeMlp.ts, on the wasm heap (zero copy), next to
 * sgemm.c's matrix products. Each export works on contiguous float32 arrays at byte offsets into `heap` and
 * reproduces, value for value, what the tfjs kernels it replaces compute, so the fused path gives the same numbers
 * as the layer-by-layer one (relu bit for bit; silu up to the last bits of the sigmoid, see below):
 *
 *   activate(heap, zOffset, hOffset, n, code)                 h = act(z)
 *   activationVjp(heap, dhOffset, zOffset, outOffset, n, code) out = dh * act'(z)
 *   columnSums(heap, aOffset, rows, cols, outOffset)           out[j] = sum_i a[i, j], as the product ones[1, rows] a
 *                                                             through cblas_sgemm (the same call, hence the same
 *                                                             sums, as the ones-row matmul of ops.ts' dense gradient)
 *   select(heap, condOffset, tOffset, eOffset, outOffset, n)  tfjs' Select on 4-byte elements (see js_select)
 *   binary(heap, aOffset, bOffset, outOffset, n, d, aKind, bKind, op)
 *                                                             add / sub / mul, full, row or scalar operands
 *
 * activate also computes exp (code 10) and tanh (11) for lib/core/nativeElementwise.ts.
 * Codes: 1 relu, 7 silu.
 *   relu:  h = z < 0 ? 0 : z;  act'(z) = step(z) = z > 0 ? 1 : 0, NaN for NaN (tfjs' Step), multiplied into dh.
 *   silu:  s = 1 / (1 + exp(-z)), h = z s;  act'(z) = s + h (1 - s) (ops.ts' silu vjp), with a vectorised exp
 *          (exp_poly below): within a few ulp of tfjs' sigmoid, not bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <node_api.h>

#include "addon.h"
#include "fastmath.h"

enum { CODE_RELU = 1, CODE_SILU = 7, CODE_EXP = 10, CODE_TANH = 11 };

/* activate takes every code; activationVjp only the MLP activations (relu, silu). */
static int check_code(napi_env env, int64_t code, int unary) {
  if (code != CODE_RELU && code != CODE_SILU && !(unary && (code == CODE_EXP || code == CODE_TANH))) {
    napi_throw_range_error(env, NULL, unary ? "sgemm.node: activate's code must be 1 (relu), 7 (silu), 10 (exp) or 11 (tanh)"
                                            : "sgemm.node: activationVjp's code must be 1 (relu) or 7 (silu)");
    return 0;
  }
  return 1;
}

float *heap_f32(napi_env env, uint8_t *heap, size_t heapBytes, double offset, int64_t n, const char *name) {
  if (!(offset >= 0) || offset != floor(offset) || (size_t)offset % 4 != 0 || (size_t)offset + 4 * (size_t)n > heapBytes) {
    char msg[160];
    snprintf(msg, sizeof msg, "sgemm.node: %s lies outside the heap or is misaligned", name);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  return (float *)(heap + (size_t)offset);
}

VECTOR_CLONES static void apply_unary(const float *x, float *y, int64_t n, int code) {
  switch (code) {
    case CODE_RELU:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0 ? 0.0f : x[i];
      break;
    case CODE_SILU:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] * sigmoid_poly(x[i]);
      break;
    case CODE_EXP:
      for (int64_t i = 0; i < n; i++) y[i] = exp_poly(x[i]);
      break;
    case CODE_TANH:
      for (int64_t i = 0; i < n; i++) y[i] = tanh_poly(x[i]);
      break;
    default:
      break;
  }
}

VECTOR_CLONES static void apply_vjp(const float *dh, const float *z, float *out, int64_t n, int code) {
  if (code == CODE_RELU) {
    for (int64_t i = 0; i < n; i++) {
      const float step = isnan(z[i]) ? NAN : (z[i] > 0 ? 1.0f : 0.0f);
      out[i] = dh[i] * step;
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      const float s = sigmoid_poly(z[i]);
      const float h = z[i] * s;
      out[i] = dh[i] * (s + h * (1.0f - s));
    }
  }
}

static napi_value js_activate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double zo, ho;
  int64_t n, code;
  if (argc != 5 || !get_bytes(env, argv[0], &heap, &heapBytes) || !get_number(env, argv[1], "xOffset", &zo) ||
      !get_number(env, argv[2], "yOffset", &ho) || !get_dim(env, argv[3], "n", &n) ||
      !get_dim(env, argv[4], "code", &code) || !check_code(env, code, 1))
    return NULL;
  const float *z = heap_f32(env, heap, heapBytes, zo, n, "x");
  float *h = z == NULL ? NULL : heap_f32(env, heap, heapBytes, ho, n, "y");
  if (h == NULL) return NULL;
  apply_unary(z, h, n, (int)code);
  return NULL;
}

static napi_value js_activation_vjp(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double dho, zo, oo;
  int64_t n, code;
  if (argc != 6 || !get_bytes(env, argv[0], &heap, &heapBytes) || !get_number(env, argv[1], "dhOffset", &dho) ||
      !get_number(env, argv[2], "zOffset", &zo) || !get_number(env, argv[3], "outOffset", &oo) ||
      !get_dim(env, argv[4], "n", &n) || !get_dim(env, argv[5], "code", &code) || !check_code(env, code, 0))
    return NULL;
  const float *dh = heap_f32(env, heap, heapBytes, dho, n, "dh");
  const float *z = dh == NULL ? NULL : heap_f32(env, heap, heapBytes, zo, n, "z");
  float *out = z == NULL ? NULL : heap_f32(env, heap, heapBytes, oo, n, "out");
  if (out == NULL) return NULL;
  apply_vjp(dh, z, out, n, (int)code);
  return NULL;
}

VECTOR_CLONES static void select_elements(const uint8_t *cond, const uint32_t *t, const uint32_t *e, uint32_t *out,
                                          int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = cond[i] ? t[i] : e[i];
}

/* select(heap, condOffset, tOffset, eOffset, outOffset, n): out[i] = cond[i] ? t[i] : e[i] for 4-byte elements and
   a bool (one byte) condition of the same size (tfjs' Select without broadcasting). */
static napi_value js_select(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double co, to, eo, oo;
  int64_t n;
  if (argc != 6 || !get_bytes(env, argv[0], &heap, &heapBytes) || !get_number(env, argv[1], "condOffset", &co) ||
      !get_number(env, argv[2], "tOffset", &to) || !get_number(env, argv[3], "eOffset", &eo) ||
      !get_number(env, argv[4], "outOffset", &oo) || !get_dim(env, argv[5], "n", &n))
    return NULL;
  if (!(co >= 0) || co != floor(co) || (size_t)co + (size_t)n > heapBytes) {
    napi_throw_range_error(env, NULL, "sgemm.node: the select condition lies outside the heap");
    return NULL;
  }
  const float *t = heap_f32(env, heap, heapBytes, to, n, "t");
  const float *e = t == NULL ? NULL : heap_f32(env, heap, heapBytes, eo, n, "e");
  float *out = e == NULL ? NULL : heap_f32(env, heap, heapBytes, oo, n, "out");
  if (out == NULL) return NULL;
  select_elements(heap + (size_t)co, (const uint32_t *)t, (const uint32_t *)e, (uint32_t *)out, n);
  return NULL;
}

enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2 };

/* out = a op b over rows of length d: a and b each either full (advance by d per row) or one row (same every row). */
#define BINARY_ROWS(EXPR)                                                     \
  for (int64_t r = 0; r < rows; r++) {                                        \
    const float *ar = a + (aFull ? r * d : 0), *br = b + (bFull ? r * d : 0); \
    float *o = out + r * d;                                                   \
    for (int64_t j = 0; j < d; j++) o[j] = EXPR;                              \
  }

VECTOR_CLONES static void binary_rows(const float *a, const float *b, float *out, int64_t rows, int64_t d, int aFull,
                                      int bFull, int op) {
  switch (op) {
    case OP_ADD: BINARY_ROWS(ar[j] + br[j]); break;
    case OP_SUB: BINARY_ROWS(ar[j] - br[j]); break;
    default: BINARY_ROWS(ar[j] * br[j]); break;
  }
}

/* out = a op b with a scalar on one side (scalarA: a is the scalar), over n elements. */
VECTOR_CLONES static void binary_scalar(const float *a, const float *b, float *out, int64_t n, int scalarA, int op) {
  if (scalarA) {
    const float s = a[0];
    switch (op) {
      case OP_ADD: for (int64_t i = 0; i < n; i++) out[i] = s + b[i]; break;
      case OP_SUB: for (int64_t i = 0; i < n; i++) out[i] = s - b[i]; break;
      default: for (int64_t i = 0; i < n; i++) out[i] = s * b[i]; break;
    }
  } else {
    const float s = b[0];
    switch (op) {
      case OP_ADD: for (int64_t i = 0; i < n; i++) out[i] = a[i] + s; break;
      case OP_SUB: for (int64_t i = 0; i < n; i++) out[i] = a[i] - s; break;
      default: for (int64_t i = 0; i < n; i++) out[i] = a[i] * s; break;
    }
  }
}

/*
 * binary(heap, aOffset, bOffset, outOffset, n, d, aKind, bKind, op): float32 add (0), sub (1) or mul (2) of two
 * operands that are each full (kind 0: n elements), one row of d elements repeated over the n / d rows (kind 1),
 * or a scalar (kind 2); at least one is full. The same IEEE operation per element as tfjs' kernels.
 */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double ao, bo, oo;
  int64_t n, d, aKind, bKind, op;
  if (argc != 9 || !get_bytes(env, argv[0], &heap, &heapBytes) || !get_number(env, argv[1], "aOffset", &ao) ||
      !get_number(env, argv[2], "bOffset", &bo) || !get_number(env, argv[3], "outOffset", &oo) ||
      !get_dim(env, argv[4], "n", &n) || !get_dim(env, argv[5], "d", &d) || !get_dim(env, argv[6], "aKind", &aKind) ||
      !get_dim(env, argv[7], "bKind", &bKind) || !get_dim(env, argv[8], "op", &op))
    return NULL;
  if (op > OP_MUL || aKind > 2 || bKind > 2 || (aKind != 0 && bKind != 0) || d < 1 || n % d != 0) {
    napi_throw_range_error(env, NULL, "sgemm.node: binary expects op 0-2, kinds 0-2 with one full operand, and d dividing n");
    return NULL;
  }
  const int64_t aLen = aKind == 0 ? n : aKind == 1 ? d : 1, bLen = bKind == 0 ? n : bKind == 1 ? d : 1;
  const float *a = heap_f32(env, heap, heapBytes, ao, aLen, "a");
  const float *b = a == NULL ? NULL : heap_f32(env, heap, heapBytes, bo, bLen, "b");
  float *out = b == NULL ? NULL : heap_f32(env, heap, heapBytes, oo, n, "out");
  if (out == NULL || n == 0) return NULL;
  if (aKind == 2 || bKind == 2) {
    binary_scalar(a, b, out, n, aKind == 2, (int)op);
  } else {
    const int64_t rowLen = (aKind == 1 || bKind == 1) ? d : n;
    binary_rows(a, b, out, n / rowLen, rowLen, aKind == 0, bKind == 0, (int)op);
  }
  return NULL;
}

/* A ones vector, grown on demand (never shrunk; freed with the process). */
static float *ones = NULL;
static int64_t onesLength = 0;

static napi_value js_column_sums(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double ao, oo;
  int64_t rows, cols;
  if (argc != 5 || !get_bytes(env, argv[0], &heap, &heapBytes) || !get_number(env, argv[1], "aOffset", &ao) ||
      !get_dim(env, argv[2], "rows", &rows) || !get_dim(env, argv[3], "cols", &cols) ||
      !get_number(env, argv[4], "outOffset", &oo))
    return NULL;
  const float *a = heap_f32(env, heap, heapBytes, ao, rows * cols, "a");
  float *out = a == NULL ? NULL : heap_f32(env, heap, heapBytes, oo, cols, "out");
  if (out == NULL) return NULL;
  if (cols == 0) return NULL;
  if (rows == 0) {
    memset(out, 0, 4 * (size_t)cols);
    return NULL;
  }
  if (rows > onesLength) {
    float *grown = (float *)realloc(ones, 4 * (size_t)rows);
    if (grown == NULL) {
      napi_throw_error(env, NULL, "sgemm.node: out of memory for the column-sum ones vector");
      return NULL;
    }
    for (int64_t i = onesLength; i < rows; i++) grown[i] = 1.0f;
    ones = grown;
    onesLength = rows;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, (blasint)cols, (blasint)rows, 1.0f, ones,
              (blasint)rows, a, (blasint)cols, 0.0f, out, (blasint)cols);
  return NULL;
}

int define_elementwise_exports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"activate", NULL, js_activate, NULL, NULL, NULL, napi_enumerable, NULL},
      {"activationVjp", NULL, js_activation_vjp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"columnSums", NULL, js_column_sums, NULL, NULL, NULL, napi_enumerable, NULL},
      {"select", NULL, js_select, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
