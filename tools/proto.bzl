"""cc_grpc_proto: C++ (and optionally gRPC) code from .proto files with Debian's protoc.

Bazel 4's native proto rules want to build protoc from source; we call the
system compiler instead, so nothing is downloaded.
"""

def cc_grpc_proto(name, srcs, deps = [], grpc = False, visibility = None):
    """Generates and compiles C++ code for `srcs` (paths relative to this package).

    Args:
      name: the cc_library to create.
      srcs: .proto files of this package.
      deps: other cc_grpc_proto libraries whose protos these import.
      grpc: also run grpc_cpp_plugin for the services in `srcs`.
      visibility: of the cc_library.
    """
    pkg = native.package_name()
    bases = [s[:-len(".proto")] for s in srcs]
    outs = []
    for b in bases:
        outs += [b + ".pb.h", b + ".pb.cc"]
        if grpc:
            outs += [b + ".grpc.pb.h", b + ".grpc.pb.cc"]
    dep_protos = [d + "_srcs" for d in deps]
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + dep_protos,
        visibility = ["//visibility:public"],
    )
    plugin = ""
    if grpc:
        plugin = " --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR)"
    native.genrule(
        name = name + "_gen",
        srcs = srcs + dep_protos,
        outs = outs,
        cmd = "/usr/bin/protoc -I. --cpp_out=$(GENDIR)" + plugin + " " +
              " ".join([pkg + "/" + s for s in srcs]),
        message = "protoc " + name,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + (["@system//:grpc"] if grpc else ["@system//:protobuf"]),
        visibility = visibility,
    )
