{
  "targets": [
    {
      "target_name": "resumable_hash",
      "sources": ["native/resumable-hash.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"]
    }
  ]
}
