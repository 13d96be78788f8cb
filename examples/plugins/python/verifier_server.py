#!/usr/bin/env python3
"""An out-of-process verifier plugin: a gRPC server implementing rlvr.v1.Verifier in Python.

It serves one verifier, "word_budget": reward 1.0 when the response's answer (the text inside
<answer>...</answer>, or the whole response) has at most N words, N being the ground truth;
0.0 otherwise. A ground truth that is not a positive integer cannot be judged, and the server
says so with VERIFY_ERROR instead of a reward.

Needs: pip install grpcio grpcio-tools. The Python stubs are generated at start-up from
proto/rlvr/v1/verifier.proto into a temporary folder, so nothing generated is committed.

    python3 examples/plugins/python/verifier_server.py --port 50071

then in the experiment config:

    reward {
      plugins { address: "127.0.0.1:50071" names: "word_budget" timeout_ms: 2000 max_retries: 2 }
      verifiers { name: "word_budget" weight: 0.2 }
    }

With --port 0 the server picks a free port. Either way it prints "LISTENING <port>" on stdout
once it accepts calls.
"""

import argparse
import atexit
import importlib
import os
import re
import shutil
import sys
import tempfile
from concurrent import futures

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROTO_ROOT = os.path.join(REPO, "proto")


def load_stubs():
    """Compiles rlvr/v1/verifier.proto (and what it imports) and imports the modules."""
    from grpc_tools import protoc  # imported here so --help works without grpcio-tools

    out = tempfile.mkdtemp(prefix="rlvr_stubs_")
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        "rlvr/v1/verifier.proto",
    ]
    if protoc.main(args) != 0:
        sys.exit("failed to compile rlvr/v1/verifier.proto")
    sys.path.insert(0, out)
    pb2 = importlib.import_module("rlvr.v1.verifier_pb2")
    pb2_grpc = importlib.import_module("rlvr.v1.verifier_pb2_grpc")
    return pb2, pb2_grpc


ANSWER = re.compile(r"<answer>(.*?)</answer>", re.S)


def word_budget(response, ground_truth):
    """Returns (reward, detail) or raises ValueError when it cannot judge."""
    try:
        budget = int(ground_truth.strip())
    except ValueError:
        raise ValueError(f"ground truth {ground_truth!r} is not a word count")
    if budget <= 0:
        raise ValueError("the word budget must be positive")
    blocks = ANSWER.findall(response)
    answer = blocks[-1] if blocks else response
    words = len(answer.split())
    return (1.0 if words <= budget else 0.0), f"{words} words, budget {budget}"


VERIFIERS = {"word_budget": word_budget}


def make_servicer(pb2, pb2_grpc):
    class Servicer(pb2_grpc.VerifierServicer):
        def Verify(self, request, context):
            response = pb2.VerifyResponse()
            for item in request.items:
                result = response.results.add(id=item.id)
                fn = VERIFIERS.get(item.verifier)
                if fn is None:
                    result.status = pb2.VERIFY_ERROR
                    result.detail = f"unknown verifier {item.verifier!r}"
                    continue
                try:
                    reward, detail = fn(item.response, item.ground_truth)
                except ValueError as e:
                    result.status = pb2.VERIFY_ERROR
                    result.detail = str(e)
                    continue
                result.status = pb2.VERIFY_OK
                result.reward = reward
                result.components[item.verifier] = reward
                result.detail = detail
            return response

        def ListVerifiers(self, request, context):
            return pb2.ListVerifiersResponse(names=sorted(VERIFIERS))

    return Servicer()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50071)
    args = parser.parse_args()

    import grpc

    pb2, pb2_grpc = load_stubs()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb2_grpc.add_VerifierServicer_to_server(make_servicer(pb2, pb2_grpc), server)
    port = server.add_insecure_port(f"{args.host}:{args.port}")
    if port == 0:
        sys.exit(f"cannot listen on {args.host}:{args.port}")
    server.start()
    print(f"LISTENING {port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
