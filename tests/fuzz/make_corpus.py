#!/usr/bin/python3
"""Seeds tests/fuzz/corpus/ from policies/ (bundles, suites). Run from the
workspace root: /usr/bin/python3 tests/fuzz/make_corpus.py"""
import glob
import hashlib
import os
import re

ROOT = "tests/fuzz/corpus"


def put(fuzzer, data):
    d = os.path.join(ROOT, fuzzer)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def unquote(s):
    return bytes(s, "utf-8").decode("unicode_escape").encode("latin-1")


suites = sorted(glob.glob("policies/*/*.suite.textproto"))
bundles = sorted(glob.glob("policies/*/*.bundle.textproto") + glob.glob("policies/builtin/*.textproto")
                 + glob.glob("policies/*/variants/*.textproto"))
text = "".join(open(p).read() for p in suites)
scopes = sorted(set(re.findall(r'\bscope: "((?:[^"\\]|\\.)*)"', text)))
claims = sorted(set(re.findall(r'\bclaims: "((?:[^"\\]|\\.)*)"', text)))
acrs = sorted(set(re.findall(r'\bacr_values: "((?:[^"\\]|\\.)*)"', text)))
rules = sorted(set(re.findall(r'\brule: "((?:[^"\\]|\\.)*)"',
                              "".join(open(p).read() for p in bundles))))

for s in scopes:
    for head in (0, 1, 2, 3, 5, 8):
        put("scope_fuzzer", bytes([head]) + unquote(s))
for c in claims:
    put("claims_fuzzer", unquote(c))
    for a in acrs:
        put("claims_fuzzer", unquote(c) + b"\0" + unquote(a) + b"\0" + b"3600")
for a in acrs:
    put("claims_fuzzer", b"\0" + unquote(a))
for r in rules + ['device.isCompliant -eq True -and device.model -startsWith "Surface"',
                  '(device.deviceId -in ["dev-1", "dev-2"] -or device.systemLabels -contains "Privileged")',
                  'device.extensionAttribute1 -notEndsWith "d" -and device.trustType -ne "ServerAD"']:
    for head in (1, 3, 6):
        put("device_filter_fuzzer", bytes([head]) + unquote(r) if r in rules else bytes([head]) + r.encode())
for p in bundles:
    put("bundle_fuzzer", open(p, "rb").read())
# request_fuzzer: textproto requests against contoso (head 1) and fabrikam (head 3).
for head, tenant, client in ((1, "t-contoso", "app-expense"), (3, "t-fabrikam", "hr-portal")):
    for s in scopes:
        for grant in ("interactive", "refresh_token", "on_behalf_of", "client_credentials"):
            req = ('tenant: "%s" now: "2025-03-03T10:00:00Z" grant_type: "%s" client_id: "%s" '
                   'client_authenticated: true scope: "%s" user { id: "alice" mfa_registered: true } '
                   'assertion { kind: "access_token" aud: "%s" tid: "%s" subject_type: "user" '
                   'subject_id: "alice" exp: "2025-03-03T11:00:00Z" } '
                   'session { auth_methods { method: "password" at: "2025-03-03T09:00:00Z" } }'
                   % (tenant, grant, client, s, client, tenant))
            put("request_fuzzer", bytes([head]) + req.encode())
for i in range(32):
    put("request_fuzzer", bytes([(2 * i) % 256]) + hashlib.sha256(bytes([i])).digest() * 2)
for d in sorted(os.listdir(ROOT)):
    print(d, len(os.listdir(os.path.join(ROOT, d))))
