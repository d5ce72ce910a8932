{
  "targets": [
    {
      "target_name": "pagedelta_kernels",
      "sources": ["codecs/addon/kernels-addon.c"],
      "cflags": ["-O2"]
    },
    {
      "target_name": "pagedelta_fast_calls",
      "sources": ["codecs/addon/fast-calls.cc"],
      "cflags_cc": ["-O2", "-Wno-cast-function-type"]
    }
  ]
}
