"""consent_fuzzer: a libFuzzer binary plus its g++ replay test."""

def consent_fuzzer(name, deps = [], replay_env = {}):
    """Declares `name` (libFuzzer, --config=fuzz) and `name_replay` (cc_test).

    Args:
      name: the fuzzer; its source is `name.cc`, its seed corpus
        `corpus/name/`, its kept crashes `regressions/name/`.
      deps: extra dependencies of the source.
      replay_env: environment of the replay test.
    """
    all_deps = deps + [
        ":fuzz_util",
        "//engine:policy_engine",
        "//proto:bundle_cc_proto",
        "//proto:decision_cc_proto",
        "//proto:request_cc_proto",
        "@system//:absl",
        "@system//:protobuf",
    ]
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = [name + ".cc"],
        tags = ["fuzz", "manual"],
        deps = all_deps,
    )
    native.cc_test(
        name = name + "_replay",
        size = "small",
        srcs = [name + ".cc", "replay_main.cc"],
        args = [
            "tests/fuzz/corpus/" + name,
            "tests/fuzz/regressions/" + name,
        ],
        data = native.glob([
            "corpus/" + name + "/**",
            "regressions/" + name + "/**",
        ]) + ["//policies:all"],
        env = replay_env,
        deps = all_deps,
    )
