#include "sandbox/executor.h"

namespace rlvr::sandbox {

// The languages and common mounts of configs/sandbox.textproto, used when a service config
// names none (e.g. the sandbox section of an experiment config). A test keeps the two equal.
extern const char kDefaultLanguagesText[];
const char kDefaultLanguagesText[] = R"pb(
  common_mount_paths: [
    "/dev/null",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    "/bin",
    "/lib",
    "/lib64",
    "/usr/bin",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib/locale",
    "/etc/ld.so.cache"
  ]

  languages {
    name: "python3"
    source_file: "solution.py"
    embedded_python: true
    mount_paths: [ "/usr/lib/python3.11" ]
    # Native-code escape hatches of CPython: hidden, so programs cannot read the process memory.
    hidden_paths: [
      "/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_ctypes_test.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_testcapi.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_testinternalcapi.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_testbuffer.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_testmultiphase.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_testclinic.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_testimportmultiple.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_xxsubinterpreters.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/python3.11/lib-dynload/_xxtestfuzz.cpython-311-x86_64-linux-gnu.so"
    ]
    preload_modules: [
      "abc",        "array",   "bisect", "cmath",     "collections", "copy",       "dataclasses",
      "datetime",   "decimal", "enum",   "fractions", "functools",   "hashlib",    "heapq",
      "itertools",  "json",    "math",   "operator",  "os",          "random",     "re",
      "statistics", "string",  "sys",    "textwrap",  "typing",      "unicodedata"
    ]
  }

  languages {
    name: "cpp"
    source_file: "main.cpp"
    compile: [ "/usr/bin/g++", "-O2", "-std=c++17", "-pipe", "-o", "{bin}", "{src}" ]
    run: [ "{bin}" ]
    mount_paths: [ "/usr/lib/gcc", "/usr/libexec/gcc", "/usr/include" ]
    env: [ "PATH=/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8" ]
    compile_limits {
      wall_time_ms: 60000
      cpu_time_ms: 30000
      memory_bytes: 2147483648
      file_size_bytes: 268435456
      output_bytes: 1048576
      processes: 64
      open_files: 256
    }
    mount_proc: true
    tmp_exec: true
  }

  languages {
    name: "bash"
    source_file: "main.sh"
    run: [ "/usr/bin/bash", "{src}" ]
    env: [ "PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8" ]
  }
)pb";

}  // namespace rlvr::sandbox
