// SHA-256 and SHA-512 whose running state can be saved and restored: an upload's hash continues
// in whichever process (on whichever node) receives its next chunk. OpenSSL's SHA256_CTX and
// SHA512_CTX are plain structs, so saving is copying one; Node exports OpenSSL's symbols to
// addons, so this runs at node:crypto's speed (SHA-NI) without a library of its own.
//
// A saved state is: "BRH1", the algorithm (1 = SHA-256, 2 = SHA-512), 3 zero bytes, the struct's
// size (uint32, little-endian), the struct, then the first 8 bytes of the SHA-256 of all that.
// A state whose tag, size or check does not match this build is refused, never misread.
#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define ALG_SHA256 1
#define ALG_SHA512 2
#define HEADER 12
#define CHECK 8

typedef union {
  SHA256_CTX sha256;
  SHA512_CTX sha512;
} HashCtx;

static size_t ctx_size(int alg) { return alg == ALG_SHA256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX); }

#define TRY(call)                                                   \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error(env, NULL, "resumable-hash: N-API failure"); \
      return NULL;                                                  \
    }                                                               \
  } while (0)

/** Reads argument `i` as an algorithm number; throws unless it is 1 or 2. */
static int get_alg(napi_env env, napi_value value) {
  int32_t alg = 0;
  if (napi_get_value_int32(env, value, &alg) != napi_ok || (alg != ALG_SHA256 && alg != ALG_SHA512)) {
    napi_throw_type_error(env, NULL, "resumable-hash: unknown algorithm");
    return 0;
  }
  return alg;
}

/** The bytes of a Buffer argument; throws (and returns NULL) when it is not one. */
static void *get_bytes(napi_env env, napi_value value, size_t *length) {
  bool is_buffer = false;
  void *data = NULL;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, value, &data, length) != napi_ok) {
    napi_throw_type_error(env, NULL, "resumable-hash: expected a Buffer");
    return NULL;
  }
  // An empty Buffer may have no storage at all; callers only need a non-NULL pointer to test.
  return data != NULL ? data : (void *)"";
}

/** Copies a live state Buffer into an aligned struct (a Buffer's storage need not be aligned). */
static int load_ctx(napi_env env, napi_value value, int alg, HashCtx *ctx) {
  size_t length = 0;
  void *data = get_bytes(env, value, &length);
  if (data == NULL) return 0;
  if (length != ctx_size(alg)) {
    napi_throw_type_error(env, NULL, "resumable-hash: state of the wrong size");
    return 0;
  }
  memcpy(ctx, data, length);
  return 1;
}

static napi_value new_buffer(napi_env env, const void *bytes, size_t length) {
  napi_value result;
  void *data;
  if (napi_create_buffer_copy(env, length, bytes, &data, &result) != napi_ok) {
    napi_throw_error(env, NULL, "resumable-hash: out of memory");
    return NULL;
  }
  return result;
}

/** init(alg) → a fresh live state */
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  TRY(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int alg = argc == 1 ? get_alg(env, argv[0]) : 0;
  if (!alg) return NULL;
  HashCtx ctx;
  if (alg == ALG_SHA256) SHA256_Init(&ctx.sha256);
  else SHA512_Init(&ctx.sha512);
  return new_buffer(env, &ctx, ctx_size(alg));
}

