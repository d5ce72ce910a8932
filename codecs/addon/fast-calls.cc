/*
 * The per-page codec calls of the native addon (XBZRLE encode and decode, XBRLE encode) as V8
 * fast API calls: where they load, the codecs send every page here, kernel-visible or not.
 *
 * Why: a Node-API call runs V8's generic path for calling into C++ (an exit frame, a handle
 * scope, the arguments boxed into an info object): dozens of stores. After a decode whose
 * stores missed the cache (a page of a large memory), those stores wait for the misses, which
 * cost about 200 ns a page on sparse deltas (docs/codecs.md). When optimised JavaScript calls a
 * function registered with a C signature, V8 calls it directly, like a C call, handing each
 * Uint8Array over as its data pointer and length: the per-page cost of the C reference loop.
 * Unoptimised code, and any call whose arguments do not fit the signature, takes the ordinary
 * callback below instead; both give the same results.
 *
 * Node 20 does not install V8's header for this (v8-fast-api-calls.h), so the few types the
 * registration needs are declared here with the member layout of V8 11.3, Node 20's V8 (the
 * constructors are V8's own, exported by node). On any other V8 the functions are registered
 * as ordinary callbacks only and `fastCalls` is false: the TypeScript side then keeps the
 * Node-API addon (kernels-addon.c).
 *
 *   xbzrleEncode(old, cur, out) -> encoded bytes, 0 (identical), -1 (does not fit in out), -2 bad arguments
 *   xbrleEncode(old, cur, out)  -> the same for XBRLE
 *   xbzrleDecode(encoded, page) -> 1 applied, 0 corrupt (page untouched), -2 bad arguments
 *   fastCalls                   -> whether the functions were registered as fast calls
 *   fastCallCount()             -> calls that took the fast path so far (tests prove it is taken)
 */
#include <node.h>
#include <stddef.h>
#include <stdint.h>

#include <atomic>

extern "C" {
#include "page-calls.h"
}

#if V8_MAJOR_VERSION == 11 && V8_MINOR_VERSION == 3
#define PAGEDELTA_FAST_CALLS 1
namespace v8 {
/* What one argument or the result is: a type, whether it is a typed array of it, flags. */
class CTypeInfo {
 public:
  enum class Type : uint8_t { kVoid, kBool, kUint8, kInt32, kUint32, kInt64, kUint64, kFloat32, kFloat64, kPointer, kV8Value, kSeqOneByteString, kApiObject, kAny };
  enum class SequenceType : uint8_t { kScalar, kIsSequence, kIsTypedArray, kIsArrayBuffer };
  enum class Flags : uint8_t { kNone = 0 };
  constexpr CTypeInfo(Type type, SequenceType sequence = SequenceType::kScalar) : type_(type), sequence_type_(sequence), flags_(Flags::kNone) {}

 private:
  Type type_;
  SequenceType sequence_type_;
  Flags flags_;
};
/* The C signature: the result and the arguments (the receiver first). */
class V8_EXPORT CFunctionInfo {
 public:
  CFunctionInfo(const CTypeInfo &return_info, unsigned int arg_count, const CTypeInfo *arg_info);

 private:
  const CTypeInfo return_info_;
  const unsigned int arg_count_;
  const CTypeInfo *arg_info_;
};
/* A C function and its signature, given to FunctionTemplate::New. */
class V8_EXPORT CFunction {
 public:
  CFunction(const void *address, const CFunctionInfo *type_info);

 private:
  const void *address_;
  const CFunctionInfo *type_info_;
};
/* How a typed-array argument arrives: its length in elements, then its data. */
struct FastTypedArrayOfBytes {
  size_t length;
  uint8_t *data;
};
}  // namespace v8
#else
#define PAGEDELTA_FAST_CALLS 0
#endif

using namespace v8;

/* Bumped by a relaxed load and store, not an atomic add: a locked instruction would wait for
   the page stores still in flight, the cost these calls avoid. Calls on two threads at once
   may then be counted as one; the count only proves the fast path is taken. */
