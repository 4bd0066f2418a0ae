"""schemathesis hooks (SCHEMATHESIS_HOOKS): generated schema-conforming eKYC
webhook bodies name the seeded agreement and party (tests/schemathesis/seed.py)
and carry a valid signature, so they reach the handler (parsing, the state
machine, replay refusal); negative cases keep their generated headers and
exercise the signature checks. HIMS_EKYC_SECRET is the server's."""

import hashlib
import hmac
import json
import os
import time

import schemathesis
from schemathesis.generation.modes import GenerationMode

SECRET = os.environ["HIMS_EKYC_SECRET"].encode()
SEEDED = {"agreement_id": os.environ["ST_AGREEMENT_ID"], "party_id": os.environ["ST_EKYC_PARTY_ID"]}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/v1/ekyc/callback" or not isinstance(case.body, dict):
        return
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    body = json.dumps({**case.body, **SEEDED}).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "X-Signature": f"sha256={mac}", "X-Timestamp": timestamp,
                    "Content-Type": "application/json"}
    kwargs["data"] = body



# `POST /tsa` takes DER bytes (RFC 3161): send generated bodies as raw bytes,
# as for application/octet-stream.
schemathesis.serializer.alias("application/timestamp-query", "application/octet-stream")
