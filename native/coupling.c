/*
 * The affine coupling update of lib/models/realnvp.ts as one kernel each way (lib/core/fusedCoupling.ts), on the
 * wasm heap. With a = the scale net's output, b = the translation net's, m = dt u the scaled update mask (one row of
 * d values) and th = tanh(a):
 *   s = m th,  t = m b
 *   inverse (x -> z):  y = x exp(-s) - t       forward (z -> x):  y = (x + t) exp(s)
 * and, given dy and ds (the gradient reaching s through the log-determinant), the gradients
 *   inverse:  dx = dy e,  ds' = ds - dy x e,        db = (-dy) m,   with e = exp(-s)
 *   forward:  dx = dy e,  ds' = ds + dy (x + t) e,  db = (dy e) m,  with e = exp(s)
 *   da = (ds' m) (1 - th th)
 * in the order of operations of the layer-by-layer ops (ops.ts' exp and tanh vjps, tfjs' mul / sub / neg
 * gradients), with the same exp and tanh as native/elementwise.c.
 *
 *   coupling(heap, xOffset, aOffset, bOffset, mOffset, yOffset, sOffset, n, d, inverse)
 *   couplingGrad(heap, dyOffset, dsOffset, xOffset, aOffset, bOffset, mOffset, dxOffset, daOffset, dbOffset, n, d, inverse)
 * n is the number of elements (a multiple of d); every array but m has n elements.
 */
#include <math.h>
#include <stdint.h>

#include <node_api.h>

#include "addon.h"
#include "fastmath.h"

VECTOR_CLONES static void coupling_forward(const float *restrict x, const float *restrict a, const float *restrict b,
                                           const float *restrict m, float *restrict y, float *restrict s, int64_t rows,
                                           int64_t d, int inverse) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * d;
    if (inverse) {
      for (int64_t j = 0; j < d; j++) {
        const float sj = m[j] * tanh_poly(a[o + j]);
        s[o + j] = sj;
        y[o + j] = x[o + j] * exp_poly(-sj) - m[j] * b[o + j];
      }
    } else {
      for (int64_t j = 0; j < d; j++) {
        const float sj = m[j] * tanh_poly(a[o + j]);
        s[o + j] = sj;
        y[o + j] = (x[o + j] + m[j] * b[o + j]) * exp_poly(sj);
      }
    }
  }
}

VECTOR_CLONES static void coupling_backward(const float *restrict dy, const float *restrict ds,
                                            const float *restrict x, const float *restrict a,
                                            const float *restrict b, const float *restrict m, float *restrict dx,
                                            float *restrict da, float *restrict db,
                                            int64_t rows, int64_t d, int inverse) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * d;
    if (inverse) {
      for (int64_t j = 0; j < d; j++) {
        const float th = tanh_poly(a[o + j]);
        const float g = dy[o + j];
        const float e = exp_poly(-(m[j] * th));
        dx[o + j] = g * e;
        const float dsj = ds[o + j] + (-((g * x[o + j]) * e));
        db[o + j] = (-g) * m[j];
        da[o + j] = (dsj * m[j]) * (1.0f - th * th);
      }
    } else {
      for (int64_t j = 0; j < d; j++) {
        const float th = tanh_poly(a[o + j]);
        const float g = dy[o + j];
        const float e = exp_poly(m[j] * th);
        const float ge = g * e;
        dx[o + j] = ge;
        const float dsj = ds[o + j] + (g * (x[o + j] + m[j] * b[o + j])) * e;
        db[o + j] = ge * m[j];
        da[o + j] = (dsj * m[j]) * (1.0f - th * th);
      }
    }
  }
}

static napi_value js_coupling(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double off[6];
  int64_t n, d, inverse;
  if (argc != 10 || !get_bytes(env, argv[0], &heap, &heapBytes)) return NULL;
  for (int i = 0; i < 6; i++)
    if (!get_number(env, argv[1 + i], "offset", &off[i])) return NULL;
  if (!get_dim(env, argv[7], "n", &n) || !get_dim(env, argv[8], "d", &d) || !get_dim(env, argv[9], "inverse", &inverse))
    return NULL;
  if (d < 1 || n % d != 0) {
    napi_throw_range_error(env, NULL, "sgemm.node: coupling needs d >= 1 dividing n");
    return NULL;
  }
  float *p[6];
  for (int i = 0; i < 6; i++)
    if ((p[i] = heap_f32(env, heap, heapBytes, off[i], i == 3 ? d : n, "a coupling operand")) == NULL) return NULL;
  coupling_forward(p[0], p[1], p[2], p[3], p[4], p[5], n / d, d, inverse != 0);
  return NULL;
}

static napi_value js_coupling_grad(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes;
  double off[9];
  int64_t n, d, inverse;
  if (argc != 13 || !get_bytes(env, argv[0], &heap, &heapBytes)) return NULL;
  for (int i = 0; i < 9; i++)
    if (!get_number(env, argv[1 + i], "offset", &off[i])) return NULL;
  if (!get_dim(env, argv[10], "n", &n) || !get_dim(env, argv[11], "d", &d) || !get_dim(env, argv[12], "inverse", &inverse))
    return NULL;
  if (d < 1 || n % d != 0) {
    napi_throw_range_error(env, NULL, "sgemm.node: couplingGrad needs d >= 1 dividing n");
    return NULL;
  }
  float *p[9];
  for (int i = 0; i < 9; i++)
    if ((p[i] = heap_f32(env, heap, heapBytes, off[i], i == 5 ? d : n, "a coupling operand")) == NULL) return NULL;
  coupling_backward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], n / d, d, inverse != 0);
  return NULL;
}

int define_coupling_exports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"coupling", NULL, js_coupling, NULL, NULL, NULL, napi_enumerable, NULL},
      {"couplingGrad", NULL, js_coupling_grad, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, 2, props) == napi_ok;
}