/** update(alg, state, data): hashes `data` into `state` in place */
static napi_value js_update(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  TRY(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int alg = argc == 3 ? get_alg(env, argv[0]) : 0;
  if (!alg) return NULL;
  size_t state_length = 0, length = 0;
  void *state = get_bytes(env, argv[1], &state_length);
  if (state == NULL) return NULL;
  const void *data = get_bytes(env, argv[2], &length);
  if (data == NULL) return NULL;
  HashCtx ctx;
  if (!load_ctx(env, argv[1], alg, &ctx)) return NULL;
  if (alg == ALG_SHA256) SHA256_Update(&ctx.sha256, data, length);
  else SHA512_Update(&ctx.sha512, data, length);
  memcpy(state, &ctx, ctx_size(alg));
  return NULL;
}

/** digest(alg, state) → the digest of everything hashed so far; `state` goes on unchanged */
static napi_value js_digest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  TRY(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int alg = argc == 2 ? get_alg(env, argv[0]) : 0;
  if (!alg) return NULL;
  HashCtx ctx;
  if (!load_ctx(env, argv[1], alg, &ctx)) return NULL;
  unsigned char out[SHA512_DIGEST_LENGTH];
  if (alg == ALG_SHA256) {
    SHA256_Final(out, &ctx.sha256);
    return new_buffer(env, out, SHA256_DIGEST_LENGTH);
  }
  SHA512_Final(out, &ctx.sha512);
  return new_buffer(env, out, SHA512_DIGEST_LENGTH);
}

static void check_of(const unsigned char *bytes, size_t length, unsigned char out[CHECK]) {
  unsigned char full[SHA256_DIGEST_LENGTH];
  SHA256(bytes, length, full);
  memcpy(out, full, CHECK);
}

/** save(alg, state) → the state in the tagged, checked format above */
static napi_value js_save(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  TRY(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int alg = argc == 2 ? get_alg(env, argv[0]) : 0;
  if (!alg) return NULL;
  HashCtx ctx;
  if (!load_ctx(env, argv[1], alg, &ctx)) return NULL;
  size_t size = ctx_size(alg);
  unsigned char saved[HEADER + sizeof(HashCtx) + CHECK] = {'B', 'R', 'H', '1', (unsigned char)alg, 0, 0, 0};
  saved[8] = size & 0xff;
  saved[9] = (size >> 8) & 0xff;
  saved[10] = saved[11] = 0;
  memcpy(saved + HEADER, &ctx, size);
  check_of(saved, HEADER + size, saved + HEADER + size);
  return new_buffer(env, saved, HEADER + size + CHECK);
}

/** Whether the struct's own fields are in range: a last guard against a state misread. */
static int plausible(int alg, const HashCtx *ctx) {
  if (alg == ALG_SHA256) return ctx->sha256.md_len == SHA256_DIGEST_LENGTH && ctx->sha256.num < SHA256_CBLOCK;
  return ctx->sha512.md_len == SHA512_DIGEST_LENGTH && ctx->sha512.num < SHA512_CBLOCK;
}

/** load(alg, saved) → a live state; throws on a state of another algorithm, build or damaged */
static napi_value js_load(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  TRY(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int alg = argc == 2 ? get_alg(env, argv[0]) : 0;
  if (!alg) return NULL;
  size_t length = 0;
  const unsigned char *saved = get_bytes(env, argv[1], &length);
  if (saved == NULL) return NULL;
  size_t size = ctx_size(alg);
  if (length < HEADER || memcmp(saved, "BRH1", 4) != 0) {
    napi_throw_error(env, "ERR_HASH_STATE", "not a saved hash state");
    return NULL;
  }
  if (saved[4] != alg) {
    napi_throw_error(env, "ERR_HASH_STATE", "saved hash state of another algorithm");
    return NULL;
  }
  size_t recorded = (size_t)saved[8] | ((size_t)saved[9] << 8) | ((size_t)saved[10] << 16) | ((size_t)saved[11] << 24);
  if (recorded != size || length != HEADER + size + CHECK) {
    napi_throw_error(env, "ERR_HASH_STATE", "saved hash state from another build (state size differs)");
    return NULL;
  }
  unsigned char check[CHECK];
  check_of(saved, HEADER + size, check);
  HashCtx ctx;
  memcpy(&ctx, saved + HEADER, size);
  if (memcmp(check, saved + HEADER + size, CHECK) != 0 || !plausible(alg, &ctx)) {
    napi_throw_error(env, "ERR_HASH_STATE", "saved hash state is damaged");
    return NULL;
  }
  return new_buffer(env, &ctx, size);
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok && napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "init", js_init) || !export_function(env, exports, "update", js_update) ||
      !export_function(env, exports, "digest", js_digest) || !export_function(env, exports, "save", js_save) ||
      !export_function(env, exports, "load", js_load)) {
    napi_throw_error(env, NULL, "resumable-hash: could not export its functions");
    return NULL;
  }
  return exports;
}