static std::atomic<uint32_t> fast_call_count{0};
static inline void count_fast_call() { fast_call_count.store(fast_call_count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }

/* The ordinary callbacks: unoptimised callers, and arguments the fast path does not take. */
static bool bytes_of(Local<Value> value, uint8_t **data, size_t *length) {
  if (!value->IsUint8Array()) return false;
  Local<Uint8Array> array = value.As<Uint8Array>();
  *length = array->ByteLength();
  *data = *length == 0 ? nullptr : static_cast<uint8_t *>(array->Buffer()->Data()) + array->ByteOffset();
  return true;
}

template <int (*encode)(const uint8_t *, const uint8_t *, int, uint8_t *, int)>
static void encode_callback(const FunctionCallbackInfo<Value> &args) {
  uint8_t *old, *cur, *out;
  size_t old_length, cur_length, out_length;
  if (args.Length() < 3 || !bytes_of(args[0], &old, &old_length) || !bytes_of(args[1], &cur, &cur_length) || !bytes_of(args[2], &out, &out_length)) return args.GetReturnValue().Set(-2);
  args.GetReturnValue().Set(encode_page(encode, old, old_length, cur, cur_length, out, out_length));
}

static void decode_callback(const FunctionCallbackInfo<Value> &args) {
  uint8_t *encoded, *page;
  size_t encoded_length, page_length;
  if (args.Length() < 2 || !bytes_of(args[0], &encoded, &encoded_length) || !bytes_of(args[1], &page, &page_length)) return args.GetReturnValue().Set(-2);
  args.GetReturnValue().Set(decode_page(encoded, encoded_length, page, page_length));
}

static void fast_call_count_callback(const FunctionCallbackInfo<Value> &args) { args.GetReturnValue().Set(fast_call_count.load(std::memory_order_relaxed)); }

#if PAGEDELTA_FAST_CALLS
/* The fast versions: V8 calls these from optimised code with the arrays unboxed. They must
   not allocate on the JavaScript heap or call back into it; they do neither. */
template <int (*encode)(const uint8_t *, const uint8_t *, int, uint8_t *, int)>
static int32_t encode_fast(Local<Value> receiver, const FastTypedArrayOfBytes &old, const FastTypedArrayOfBytes &cur, const FastTypedArrayOfBytes &out) {
  count_fast_call();
  return encode_page(encode, old.data, old.length, cur.data, cur.length, out.data, out.length);
}

static int32_t decode_fast(Local<Value> receiver, const FastTypedArrayOfBytes &encoded, const FastTypedArrayOfBytes &page) {
  count_fast_call();
  return decode_page(encoded.data, encoded.length, page.data, page.length);
}

static const CTypeInfo bytes_argument(CTypeInfo::Type::kUint8, CTypeInfo::SequenceType::kIsTypedArray);
static const CTypeInfo receiver_argument(CTypeInfo::Type::kV8Value);
static const CTypeInfo int32_result(CTypeInfo::Type::kInt32);
static const CTypeInfo encode_arguments[] = {receiver_argument, bytes_argument, bytes_argument, bytes_argument};
static const CTypeInfo decode_arguments[] = {receiver_argument, bytes_argument, bytes_argument};
static const CFunctionInfo encode_signature(int32_result, 4, encode_arguments);
static const CFunctionInfo decode_signature(int32_result, 3, decode_arguments);
static const CFunction xbzrle_encode_call(reinterpret_cast<const void *>(&encode_fast<xbzrle_encode_fast>), &encode_signature);
static const CFunction xbrle_encode_call(reinterpret_cast<const void *>(&encode_fast<xbrle_encode_fast>), &encode_signature);
static const CFunction xbzrle_decode_call(reinterpret_cast<const void *>(&decode_fast), &decode_signature);
#define FAST(function) (&(function))
#else
#define FAST(function) nullptr
#endif

static void export_function(Local<Context> context, Local<Object> exports, const char *name, FunctionCallback callback, const CFunction *fast) {
  Isolate *isolate = context->GetIsolate();
  Local<FunctionTemplate> function = FunctionTemplate::New(isolate, callback, Local<Value>(), Local<Signature>(), 0, ConstructorBehavior::kThrow, SideEffectType::kHasSideEffect, fast);
  exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), function->GetFunction(context).ToLocalChecked()).Check();
}

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate *isolate = context->GetIsolate();
  export_function(context, exports, "xbzrleEncode", encode_callback<xbzrle_encode_fast>, FAST(xbzrle_encode_call));
  export_function(context, exports, "xbrleEncode", encode_callback<xbrle_encode_fast>, FAST(xbrle_encode_call));
  export_function(context, exports, "xbzrleDecode", decode_callback, FAST(xbzrle_decode_call));
  export_function(context, exports, "fastCallCount", fast_call_count_callback, nullptr);
  exports->Set(context, String::NewFromUtf8(isolate, "fastCalls").ToLocalChecked(), Boolean::New(isolate, PAGEDELTA_FAST_CALLS != 0)).Check();
}
