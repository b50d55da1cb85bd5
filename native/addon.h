/* Shared by the C files of the sgemm.node addon (sgemm.c holds the module init). */
#ifndef SAMPLING_LAB_ADDON_H
#define SAMPLING_LAB_ADDON_H

#include <stdint.h>
#include <stdio.h>
#include <node_api.h>

#define CHECK_NAPI(call)                                                                 \
  do {                                                                                   \
    if ((call) != napi_ok) {                                                             \
      napi_throw_error(env, NULL, "sgemm.node: N-API call failed: " #call);              \
      return NULL;                                                                       \
    }                                                                                    \
  } while (0)

/* Argument readers: each throws a JavaScript error naming the argument and returns 0 on bad input. */
int get_dim(napi_env env, napi_value v, const char *name, int64_t *out);
int get_number(napi_env env, napi_value v, const char *name, double *out);
int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *byte_length);

/* A float32 array of n elements at a byte offset inside the heap (native/elementwise.c); NULL and a RangeError
   naming `name` when it lies outside the heap or is misaligned. */
float *heap_f32(napi_env env, uint8_t *heap, size_t heapBytes, double offset, int64_t n, const char *name);

/* native/elementwise.c: adds activate, activationVjp and columnSums to the exports; 0 on failure. */
int define_elementwise_exports(napi_env env, napi_value exports);

/* native/adam.c: adds adam to the exports; 0 on failure. */
int define_adam_exports(napi_env env, napi_value exports);

/* native/coupling.c: adds coupling and couplingGrad to the exports; 0 on failure. */
int define_coupling_exports(napi_env env, napi_value exports);

#endif
