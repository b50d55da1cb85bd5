/*
 * adam(heap, thetaOffsets, gradOffsets, outOffsets, sizes, m, v, beta1, beta2, lrT, epsT, weightDecay): one Adam step
 * for every variable at once (lib/core/nativeAdam.ts), reading the parameters and gradients from the wasm heap and
 * writing the new parameters to fresh outputs (a variable's buffer may be shared, so it is never written in place).
 * m and v are Float32Arrays holding every variable's moments one after the other, updated in place.
 *
 * The arithmetic is lib/trainers/adam.ts' host loop operation for operation, in double precision with float32
 * storage, so both give the same bits:
 *   g <- g + wd theta (when wd != 0);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g g;
 *   theta <- theta - (lrT m) / (sqrt(v) + epsT)
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <node_api.h>

#include "addon.h"

static int get_typed(napi_env env, napi_value value, napi_typedarray_type want, const char *name, void **data, size_t *length) {
  bool is = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok || type != want) {
    char msg[120];
    snprintf(msg, sizeof msg, "sgemm.node: adam's %s must be a %s", name,
             want == napi_float32_array ? "Float32Array" : "Uint32Array");
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static void adam_update(const float *theta, const float *grad, float *out, float *m, float *v, int64_t n, double b1,
                        double b2, double lrT, double epsT, double wd) {
  for (int64_t j = 0; j < n; j++) {
    const double t = theta[j];
    const double g = wd == 0 ? (double)grad[j] : (double)grad[j] + wd * t;
    const double mj = b1 * (double)m[j] + (1 - b1) * g;
    const double vj = b2 * (double)v[j] + (1 - b2) * g * g;
    m[j] = (float)mj;
    v[j] = (float)vj;
    out[j] = (float)(t - (lrT * mj) / (sqrt(vj) + epsT));
  }
}

static napi_value js_adam(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  size_t heapBytes, nTheta, nGrad, nOut, nSizes, nm, nv;
  uint32_t *thetaOffsets, *gradOffsets, *outOffsets, *sizes;
  float *m, *v;
  double b1, b2, lrT, epsT, wd;
  if (argc != 12 || !get_bytes(env, argv[0], &heap, &heapBytes) ||
      !get_typed(env, argv[1], napi_uint32_array, "thetaOffsets", (void **)&thetaOffsets, &nTheta) ||
      !get_typed(env, argv[2], napi_uint32_array, "gradOffsets", (void **)&gradOffsets, &nGrad) ||
      !get_typed(env, argv[3], napi_uint32_array, "outOffsets", (void **)&outOffsets, &nOut) ||
      !get_typed(env, argv[4], napi_uint32_array, "sizes", (void **)&sizes, &nSizes) ||
      !get_typed(env, argv[5], napi_float32_array, "m", (void **)&m, &nm) ||
      !get_typed(env, argv[6], napi_float32_array, "v", (void **)&v, &nv) || !get_number(env, argv[7], "beta1", &b1) ||
      !get_number(env, argv[8], "beta2", &b2) || !get_number(env, argv[9], "lrT", &lrT) ||
      !get_number(env, argv[10], "epsT", &epsT) || !get_number(env, argv[11], "weightDecay", &wd))
    return NULL;
  if (nGrad != nTheta || nOut != nTheta || nSizes != nTheta) {
    napi_throw_range_error(env, NULL, "sgemm.node: adam's offset and size arrays must have the same length");
    return NULL;
  }
  size_t total = 0;
  for (size_t k = 0; k < nTheta; k++) {
    const size_t bytes = 4 * (size_t)sizes[k];
    if (thetaOffsets[k] % 4 || gradOffsets[k] % 4 || outOffsets[k] % 4 || (size_t)thetaOffsets[k] + bytes > heapBytes ||
        (size_t)gradOffsets[k] + bytes > heapBytes || (size_t)outOffsets[k] + bytes > heapBytes) {
      napi_throw_range_error(env, NULL, "sgemm.node: an adam operand lies outside the heap or is misaligned");
      return NULL;
    }
    total += sizes[k];
  }
  if (total > nm || total > nv) {
    napi_throw_range_error(env, NULL, "sgemm.node: adam's m and v are shorter than the variables");
    return NULL;
  }
  size_t at = 0;
  for (size_t k = 0; k < nTheta; k++) {
    adam_update((const float *)(heap + thetaOffsets[k]), (const float *)(heap + gradOffsets[k]),
                (float *)(heap + outOffsets[k]), m + at, v + at, sizes[k], b1, b2, lrT, epsT, wd);
    at += sizes[k];
  }
  return NULL;
}

int define_adam_exports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, 1, props) == napi_ok;
}
