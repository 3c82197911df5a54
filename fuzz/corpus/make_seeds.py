#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/).

Every input is made here: keys are generated afresh, headers and bodies are
written out by hand. Re-running replaces the generated seeds (new keys each
time); files whose names start with `regress-` are kept as they are.
Needs the `cryptography` package.
"""
import base64
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap, aes_key_wrap_with_padding

ROOT = os.path.dirname(os.path.abspath(__file__))
VAULT = "https://myvault.vault.azure.net"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n):
    return n.to_bytes((n.bit_length() + 7) // 8 or 1, "big")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def challenge():
    t = "challenge"
    claims = base64.b64encode(
        b'{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}'
    ).decode()
    seeds = {
        "service": f'{VAULT}\nBearer authorization="https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444", resource="https://vault.azure.net"',
        "scope": f'{VAULT}\nBearer authorization_uri="https://login.windows.net/tenant-a",scope="https://vault.azure.net/.default"',
        "cae": f'{VAULT}\nBearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="{claims}"',
        "scope-and-resource-differ": f'{VAULT}\nBearer authorization="https://login.microsoftonline.com/t", resource="{VAULT}", scope="https://management.azure.com/.default"',
        "http-port": f'{VAULT}\nBearer authorization="https://login.microsoftonline.com/t", resource="http://vault.azure.net:1"',
        "local": 'https://localhost:8443\nBearer authorization="https://login.microsoftonline.com/t" resource=https://localhost:8443',
        "escapes": f'{VAULT}\nbearer  resource="https://vault.azure.net\\"x" ,, scope= error=invalid_token bare',
        "not-bearer": f'{VAULT}\nBasic realm="vault"',
        "unicode-host": 'https://tést.vault.azure.net\nBearer resource="https://xn--tst-bma.vault.azure.net"',
        "ipv6": 'https://[::1]:8443\nBearer resource="https://[::1]:8443" authorization="https://[::1]/t"',
    }
    for k, v in seeds.items():
        write(t, k, v)


def retry_after():
    t = "retry_after"
    seeds = {
        "ms": "retry-after-ms: 1500",
        "x-ms": "x-ms-retry-after-ms: 250.5",
        "seconds": "Retry-After: 120",
        "date": "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT",
        "date-future": "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT",
        "all-three": "retry-after-ms: 10\nx-ms-retry-after-ms: 20\nretry-after: 30",
        "huge-seconds": "Retry-After: 18446744073709551615",
        "negative": "retry-after-ms: -1\nRetry-After: -5",
        "nan": "x-ms-retry-after-ms: NaN",
        "exponent": "retry-after-ms: 1.5e3",
    }
    for k, v in seeds.items():
        write(t, k, v)


def status(code, body):
    return struct.pack(">H", code) + (body.encode() if isinstance(body, str) else body)


def error_body():
    t = "error_body"
    seeds = {
        "not-found": status(404, '{"error":{"code":"KeyNotFound","message":"A key with (name/id) k was not found in this key vault."}}'),
        "inner": status(409, '{"error":{"code":"Conflict","message":"Key k is currently in a deleted but recoverable state.","innererror":{"code":"ObjectIsDeletedButRecoverable"}}}'),
        "empty": status(401, ""),
        "html": status(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "nested": status(400, '{"error":{"code":"BadParameter","message":null,"innererror":{"code":"x","innererror":{"code":"y","innererror":{}}}}}'),
        "wrong-types": status(400, '{"error":{"code":1,"message":["m"]}}'),
        "null-error": status(500, '{"error":null}'),
        "not-utf8": status(503, b"\xff\xfe\x00error\x80"),
        "bad-status": status(1000, '{"error":{}}'),
    }
    for k, v in seeds.items():
        write(t, k, v)


def page_body():
    t = "page_body"
    attrs = {"enabled": True, "created": 1700000000, "updated": 1700000100,
             "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
    item = {"kid": f"{VAULT}/keys/k1", "attributes": attrs, "tags": {"team": "a"}, "managed": False}
    deleted = dict(item, recoveryId=f"{VAULT}/deletedkeys/k1",
                   scheduledPurgeDate=1707776100, deletedDate=1700000100)
    next_link = f"{VAULT}/keys?api-version=2025-07-01&$skiptoken=eyJOZXh0TWFya2VyIjoiMiJ9&maxresults=25"
    seeds = {
        "keys": {"value": [item, dict(item, kid=f"{VAULT}/keys/k2")], "nextLink": next_link},
        "deleted": {"value": [deleted], "nextLink": None},
        "last": {"value": []},
        "foreign-next": {"value": [item], "nextLink": "https://evil.example/keys?$skiptoken=1"},
        "relative-next": {"value": [], "nextLink": "/keys?$skiptoken=1"},
        "same-next": {"value": [item], "nextLink": f"{VAULT}/keys?maxresults=25"},
    }
    for k, v in seeds.items():
        write(t, k, VAULT + "\n" + json.dumps(v))
    write(t, "port", "https://localhost:8443\n" + json.dumps(
        {"value": [], "nextLink": "https://localhost:8443/deletedkeys?$skiptoken=a"}))


def iso_duration():
    t = "iso_duration"
    now = struct.pack("<q", 1700000000)
    seeds = {
        "days": now + b"P90D",
        "years-months": now + b"P1Y2M",
        "time": now + b"PT12H",
        "all": now + b"P1Y2M3W4DT5H6M7S",
        "month-end": struct.pack("<q", 1706659200) + b"P1M",  # 2024-01-31
        "leap": struct.pack("<q", 1709164800) + b"P1Y",  # 2024-02-29
        "epoch": struct.pack("<q", 0) + b"P0D",
        "negative-time": struct.pack("<q", -62135596800) + b"P28D",
        "bad": now + b"P1.5D",
        "time-only-marker": now + b"PT",
    }
    for k, v in seeds.items():
        write(t, k, v)


def key_id():
    t = "key_id"
    seeds = {
        "versioned": f"{VAULT}/keys/my-key/0123456789abcdef0123456789abcdef",
        "unversioned": f"{VAULT}/keys/my-key",
        "deleted": f"{VAULT}/deletedkeys/my-key",
        "port": "https://myvault.vault.azure.net:443/keys/k/v",
        "local": "https://localhost:8443/keys/k/",
        "mhsm": "https://myhsm.managedhsm.azure.net/keys/hsm-key/1",
        "secret": f"{VAULT}/secrets/s/1",
        "too-deep": f"{VAULT}/keys/a/b/c",
        "query": f"{VAULT}/keys/k?api-version=2025-07-01#frag",
        "encoded": f"{VAULT}/keys/k%2F1/%00",
        "relative": "/keys/k",
    }
    for k, v in seeds.items():
        write(t, k, v)


def jwk_all_ops():
    t = "jwk_all_ops"
    all_ops = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]
    r = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pn, pv = r.public_key().public_numbers(), r.private_numbers()
    rsa_pub = {"kty": "RSA", "n": b64u(uint(pn.n)), "e": b64u(uint(pn.e))}
    rsa_priv = dict(rsa_pub, d=b64u(uint(pv.d)), p=b64u(uint(pv.p)), q=b64u(uint(pv.q)),
                    dp=b64u(uint(pv.dmp1)), dq=b64u(uint(pv.dmq1)), qi=b64u(uint(pv.iqmp)))
    write(t, "rsa-private", json.dumps(dict(rsa_priv, kid=f"{VAULT}/keys/rsa/1", key_ops=all_ops)))
    write(t, "rsa-public", json.dumps(rsa_pub))
    write(t, "rsa-hsm-sign-only", json.dumps(dict(rsa_priv, kty="RSA-HSM", key_ops=["sign"])))
    sizes = {"P-256": (ec.SECP256R1(), 32), "P-384": (ec.SECP384R1(), 48),
             "P-521": (ec.SECP521R1(), 66), "P-256K": (ec.SECP256K1(), 32)}
    for crv, (curve, size) in sizes.items():
        k = ec.generate_private_key(curve)
        n = k.public_key().public_numbers()
        pub = {"kty": "EC", "crv": crv, "x": b64u(n.x.to_bytes(size, "big")), "y": b64u(n.y.to_bytes(size, "big"))}
        write(t, f"ec-{crv}-public", json.dumps(pub))
        write(t, f"ec-{crv}-private", json.dumps(dict(pub, d=b64u(k.private_numbers().private_value.to_bytes(size, "big")), key_ops=["sign", "verify"])))
    for bits in (128, 192, 256):
        write(t, f"oct-{bits}", json.dumps({"kty": "oct", "k": b64u(os.urandom(bits // 8))}))
    write(t, "oct-hsm-wrap-only", json.dumps({"kty": "oct-HSM", "k": b64u(os.urandom(32)), "key_ops": ["wrapKey", "unwrapKey"]}))
    write(t, "oct-bad-size", json.dumps({"kty": "oct", "k": b64u(os.urandom(20))}))
    write(t, "byok", json.dumps({"kty": "RSA-HSM", "key_hsm": b64u(b'{"schema_version":"1.0.0"}'), "n": rsa_pub["n"], "e": "AQAB"}))
    write(t, "unknown-kty", '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}')


def kw_unwrap():
    t = "kw_unwrap"
    for sel, size in ((0, 16), (1, 24), (2, 32)):
        kek = os.urandom(size)
        for plen in (16, 24, 32):
            wrapped = aes_key_wrap(kek, os.urandom(plen))
            write(t, f"kw-{size * 8}-{plen}", bytes([sel << 1]) + kek + wrapped)
        for plen in (1, 8, 20, 33):
            wrapped = aes_key_wrap_with_padding(kek, os.urandom(plen))
            write(t, f"kwp-{size * 8}-{plen}", bytes([(sel << 1) | 1]) + kek + wrapped)
    kek = os.urandom(16)
    write(t, "kek-17-bytes", bytes([6, 17]) + kek + b"\x01" + aes_key_wrap(kek, os.urandom(16)))
    write(t, "short", bytes([1]) + os.urandom(16) + os.urandom(8))


def main():
    targets = [challenge, retry_after, error_body, page_body, iso_duration, key_id, jwk_all_ops, kw_unwrap]
    for f in targets:
        d = os.path.join(ROOT, f.__name__)
        if os.path.isdir(d):
            for name in os.listdir(d):
                if not name.startswith("regress-"):
                    os.remove(os.path.join(d, name))
        f()
    return 0


if __name__ == "__main__":
    sys.exit(main())
