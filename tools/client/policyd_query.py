#!/usr/bin/python3
"""Queries policyd from Python (Debian's python3-grpcio, python3-protobuf).

Run with /usr/bin/python3: Debian's grpc/protobuf packages are importable by
the system interpreter, not by a pyenv/venv `python3` earlier on PATH.

Examples (policyd on 127.0.0.1:50051 with the example tenants, tools/run.sh):
  /usr/bin/python3 tools/client/policyd_query.py health
  /usr/bin/python3 tools/client/policyd_query.py list
  /usr/bin/python3 tools/client/policyd_query.py evaluate --tenant t-contoso \
      --client app-expense --user alice --scope "User.Read Calendars.Read"
  /usr/bin/python3 tools/client/policyd_query.py evaluate --request request.json
TLS: --tls_ca ca.pem; mutual TLS: also --tls_cert client.pem --tls_key client.key.

The stubs are generated on first use by tools/client/gen_stubs.sh (Debian's
protoc + grpc_python_plugin) into tools/client/gen, or into --stubs DIR.
"""

import argparse
import datetime
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROTOS = [os.path.join(ROOT, "proto", p) for p in ("request.proto", "decision.proto", "service.proto")]
PROTOS.append(os.path.join(ROOT, "server", "health.proto"))


def load_stubs(stubs_dir):
    """Generates the stubs if missing or older than the .proto files; imports them."""
    marker = os.path.join(stubs_dir, "proto", "service_pb2_grpc.py")
    stale = not os.path.exists(marker) or any(
        os.path.getmtime(p) > os.path.getmtime(marker) for p in PROTOS if os.path.exists(p))
    if stale:
        subprocess.run([os.path.join(HERE, "gen_stubs.sh"), stubs_dir], check=True)
    sys.path.insert(0, stubs_dir)
    import grpc  # noqa: F401  (fail early with a clear message if absent)
    from proto import request_pb2, service_pb2, service_pb2_grpc
    import health_pb2
    import health_pb2_grpc
    return request_pb2, service_pb2, service_pb2_grpc, health_pb2, health_pb2_grpc


def channel_for(args):
    import grpc
    if args.tls_ca or args.tls_cert:
        def read(path):
            if not path:
                return None
            with open(path, "rb") as f:
                return f.read()
        creds = grpc.ssl_channel_credentials(
            root_certificates=read(args.tls_ca),
            private_key=read(args.tls_key),
            certificate_chain=read(args.tls_cert))
        return grpc.secure_channel(args.target, creds)
    return grpc.insecure_channel(args.target)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--timeout", type=float, default=5.0, help="deadline, seconds")
    parser.add_argument("--tls_ca", help="PEM CA of the server certificate")
    parser.add_argument("--tls_cert", help="PEM client certificate (mutual TLS)")
    parser.add_argument("--tls_key", help="PEM client key (mutual TLS)")
    parser.add_argument("--stubs", default=os.path.join(HERE, "gen"),
                        help="where the generated stubs live (default: tools/client/gen)")
    sub = parser.add_subparsers(dest="command", required=True)
    health = sub.add_parser("health", help="grpc.health.v1 Check")
    health.add_argument("--service", default="", help='"" (server) or consent.v1.PolicyService')
    sub.add_parser("list", help="ListBundles")
    ev = sub.add_parser("evaluate", help="Evaluate one token request")
    ev.add_argument("--request", help="a TokenRequest as protobuf JSON (overrides the flags)")
    ev.add_argument("--tenant", default="t-contoso")
    ev.add_argument("--client", default="app-expense")
    ev.add_argument("--user", default="alice")
    ev.add_argument("--scope", default="User.Read")
    ev.add_argument("--grant_type", default="interactive")
    ev.add_argument("--now", help="RFC 3339 UTC; default: the current time")
    ev.add_argument("--unauthenticated", action="store_true",
                    help="the client did not authenticate (public clients); default: it did")
    args = parser.parse_args(argv)

    request_pb2, service_pb2, service_pb2_grpc, health_pb2, health_pb2_grpc = load_stubs(args.stubs)
    from google.protobuf import json_format
    import grpc

    channel = channel_for(args)
    try:
        if args.command == "health":
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(service=args.service),
                               timeout=args.timeout)
            print(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
            return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
        stub = service_pb2_grpc.PolicyServiceStub(channel)
        if args.command == "list":
            reply = stub.ListBundles(service_pb2.ListBundlesRequest(), timeout=args.timeout)
            print(json_format.MessageToJson(reply, preserving_proto_field_name=True))
            return 0
        # evaluate
        if args.request:
            with open(args.request) as f:
                request = json_format.Parse(f.read(), request_pb2.TokenRequest())
        else:
            now = args.now or datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            request = request_pb2.TokenRequest(
                tenant=args.tenant, now=now, grant_type=args.grant_type,
                client_id=args.client, client_authenticated=not args.unauthenticated,
                scope=args.scope, user=request_pb2.User(id=args.user))
        reply = stub.Evaluate(service_pb2.EvaluateRequest(request=request), timeout=args.timeout)
        print(json_format.MessageToJson(reply, preserving_proto_field_name=True))
        return 0
    except grpc.RpcError as e:
        print("rpc failed: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 2
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
