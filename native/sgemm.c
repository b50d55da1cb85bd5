/*
 * sgemm.node: a tiny N-API addon (ABI-stable across Node versions) that runs single-precision matrix
 * products through OpenBLAS's cblas_sgemm, so the tfjs wasm backend can hand its matmuls to a native BLAS
 * (lib/core/nativeMatMul.ts). Built by scripts/build-native.mjs; optional: nothing fails without it.
 *
 * Exports (all matrices row-major, float32):
 *   sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
 *       C = alpha * op(A) op(B) + beta * C on Float32Array views (the BLAS convention, bounds-checked).
 *   sgemmBatch(transA, transB, M, N, K, heap, aOffsets, bOffsets, cOffsets, biasOffset, biasLength,
 *              activation, activationAlpha)
 *       For each i: C_i = act(op(A_i) op(B_i) + bias), where A_i, B_i, C_i are contiguous matrices that
 *       start at byte offsets aOffsets[i], bOffsets[i], cOffsets[i] (Uint32Array) inside `heap` (an
 *       ArrayBuffer or a typed array over the whole wasm heap: zero copy). biasOffset < 0 means no bias;
 *       otherwise biasLength is N (one value per column) or 1 (a scalar). activation uses the codes of the
 *       tfjs wasm backend (FusableActivation): 0 linear, 1 relu, 2 relu6, 4 leakyrelu (activationAlpha),
 *       5 sigmoid, 6 elu. prelu (3) is not handled here.
 *   setThreads(n), getThreads(), info() -> { config, corename, parallel, threads, procs }
 *   activate, activationVjp, columnSums, select, binary: the elementwise kernels of native/elementwise.c;
 *   adam: native/adam.c; coupling, couplingGrad: native/coupling.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>
#include <node_api.h>

#include "addon.h"

/* Declared by OpenBLAS's cblas.h; repeated here so a build against another cblas.h fails at link time
   (the build script links -lopenblas explicitly) rather than silently calling a different BLAS. */
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern int openblas_get_parallel(void);
extern int openblas_get_num_threads(void);
extern int openblas_get_num_procs(void);
extern void openblas_set_num_threads(int num_threads);

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_PRELU = 3, ACT_LEAKYRELU = 4, ACT_SIGMOID = 5, ACT_ELU = 6 };

static int throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return 0;
}

static int get_bool(napi_env env, napi_value v, int *out) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    napi_throw_type_error(env, NULL, "sgemm.node: expected a boolean transpose flag");
    return 0;
  }
  *out = b ? 1 : 0;
  return 1;
}

/* A non-negative integer dimension (below 2^31, the range of OpenBLAS's 32-bit blasint). */
int get_dim(napi_env env, napi_value v, const char *name, int64_t *out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 2147483647.0 || d != floor(d)) {
    char msg[160];
    snprintf(msg, sizeof msg, "sgemm.node: %s must be an integer in [0, 2^31), got %g", name, d);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

int get_number(napi_env env, napi_value v, const char *name, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    char msg[120];
    snprintf(msg, sizeof msg, "sgemm.node: %s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

/* A Float32Array's data pointer and length in elements. */
static int get_f32(napi_env env, napi_value v, const char *name, float **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t len = 0;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &len, &ptr, NULL, NULL) != napi_ok || type != napi_float32_array) {
    char msg[120];
    snprintf(msg, sizeof msg, "sgemm.node: %s must be a Float32Array", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *data = (float *)ptr;
  *length = len;
  return 1;
}

/* The bytes behind an ArrayBuffer or any typed array (the wasm heap). */
int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *byte_length) {
  bool is = false;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void *ptr = NULL;
    if (napi_get_arraybuffer_info(env, v, &ptr, byte_length) != napi_ok) return 0;
    *data = (uint8_t *)ptr;
    return 1;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t len = 0;
    void *ptr = NULL;
    if (napi_get_typedarray_info(env, v, &type, &len, &ptr, NULL, NULL) != napi_ok) return 0;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *data = (uint8_t *)ptr;
    *byte_length = len * elem;
    return 1;
  }
  napi_throw_type_error(env, NULL, "sgemm.node: heap must be an ArrayBuffer or a typed array");
  return 0;
}

static int get_u32(napi_env env, napi_value v, const char *name, uint32_t **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t len = 0;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &len, &ptr, NULL, NULL) != napi_ok || type != napi_uint32_array) {
    char msg[120];
    snprintf(msg, sizeof msg, "sgemm.node: %s must be a Uint32Array of byte offsets", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *data = (uint32_t *)ptr;
  *length = len;
  return 1;
}

/* Elements spanned by a rows x cols row-major matrix with leading dimension ld. */
static size_t extent(int64_t rows, int64_t cols, int64_t ld) {
  return (rows == 0 || cols == 0) ? 0 : (size_t)((rows - 1) * ld + cols);
}

static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) {
    napi_throw_type_error(env, NULL,
                          "sgemm.node: sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) takes 13 arguments");
    return NULL;
  }
  int ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
  float *A, *B, *C;
  size_t la, lb, lc;
  if (!get_bool(env, argv[0], &ta) || !get_bool(env, argv[1], &tb) || !get_dim(env, argv[2], "M", &M) ||
      !get_dim(env, argv[3], "N", &N) || !get_dim(env, argv[4], "K", &K) ||
      !get_number(env, argv[5], "alpha", &alpha) || !get_f32(env, argv[6], "A", &A, &la) ||
      !get_dim(env, argv[7], "lda", &lda) || !get_f32(env, argv[8], "B", &B, &lb) ||
      !get_dim(env, argv[9], "ldb", &ldb) || !get_number(env, argv[10], "beta", &beta) ||
      !get_f32(env, argv[11], "C", &C, &lc) || !get_dim(env, argv[12], "ldc", &ldc))
    return NULL;
  /* Row-major storage: op(A) is M x K, so A is stored K x M when transposed. */
  const int64_t aRows = ta ? K : M, aCols = ta ? M : K;
  const int64_t bRows = tb ? N : K, bCols = tb ? K : N;
  if (lda < (aCols > 1 ? aCols : 1) || ldb < (bCols > 1 ? bCols : 1) || ldc < (N > 1 ? N : 1)) {
    throw_range(env, "sgemm.node: a leading dimension is smaller than its matrix's row length");
    return NULL;
  }
  if (extent(aRows, aCols, lda) > la || extent(bRows, bCols, ldb) > lb || extent(M, N, ldc) > lc) {
    throw_range(env, "sgemm.node: a Float32Array is shorter than its matrix");
    return NULL;
  }
  if (M > 0 && N > 0) {
    if (K == 0) {
      /* BLAS leaves C scaled by beta; do it explicitly (beta = 0 must overwrite NaN garbage). */
      for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0.0f : (float)(beta * C[i * ldc + j]);
    } else {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (blasint)M,
                  (blasint)N, (blasint)K, (float)alpha, A, (blasint)lda, B, (blasint)ldb, (float)beta, C, (blasint)ldc);
    }
  }
  return NULL;
}

