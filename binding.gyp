{
  "targets": [
    {
      "target_name": "resumable_hash",
      "sources": ["native/resumable-hash.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"]
    },
    {
      "target_name": "unlink_batch",
      "sources": ["native/unlink-batch.c"],
      "cflags": ["-O2", "-Wall", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
