/** `pagedelta/codecs`: the Codec contract, the registry, and what a new codec is built from. */
export { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
export { type CodecDefinition, codecNames, codecThroughput, defineCodec, getCodec, getCodecDefinition, registerCodec } from './registry.js';
export { type CodecThroughput, flatThroughput, measureThroughput } from './throughput.js';
export { isZeroPage, pagesEqual } from './words.js';
export { allocatePages, isKernelVisible } from './page-memory.js';
