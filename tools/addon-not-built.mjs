// npm install's fallback when node-gyp could not build the native delta addon (binding.gyp):
// a warning, not a failure. The codecs then take their WebAssembly copy path for pages that
// are not kernel-visible, and its tests are skipped with this reason.
console.warn('warning: the native delta addon (binding.gyp) was not built; xbzrle runs without it (slower on pages not from allocatePages)');
