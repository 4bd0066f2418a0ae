"""Seeds a running `hims serve` for schemathesis: one agreement (the FLOW.md
example, two parties), the first party's eKYC approved (so the signer routes
reach their handlers), and prints shell `export` lines for the ids, the
first party's link token and the second party's id. Standard library only.

Usage: seed.py <base-url>; needs HIMS_PORTAL_TOKEN and HIMS_EKYC_SECRET.
"""

import hashlib
import hmac
import json
import os
import re
import shlex
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone

BASE = sys.argv[1].rstrip("/")
PORTAL = os.environ["HIMS_PORTAL_TOKEN"]
EKYC = os.environ["HIMS_EKYC_SECRET"]


def call(method, path, body=None, headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def in_days(d):
    return (datetime.now(timezone.utc) + timedelta(days=d)).isoformat()


def create():
    party = lambda key, role, name, id_type, id_number, order, action, days: {  # noqa: E731
        "role": role, "name": name, "id_type": id_type, "id_number": id_number,
        "email": f"{key}-st@example.my", "order": order, "action": action, "deadline": in_days(days),
    }
    request = {
        "project_code": "20165-9",
        "project_name": "PARKLAND AVENUE",
        "developer_name": "PARKLAND AVENUE SDN. BHD.",
        "developer_email": "legal-st@parkland.example",
        "unit": "B-10-ST",
        "document": {"template": "espa", "fields": {
            "unit_type": "Kondominium (3 bilik tidur, 2 bilik air)", "built_up_area_sqm": 102, "price_sen": 65_000_000}},
        "parties": [
            party("aisyah", "purchaser", "Nur Aisyah binti Abdullah", "mykad", "900101-14-5678", 1, "sign", 7),
            party("siti", "landowner_witness", "Siti Nur'ain binti Kamal", "mykad", "850320-08-5208", 2, "review", 14),
        ],
    }
    headers = {"Authorization": f"Bearer {PORTAL}", "Content-Type": "application/json"}
    return call("POST", "/v1/agreements", request, headers)


def approve(agreement_id, party_id):
    body = json.dumps({"agreement_id": agreement_id, "party_id": party_id,
                       "result": "approved", "reference": f"IDSAYA-{party_id}"}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(EKYC.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    call("POST", "/v1/ekyc/callback", body, {
        "Content-Type": "application/json", "X-Signature": f"sha256={sig}", "X-Timestamp": ts})


def link_token(to):
    for _ in range(150):
        for mail in call("GET", "/dev/outbox", headers={"Accept": "application/json"}):
            m = re.search(r"/s/([^\s<>\"]+)", mail.get("text", "")) if mail.get("to") == to else None
            if m:
                return m.group(1)
        time.sleep(0.2)
    sys.exit(f"seed: no link emailed to {to}")


agreement = create()
first = agreement["parties"][0]
approve(agreement["id"], first["id"])
values = {
    "ST_AGREEMENT_ID": agreement["id"],
    "ST_SERIAL": agreement["serial"],
    "ST_SIGNER_TOKEN": link_token(first["email"]),
    # The witness: signed eKYC callbacks name her, so they reach the state machine.
    "ST_EKYC_PARTY_ID": agreement["parties"][1]["id"],
}
for name, value in values.items():
    print(f"export {name}={shlex.quote(value)}")
