/* The C ABI between rlvr and a verifier plugin built as a shared library.
 *
 * A plugin exports two functions with C linkage:
 *
 *   RLVR_PLUGIN_EXPORT uint32_t rlvr_verifier_abi_version(void);  // RLVR_VERIFIER_ABI_VERSION
 *   RLVR_PLUGIN_EXPORT int rlvr_register_verifiers(const RlvrPluginHost* host);  // 0: success
 *
 * rlvr calls rlvr_verifier_abi_version first and refuses a library whose version differs from
 * its own; then rlvr_register_verifiers, in which the plugin calls host->register_verifier once
 * per verifier it offers. The library stays loaded for the life of the process.
 *
 * Only plain C types cross the boundary, so a plugin may be built with any compiler or language
 * that can export C functions. Strings are (pointer, length) pairs and need not be
 * NUL-terminated; they are valid only during the call that receives them.
 *
 * Thread safety: verify may be called concurrently from several threads.
 */
#ifndef RLVR_VERIFIERS_PLUGIN_ABI_H_
#define RLVR_VERIFIERS_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change to the structs or functions below. */
#define RLVR_VERIFIER_ABI_VERSION 1u

/* Marks the two exported functions visible even when the plugin hides its other symbols. */
#define RLVR_PLUGIN_EXPORT __attribute__((visibility("default")))

#define RLVR_ABI_VERSION_SYMBOL "rlvr_verifier_abi_version"
#define RLVR_REGISTER_SYMBOL "rlvr_register_verifiers"

/* Return values of RlvrVerifierDef.verify. */
#define RLVR_VERIFY_JUDGED 0 /* the reward is meaningful */
#define RLVR_VERIFY_ERROR 1  /* could not judge; set_detail says why */

typedef struct RlvrKeyValue {
  const char* key;
  size_t key_len;
  const char* value;
  size_t value_len;
} RlvrKeyValue;

typedef struct RlvrVerifyArgs {
  const char* response;
  size_t response_len;
  const char* ground_truth;
  size_t ground_truth_len;
  const RlvrKeyValue* metadata;
  size_t metadata_count;
  /* Milliseconds left before the host gives up on this item; negative when unbounded. */
  int64_t time_left_ms;
} RlvrVerifyArgs;

/* Where verify writes its judgement. Call the functions with `ctx` as first argument. */
typedef struct RlvrVerifyOutput {
  void* ctx;
  void (*set_reward)(void* ctx, double reward);
  void (*add_component)(void* ctx, const char* name, size_t name_len, double value);
  void (*set_detail)(void* ctx, const char* text, size_t text_len);
} RlvrVerifyOutput;

typedef struct RlvrVerifierDef {
  /* NUL-terminated; copied by the host during register_verifier. */
  const char* name;
  /* Passed back to verify and destroy. */
  void* user_data;
  int (*verify)(void* user_data, const RlvrVerifyArgs* args, const RlvrVerifyOutput* out);
  /* Called when the host drops the verifier; may be NULL. */
  void (*destroy)(void* user_data);
} RlvrVerifierDef;

typedef struct RlvrPluginHost {
  uint32_t abi_version;
  void* ctx;
  /* Returns 0, or nonzero when the definition is invalid or the name is taken (the host then
   * reports the reason when rlvr_register_verifiers returns). */
  int (*register_verifier)(void* ctx, const RlvrVerifierDef* def);
} RlvrPluginHost;

typedef uint32_t (*RlvrAbiVersionFn)(void);
typedef int (*RlvrRegisterFn)(const RlvrPluginHost* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RLVR_VERIFIERS_PLUGIN_ABI_H_ */
