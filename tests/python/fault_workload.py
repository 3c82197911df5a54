"""The fault-injection workload, run with the official Python aio client.

Started by tests/tests/faults.rs against an emulator running with
``--faults``: the same mix of operations as the Rust workload (create, get,
update, list versions, rotation policy, sign/encrypt), counted by class.
Prints one JSON line with the counts; exits 0 when every operation ran (a
failed operation is a count, not a crash of this script).

Usage: fault_workload.py OPS SEED CONCURRENCY  (KEYVAULT_URL, KEYVAULT_CA set)
"""

import asyncio
import json
import os
import random
import ssl
import sys
import time
import uuid

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.keyvault.keys import KeyCurveName
from azure.keyvault.keys.aio import KeyClient
from azure.keyvault.keys.crypto import EncryptionAlgorithm, SignatureAlgorithm
from azure.keyvault.keys.crypto.aio import CryptographyClient


class Credential:
    async def get_token(self, *scopes, **kwargs):
        return AccessToken("emulator-token", int(time.time()) + 3600)

    async def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("emulator-token", int(time.time()) + 3600)

    async def close(self):
        pass


# Which class each operation belongs to (the retry rule the issue states).
CLASSES = {
    "create": "adds_version",
    "get": "read",
    "list_versions": "read",
    "update": "sets_state",
    "get_policy": "read",
    "set_policy": "sets_state",
    "sign": "read",
    "encrypt": "read",
}


async def main():
    ops, seed, concurrency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    url = os.environ["KEYVAULT_URL"]
    ca = os.environ["KEYVAULT_CA"]
    # One SSL context for the whole run (aiohttp rebuilds it per request
    # when given a path through connection_verify).
    os.environ["SSL_CERT_FILE"] = ca
    rng = random.Random(seed)
    cred = Credential()
    client = KeyClient(url, cred, verify_challenge_resource=False, connection_verify=ca)
    prefix = "pyf-" + uuid.uuid4().hex[:8]
    names = [f"{prefix}-{i}" for i in range(8)]
    setup_failures = 0
    # Set-up: one key per name, and an RSA key for encrypt; retried until it
    # exists (set-up is not what is measured).
    for name in names:
        for _ in range(20):
            try:
                await client.create_ec_key(name, curve=KeyCurveName.p_256)
                break
            except Exception:  # noqa: BLE001 - counted, then retried
                setup_failures += 1
    rsa_name = f"{prefix}-rsa"
    rsa_key = None
    for _ in range(20):
        try:
            rsa_key = await client.create_rsa_key(rsa_name, size=2048)
            break
        except Exception:  # noqa: BLE001
            setup_failures += 1
    counts = {c: {"ok": 0, "failed": 0} for c in set(CLASSES.values())}
    errors = {}
    sem = asyncio.Semaphore(concurrency)

    async def one(i):
        op = rng.choice(list(CLASSES))
        name = rng.choice(names)
        async with sem:
            try:
                if op == "create":
                    await client.create_ec_key(name, curve=KeyCurveName.p_256)
                elif op == "get":
                    await client.get_key(name)
                elif op == "list_versions":
                    async for _ in client.list_properties_of_key_versions(name):
                        pass
                elif op == "update":
                    await client.update_key_properties(name, tags={"n": str(i)})
                elif op == "get_policy":
                    await client.get_key_rotation_policy(name)
                elif op == "set_policy":
                    from azure.keyvault.keys import KeyRotationPolicy

                    await client.update_key_rotation_policy(
                        name, KeyRotationPolicy(expires_in="P90D")
                    )
                elif op == "sign":
                    crypto = CryptographyClient(
                        f"{url.rstrip('/')}/keys/{name}", cred,
                        verify_challenge_resource=False, connection_verify=ca,
                    )
                    async with crypto:
                        await crypto.sign(SignatureAlgorithm.es256, b"\x01" * 32)
                elif op == "encrypt":
                    crypto = CryptographyClient(
                        rsa_key.id, cred, verify_challenge_resource=False, connection_verify=ca
                    )
                    async with crypto:
                        await crypto.encrypt(EncryptionAlgorithm.rsa_oaep_256, b"hello")
                counts[CLASSES[op]]["ok"] += 1
            except Exception as e:  # noqa: BLE001 - the point is to count them
                counts[CLASSES[op]]["failed"] += 1
                key = f"{op}:{type(e).__name__}"
                errors[key] = errors.get(key, 0) + 1

    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(ops)))
    elapsed = time.monotonic() - started
    await client.close()
    print(json.dumps({
        "client": "azure-keyvault-keys (Python aio)",
        "ops": ops,
        "seconds": round(elapsed, 2),
        "setup_failures": setup_failures,
        "counts": counts,
        "errors": errors,
    }))


if __name__ == "__main__":
    asyncio.run(main())
