// Unlinks many files on threads of its own: `unlinkAll(paths, threads, nice)` resolves with the
// failures as [index, errno] pairs (a file already gone is not one). Garbage collection deletes
// tens of thousands of small files; each unlink waits on the disk (a journal's commit, a discard)
// far longer than it runs, so many at once go faster, and on threads outside libuv's pool a
// serving process's reads never queue behind them (one pool thread waits for them all). `nice`
// lowers those threads only (Linux niceness is per thread).
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_THREADS 64

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char **paths;
  int *errors;
  uint32_t count;
  int threads;
  int nice;
  atomic_uint next;
} Batch;

static void *unlink_some(void *arg) {
  Batch *batch = arg;
  if (batch->nice > 0) {
    // Raises only this thread's niceness (Linux: a thread id names one thread to setpriority).
    int current = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    if (batch->nice > current) setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), batch->nice);
  }
  for (uint32_t i = atomic_fetch_add(&batch->next, 1); i < batch->count; i = atomic_fetch_add(&batch->next, 1)) {
    if (unlink(batch->paths[i]) != 0 && errno != ENOENT) batch->errors[i] = errno;
  }
  return NULL;
}

/** Runs on a libuv thread, which only waits: its own niceness is the pool's, left alone. */
static void execute(napi_env env, void *data) {
  (void)env;
  Batch *batch = data;
  pthread_t ids[MAX_THREADS];
  int started = 0;
  for (; started < batch->threads; started++) {
    if (pthread_create(&ids[started], NULL, unlink_some, batch) != 0) break;
  }
  // Without a thread of its own (resources exhausted), the work still gets done here.
  if (started == 0) unlink_some(batch);
  for (int t = 0; t < started; t++) pthread_join(ids[t], NULL);
}

static void free_batch(Batch *batch) {
  if (batch->paths) {
    for (uint32_t i = 0; i < batch->count; i++) free(batch->paths[i]);
    free(batch->paths);
  }
  free(batch->errors);
  free(batch);
}

static void complete(napi_env env, napi_status status, void *data) {
  Batch *batch = data;
  napi_value failures = NULL;
  napi_value error = NULL;
  if (status == napi_ok && napi_create_array(env, &failures) == napi_ok) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < batch->count; i++) {
      if (batch->errors[i] == 0) continue;
      napi_value pair, index, code;
      if (napi_create_array_with_length(env, 2, &pair) != napi_ok || napi_create_uint32(env, i, &index) != napi_ok ||
          napi_create_int32(env, batch->errors[i], &code) != napi_ok || napi_set_element(env, pair, 0, index) != napi_ok ||
          napi_set_element(env, pair, 1, code) != napi_ok || napi_set_element(env, failures, n++, pair) != napi_ok) {
        failures = NULL;
        break;
      }
    }
  }
  if (failures != NULL) {
    napi_resolve_deferred(env, batch->deferred, failures);
  } else {
    napi_value message;
    napi_create_string_utf8(env, "unlink-batch: could not report the results", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, batch->deferred, error);
  }
  napi_delete_async_work(env, batch->work);
  free_batch(batch);
}

/** Copies the string at `value` into a new allocation; NULL (with a TypeError thrown) when it is not one. */
static char *copy_string(napi_env env, napi_value value) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "unlink-batch: expected an array of paths");
    return NULL;
  }
  char *text = malloc(length + 1);
  if (text == NULL || napi_get_value_string_utf8(env, value, text, length + 1, &length) != napi_ok) {
    free(text);
    napi_throw_error(env, NULL, "unlink-batch: out of memory");
    return NULL;
  }
  return text;
}

static napi_value js_unlink_all(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  bool is_array = false;
  uint32_t count = 0;
  int32_t threads = 1, nice = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &count) != napi_ok || napi_get_value_int32(env, argv[1], &threads) != napi_ok ||
      napi_get_value_int32(env, argv[2], &nice) != napi_ok) {
    napi_throw_type_error(env, NULL, "unlink-batch: expected (paths: string[], threads: number, nice: number)");
    return NULL;
  }
  Batch *batch = calloc(1, sizeof(Batch));
  if (batch == NULL) goto out_of_memory;
  batch->count = count;
  batch->threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
  if ((uint32_t)batch->threads > count) batch->threads = count > 0 ? (int)count : 1;
  batch->nice = nice < 0 ? 0 : nice > 19 ? 19 : nice;
  batch->paths = calloc(count > 0 ? count : 1, sizeof(char *));
  batch->errors = calloc(count > 0 ? count : 1, sizeof(int));
  if (batch->paths == NULL || batch->errors == NULL) goto out_of_memory;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[0], i, &element) != napi_ok) {
      free_batch(batch);
      napi_throw_error(env, NULL, "unlink-batch: could not read the paths");
      return NULL;
    }
    batch->paths[i] = copy_string(env, element);
    if (batch->paths[i] == NULL) {
      free_batch(batch);
      return NULL;
    }
  }
  napi_value promise, name;
  if (napi_create_promise(env, &batch->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "unlinkAll", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, batch, &batch->work) != napi_ok || napi_queue_async_work(env, batch->work) != napi_ok) {
    if (batch->work != NULL) napi_delete_async_work(env, batch->work);
    free_batch(batch);
    napi_throw_error(env, NULL, "unlink-batch: could not start the work");
    return NULL;
  }
  return promise;

out_of_memory:
  if (batch) free_batch(batch);
  napi_throw_error(env, NULL, "unlink-batch: out of memory");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "unlinkAll", NAPI_AUTO_LENGTH, js_unlink_all, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "unlinkAll", fn) != napi_ok) {
    napi_throw_error(env, NULL, "unlink-batch: could not export unlinkAll");
    return NULL;
  }
  return exports;
}
