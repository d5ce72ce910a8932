{
  "targets": [
    {
      "target_name": "pagedelta_kernels",
      "sources": ["codecs/addon/kernels-addon.c"],
      "cflags": ["-O2"]
    }
  ]
}
