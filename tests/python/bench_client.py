"""The official Python aio client's load generator for `cargo xtask bench`.

The same command line and JSON line as the Rust generators
(tests/src/bin/bench-client/harness.rs). Trust comes from SSL_CERT_FILE (set
to --ca before the client exists), so aiohttp builds one SSL context for the
run; `connection_verify=` would rebuild it for every request. The vault is
127.0.0.1, so the challenge-resource check is off.
"""

import argparse
import asyncio
import json
import os
import sys
import time

from azure.core.credentials import AccessToken, AccessTokenInfo


class Credential:
    async def get_token(self, *scopes, **kwargs):
        return AccessToken("bench-token", int(time.time()) + 3600)

    async def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("bench-token", int(time.time()) + 3600)

    async def close(self):
        pass


def status_kib(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


async def call(client, crypto, op, key, i):
    from azure.keyvault.keys import KeyCurveName
    from azure.keyvault.keys.crypto import SignatureAlgorithm

    if op == "get":
        await client.get_key(key)
        return 1
    if op == "update":
        await client.update_key_properties(key, tags={"n": str(i % 1000)})
        return 1
    if op == "create":
        await client.create_ec_key(f"{key}-{i}", curve=KeyCurveName.p_256)
        return 1
    if op == "sign":
        await crypto.sign(SignatureAlgorithm.rs256, b"\x07" * 32)
        return 1
    if op == "list":
        n = 0
        async for _ in client.list_properties_of_keys():
            n += 1
        return n
    raise ValueError(f"unknown op {op!r}")


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--op", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--seconds", type=float)
    p.add_argument("--count", type=int)
    a = p.parse_args()
    if (a.seconds is None) == (a.count is None):
        p.error("give --seconds or --count")
    os.environ["SSL_CERT_FILE"] = a.ca
    from azure.keyvault.keys.aio import KeyClient

    client = KeyClient(a.url, Credential(), verify_challenge_resource=False)
    crypto = client.get_cryptography_client(a.key) if a.op == "sign" else None
    concurrency = max(1, a.concurrency)
    if a.seconds is not None:
        await asyncio.gather(
            *(call(client, crypto, a.op, a.key, 10**9 + w) for w in range(concurrency)),
            return_exceptions=True,
        )
    state = {"next": 0, "ok": 0, "errors": 0, "items": 0, "first_error": None}
    rss_start = status_kib("VmRSS")
    cpu0 = time.process_time()
    start = time.monotonic()

    async def worker():
        while True:
            i = state["next"]
            state["next"] += 1
            if a.count is not None and i >= a.count:
                return
            if a.seconds is not None and time.monotonic() - start >= a.seconds:
                return
            try:
                state["items"] += await call(client, crypto, a.op, a.key, i)
                state["ok"] += 1
            except Exception as e:  # noqa: BLE001 - counted
                state["errors"] += 1
                if state["first_error"] is None:
                    state["first_error"] = f"{type(e).__name__}: {e}"[:300]

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.monotonic() - start
    cpu = time.process_time() - cpu0
    await client.close()
    print(json.dumps({
        "client": "azure-keyvault-keys (official Python aio)",
        "op": a.op,
        "concurrency": concurrency,
        "ops": state["ok"],
        "errors": state["errors"],
        "items": state["items"],
        "wall_s": round(wall, 6),
        "cpu_s": round(cpu, 3),
        "rss_start_kib": rss_start,
        "rss_peak_kib": status_kib("VmHWM"),
        "first_error": state["first_error"],
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
