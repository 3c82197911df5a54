"""Cross-checks our local engine with Python `cryptography` (OpenSSL).

Reads a JSON document on stdin: keys (JWKs with private parts) and what our
engine produced. Checks each output with `cryptography`, then produces its
own encryptions, wraps and signatures for our engine to check, and prints
{"checked": N, "failures": [...], "theirs": [...]} on stdout.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import (
    aes_key_unwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap,
    aes_key_wrap_with_padding,
)


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def num(s):
    return int.from_bytes(b64d(s), "big")


def rsa_key(jwk):
    pub = rsa.RSAPublicNumbers(num(jwk["e"]), num(jwk["n"]))
    return rsa.RSAPrivateNumbers(num(jwk["p"]), num(jwk["q"]), num(jwk["d"]), num(jwk["dp"]), num(jwk["dq"]), num(jwk["qi"]), pub).private_key()


CURVES = {"P-256": ec.SECP256R1(), "P-256K": ec.SECP256K1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def ec_key(jwk):
    return ec.derive_private_key(num(jwk["d"]), CURVES[jwk["crv"]])


def oaep(alg):
    h = hashes.SHA1() if alg == "RSA-OAEP" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


def rsa_pad(alg):
    return padding.PKCS1v15() if alg == "RSA1_5" else oaep(alg)


def sig_pad(alg):
    h = HASHES[alg[2:]]
    if alg.startswith("PS"):
        return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
    return padding.PKCS1v15()


def aes_cbc(k, iv, data, pad, encrypt):
    c = Cipher(algorithms.AES(k), modes.CBC(iv))
    if encrypt:
        if pad:
            p = sym_padding.PKCS7(128).padder()
            data = p.update(data) + p.finalize()
        e = c.encryptor()
        return e.update(data) + e.finalize()
    d = c.decryptor()
    out = d.update(data) + d.finalize()
    if pad:
        u = sym_padding.PKCS7(128).unpadder()
        out = u.update(out) + u.finalize()
    return out


def kw(alg, k, data, wrap):
    padded = alg.endswith("KWPAD") or alg == "CKM_AES_KEY_WRAP_PAD"
    if wrap:
        return aes_key_wrap_with_padding(k, data) if padded else aes_key_wrap(k, data)
    return aes_key_unwrap_with_padding(k, data) if padded else aes_key_unwrap(k, data)


def check(case, keys):
    """Checks one output of ours; returns an error string or None."""
    alg, kind, jwk = case["alg"], case["kind"], keys[case["key"]]
    data, out = b64d(case["input"]), b64d(case["output"])
    if kind in ("encrypt", "wrap") and alg.startswith("RSA"):
        got = rsa_key(jwk).decrypt(out, rsa_pad(alg))
    elif kind == "encrypt" and alg.endswith("GCM"):
        got = AESGCM(b64d(jwk["k"])).decrypt(b64d(case["iv"]), out + b64d(case["tag"]), b64d(case.get("aad", "")))
    elif kind == "encrypt" and "CBC" in alg:
        got = aes_cbc(b64d(jwk["k"]), b64d(case["iv"]), out, alg.endswith("PAD"), False)
    elif kind == "wrap":
        got = kw(alg, b64d(jwk["k"]), out, False)
    elif kind == "sign" and alg[:2] in ("RS", "PS"):
        rsa_key(jwk).public_key().verify(out, data, sig_pad(alg), utils.Prehashed(HASHES[alg[2:5]]))
        return None
    elif kind == "sign" and alg.startswith("ES"):
        key = ec_key(jwk)
        n = len(out) // 2
        der = utils.encode_dss_signature(int.from_bytes(out[:n], "big"), int.from_bytes(out[n:], "big"))
        h = {"ES256": hashes.SHA256(), "ES256K": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}[alg]
        key.public_key().verify(der, data, ec.ECDSA(utils.Prehashed(h)))
        return None
    elif kind == "sign" and alg.startswith("HS"):
        want = hmac.new(b64d(jwk["k"]), data, {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]).digest()
        return None if hmac.compare_digest(want, out) else f"{alg}: HMAC differs"
    elif kind == "export":
        # CKM_RSA_AES_KEY_WRAP family: RSA-OAEP of an AES key, then KWP of the material.
        h = {"CKM_RSA_AES_KEY_WRAP": hashes.SHA1(), "RSA_AES_KEY_WRAP_256": hashes.SHA256(), "RSA_AES_KEY_WRAP_384": hashes.SHA384()}[alg]
        key = rsa_key(jwk)
        size = key.key_size // 8
        aes = key.decrypt(out[:size], padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
        got = aes_key_unwrap_with_padding(aes, out[size:])
    else:
        return f"unknown case {alg}/{kind}"
    return None if got == data else f"{alg}/{kind}: plaintext differs"


def produce(case, keys):
    """Makes our counterpart of a case with `cryptography`."""
    alg, kind, jwk = case["alg"], case["kind"], keys[case["key"]]
    data = os.urandom(32) if kind != "sign" else hashlib.new({"2": "sha256", "3": "sha384", "5": "sha512"}[alg[-3]] if alg[-3] in "235" else "sha256", b"python message").digest()
    if alg == "ES256K":
        data = hashlib.sha256(b"python message").digest()
    out = {"alg": alg, "kind": kind, "key": case["key"], "input": b64e(data)}
    if kind in ("encrypt", "wrap") and alg.startswith("RSA"):
        out["output"] = b64e(rsa_key(jwk).public_key().encrypt(data, rsa_pad(alg)))
    elif kind == "encrypt" and alg.endswith("GCM"):
        iv, aad = os.urandom(12), b"python aad"
        ct = AESGCM(b64d(jwk["k"])).encrypt(iv, data, aad)
        out.update(output=b64e(ct[:-16]), tag=b64e(ct[-16:]), iv=b64e(iv), aad=b64e(aad))
    elif kind == "encrypt" and "CBC" in alg:
        iv = os.urandom(16)
        out.update(output=b64e(aes_cbc(b64d(jwk["k"]), iv, data, alg.endswith("PAD"), True)), iv=b64e(iv))
    elif kind == "wrap":
        out["output"] = b64e(kw(alg, b64d(jwk["k"]), data, True))
    elif kind == "sign" and alg[:2] in ("RS", "PS"):
        out["output"] = b64e(rsa_key(jwk).sign(data, sig_pad(alg), utils.Prehashed(HASHES[alg[2:5]])))
    elif kind == "sign" and alg.startswith("ES"):
        key = ec_key(jwk)
        h = {"ES256": hashes.SHA256(), "ES256K": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}[alg]
        r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(utils.Prehashed(h))))
        n = (key.curve.key_size + 7) // 8
        out["output"] = b64e(r.to_bytes(n, "big") + s.to_bytes(n, "big"))
    elif kind == "sign" and alg.startswith("HS"):
        out["output"] = b64e(hmac.new(b64d(jwk["k"]), data, {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]).digest())
    else:
        return None
    return out


def main():
    doc = json.load(sys.stdin)
    keys, failures, theirs = doc["keys"], [], []
    for case in doc["ours"]:
        try:
            err = check(case, keys)
        except Exception as e:  # a verification failure raises
            err = f"{case['alg']}/{case['kind']}: {type(e).__name__}: {e}"
        if err:
            failures.append(err)
        made = produce(case, keys)
        if made:
            theirs.append(made)
    json.dump({"checked": len(doc["ours"]), "failures": failures, "theirs": theirs}, sys.stdout)


if __name__ == "__main__":
    main()