static void apply_activation(float *c, size_t n, int activation, float alpha) {
  switch (activation) {
    case ACT_RELU:
      for (size_t i = 0; i < n; i++) c[i] = c[i] < 0 ? 0.0f : c[i];
      break;
    case ACT_RELU6:
      for (size_t i = 0; i < n; i++) c[i] = c[i] < 0 ? 0.0f : (c[i] > 6 ? 6.0f : c[i]);
      break;
    case ACT_LEAKYRELU:
      for (size_t i = 0; i < n; i++) c[i] = c[i] < 0 ? alpha * c[i] : c[i];
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < n; i++) c[i] = 1.0f / (1.0f + expf(-c[i]));
      break;
    case ACT_ELU:
      for (size_t i = 0; i < n; i++) c[i] = c[i] < 0 ? expm1f(c[i]) : c[i];
      break;
    default:
      break;
  }
}

/* The size (multiply-adds) below which a product runs on one thread. */
#define SMALL_PRODUCT 8388608.0

static napi_value js_sgemm_batch(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) {
    napi_throw_type_error(env, NULL,
                          "sgemm.node: sgemmBatch(transA, transB, M, N, K, heap, aOffsets, bOffsets, cOffsets, "
                          "biasOffset, biasLength, activation, activationAlpha) takes 13 arguments");
    return NULL;
  }
  int ta, tb;
  int64_t M, N, K, biasLength, activation;
  double biasOffset, activationAlpha;
  uint8_t *heap;
  size_t heapBytes, na, nb, nc;
  uint32_t *ao, *bo, *co;
  if (!get_bool(env, argv[0], &ta) || !get_bool(env, argv[1], &tb) || !get_dim(env, argv[2], "M", &M) ||
      !get_dim(env, argv[3], "N", &N) || !get_dim(env, argv[4], "K", &K) ||
      !get_bytes(env, argv[5], &heap, &heapBytes) || !get_u32(env, argv[6], "aOffsets", &ao, &na) ||
      !get_u32(env, argv[7], "bOffsets", &bo, &nb) || !get_u32(env, argv[8], "cOffsets", &co, &nc) ||
      !get_number(env, argv[9], "biasOffset", &biasOffset) || !get_dim(env, argv[10], "biasLength", &biasLength) ||
      !get_dim(env, argv[11], "activation", &activation) ||
      !get_number(env, argv[12], "activationAlpha", &activationAlpha))
    return NULL;
  if (na != nc || nb != nc) {
    throw_range(env, "sgemm.node: aOffsets, bOffsets and cOffsets must have the same length");
    return NULL;
  }
  if (activation > ACT_ELU || activation == ACT_PRELU) {
    throw_range(env, "sgemm.node: activation must be 0 (linear), 1 (relu), 2 (relu6), 4 (leakyrelu), 5 (sigmoid) or 6 (elu)");
    return NULL;
  }
  const float *bias = NULL;
  if (biasOffset >= 0) {
    if (biasOffset != floor(biasOffset) || biasOffset > 4294967295.0) {
      throw_range(env, "sgemm.node: biasOffset must be a byte offset (an integer below 2^32) or -1");
      return NULL;
    }
    if (biasLength != N && biasLength != 1) {
      throw_range(env, "sgemm.node: biasLength must be N or 1");
      return NULL;
    }
    if ((size_t)biasOffset % 4 != 0 || (size_t)biasOffset + 4 * (size_t)biasLength > heapBytes) {
      throw_range(env, "sgemm.node: the bias lies outside the heap or is misaligned");
      return NULL;
    }
    bias = (const float *)(heap + (size_t)biasOffset);
  }
  const size_t aBytes = 4 * (size_t)(M * K), bBytes = 4 * (size_t)(K * N), cBytes = 4 * (size_t)(M * N);
  for (size_t i = 0; i < nc; i++) {
    if (ao[i] % 4 || bo[i] % 4 || co[i] % 4 || (size_t)ao[i] + aBytes > heapBytes ||
        (size_t)bo[i] + bBytes > heapBytes || (size_t)co[i] + cBytes > heapBytes) {
      throw_range(env, "sgemm.node: an operand lies outside the heap or is misaligned");
      return NULL;
    }
  }
  if (M == 0 || N == 0) return NULL;
  /* Contiguous row-major operands: op(A) is M x K, stored K x M when transposed. */
  const blasint lda = (blasint)(ta ? (M > 1 ? M : 1) : (K > 1 ? K : 1));
  const blasint ldb = (blasint)(tb ? (K > 1 ? K : 1) : (N > 1 ? N : 1));
  /* Small products run on one thread whatever setThreads asked: OpenBLAS's own threshold still splits products of a
     few million multiply-adds, where waking the other threads costs more than it saves (a RealNVP step of 1024 x 16
     x 64 products took twice as long on 2 threads as on 1). Same arithmetic either way: OpenBLAS splits C, not K. */
  const int threads = openblas_get_num_threads();
  const int single = threads > 1 && (double)M * (double)N * (double)K < SMALL_PRODUCT;
  if (single) openblas_set_num_threads(1);
  for (size_t i = 0; i < nc; i++) {
    float *c = (float *)(heap + co[i]);
    float beta = 0.0f;
    if (bias != NULL) {
      /* Seed C with the bias and accumulate into it (beta = 1): the bias add costs no extra pass. */
      for (int64_t r = 0; r < M; r++) {
        float *row = c + r * N;
        if (biasLength == 1) {
          for (int64_t j = 0; j < N; j++) row[j] = bias[0];
        } else {
          memcpy(row, bias, 4 * (size_t)N);
        }
      }
      beta = 1.0f;
    }
    if (K == 0) {
      if (bias == NULL) memset(c, 0, cBytes);
    } else {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (blasint)M,
                  (blasint)N, (blasint)K, 1.0f, (const float *)(heap + ao[i]), lda, (const float *)(heap + bo[i]),
                  ldb, beta, c, (blasint)N);
    }
    apply_activation(c, (size_t)(M * N), (int)activation, (float)activationAlpha);
  }
  if (single) openblas_set_num_threads(threads);
  return NULL;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !get_dim(env, argv[0], "threads", &n)) return NULL;
  if (n < 1) {
    throw_range(env, "sgemm.node: threads must be at least 1");
    return NULL;
  }
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK_NAPI(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  CHECK_NAPI(napi_create_object(env, &out));
  CHECK_NAPI(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &v));
  CHECK_NAPI(napi_set_named_property(env, out, "config", v));
  CHECK_NAPI(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &v));
  CHECK_NAPI(napi_set_named_property(env, out, "corename", v));
  const int parallel = openblas_get_parallel();
  CHECK_NAPI(napi_create_string_utf8(env, parallel == 0 ? "sequential" : parallel == 1 ? "pthreads" : "openmp",
                                     NAPI_AUTO_LENGTH, &v));
  CHECK_NAPI(napi_set_named_property(env, out, "parallel", v));
  CHECK_NAPI(napi_create_int32(env, openblas_get_num_threads(), &v));
  CHECK_NAPI(napi_set_named_property(env, out, "threads", v));
  CHECK_NAPI(napi_create_int32(env, openblas_get_num_procs(), &v));
  CHECK_NAPI(napi_set_named_property(env, out, "procs", v));
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemmBatch", NULL, js_sgemm_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, js_get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (!define_elementwise_exports(env, exports) || !define_adam_exports(env, exports) ||
      !define_coupling_exports(env, exports))
    return NULL;
  return exports;
}
