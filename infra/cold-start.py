#!/usr/bin/env python3
"""Cold start of one Lambda binary, locally: a minimal Lambda Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) on 127.0.0.1
hands the binary one event; we time process start -> first `/next` (what Lambda
reports as Init Duration) and -> the first response.

    infra/cold-start.py BINARY EVENT.json [RUNS] [--moto URL]

The function's environment comes from ours (HIMS_*, AWS_ENDPOINT_URL, AWS_REGION,
credentials). With `--moto URL` (needs boto3, as in .venv) a fresh table, bucket,
the three KMS keys and a sender identity are made in that moto server and the
environment is pointed at them.
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class Invocation:
    def __init__(self, event):
        self.event = event
        self.first_next = None
        self.response = None
        self.answered = threading.Event()


def handler_for(invocation):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != f"{PREFIX}/invocation/next":
                self.send_error(404)
                return
            if invocation.first_next is None:
                invocation.first_next = time.perf_counter()
                body = invocation.event
            else:
                # Later polls wait until the process is killed.
                invocation.answered.wait()
                time.sleep(3600)
                return
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "cold-start-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:cold-start",
            )
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            payload = self.rfile.read(length)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if invocation.response is None:
                invocation.response = (time.perf_counter(), self.path, payload)
                invocation.answered.set()

    return Handler


def run_once(binary, event):
    invocation = Invocation(event)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(invocation))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env.update(
        {
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
            "AWS_LAMBDA_FUNCTION_NAME": "cold-start",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_LAMBDA_LOG_GROUP_NAME": "local",
        }
    )
    start = time.perf_counter()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answered = invocation.answered.wait(timeout=30)
    process.kill()
    _, stderr = process.communicate()
    server.shutdown()
    if not answered:
        sys.exit(f"no response within 30 s; stderr:\n{stderr.decode(errors='replace')}")
    at, path, payload = invocation.response
    if not path.endswith("/response"):
        sys.exit(f"the function reported an error at {path}: {payload[:500]!r}")
    status = json.loads(payload).get("statusCode")
    return (invocation.first_next - start) * 1000, (at - start) * 1000, status


def use_moto(url):
    import uuid

    import boto3

    suffix = uuid.uuid4().hex[:12]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )
    client = lambda name: boto3.client(name, endpoint_url=url, region_name="us-east-1")  # noqa: E731
    table = f"hims-cold-{suffix}"
    client("dynamodb").create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    bucket = f"hims-cold-{suffix}"
    client("s3").create_bucket(Bucket=bucket)
    kms = client("kms")
    key = lambda spec, usage: kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]  # noqa: E731
    sender = f"esign-{suffix}@example.com"
    client("sesv2").create_email_identity(EmailIdentity=sender)
    os.environ.update(
        {
            "HIMS_TABLE": table,
            "HIMS_BUCKET": bucket,
            "HIMS_CA_KEY_ID": key("ECC_NIST_P256", "SIGN_VERIFY"),
            "HIMS_TSA_KEY_ID": key("ECC_NIST_P256", "SIGN_VERIFY"),
            "HIMS_DATA_KEY_ID": key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
            "HIMS_MAC_KEY_ID": key("HMAC_256", "GENERATE_VERIFY_MAC"),
            "HIMS_MAIL_FROM": sender,
            "HIMS_PUBLIC_URL": os.environ.get("HIMS_PUBLIC_URL", "https://hims.test"),
            "HIMS_PORTAL_TOKEN": os.environ.get("HIMS_PORTAL_TOKEN", "cold-start-portal-token"),
            "HIMS_EKYC_SECRET": os.environ.get("HIMS_EKYC_SECRET", "cold-start-ekyc-secret"),
        }
    )


def main():
    args = sys.argv[1:]
    if "--moto" in args:
        at = args.index("--moto")
        use_moto(args[at + 1])
        del args[at : at + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    binary, event_path = args[0], args[1]
    runs = int(args[2]) if len(args) > 2 else 5
    with open(event_path, "rb") as f:
        event = f.read()
    inits, firsts = [], []
    for _ in range(runs):
        init, first, status = run_once(binary, event)
        inits.append(init)
        firsts.append(first)
        print(f"init {init:7.1f} ms   first response {first:7.1f} ms   (status {status})")
    print(
        f"median of {runs}: init {statistics.median(inits):.1f} ms, "
        f"first response {statistics.median(firsts):.1f} ms"
    )


if __name__ == "__main__":
    main()
