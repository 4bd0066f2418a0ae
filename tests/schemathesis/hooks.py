"""schemathesis hooks (SCHEMATHESIS_HOOKS): valid eKYC webhook signatures on
generated schema-conforming bodies, so those reach the handler (parsing, the
agreement look-up, replay refusal); the other modes keep their generated
headers and exercise the signature checks. HIMS_EKYC_SECRET is the server's."""

import hashlib
import hmac
import json
import os
import time

import schemathesis
from schemathesis.generation.modes import GenerationMode

SECRET = os.environ["HIMS_EKYC_SECRET"].encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/v1/ekyc/callback" or not isinstance(case.body, dict):
        return
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    body = json.dumps(case.body).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "X-Signature": f"sha256={mac}", "X-Timestamp": timestamp,
                    "Content-Type": "application/json"}
    kwargs["data"] = body

