"""The official Python SDK's aio clients with their default settings (challenge
resource verification on) against the emulator named by a host such as
vault.localhost. Run by tests/tests/interop_default_settings.rs as a script
(not collected by pytest): KEYVAULT_URL, KEYVAULT_CA, KEYVAULT_TOKEN.

Prints "python-aio: all N checks passed (default settings)"; exits 1 on failure."""

import asyncio
import hashlib
import os
import sys
import time
import uuid

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.keys.aio import KeyClient
from azure.keyvault.keys.crypto import EncryptionAlgorithm, SignatureAlgorithm
from azure.keyvault.keys.crypto.aio import CryptographyClient

TOKEN = os.environ.get("KEYVAULT_TOKEN", "emulator-token")


class Credential:
    """An async credential with the emulator's token."""

    def __init__(self):
        self.calls = 0

    async def get_token(self, *scopes, **kwargs):
        self.calls += 1
        return AccessToken(TOKEN, int(time.time()) + 3600)

    async def get_token_info(self, *scopes, options=None):
        self.calls += 1
        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)

    async def close(self):
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *args):
        pass


async def main(vault_url, ca):
    checks = 0

    def ok(what):
        nonlocal checks
        checks += 1
        print(f"ok {checks} - {what}", flush=True)

    cred = Credential()
    name = "pyd-" + uuid.uuid4().hex[:12]
    # Default settings: no verify_challenge_resource argument.
    async with KeyClient(vault_url, cred, connection_verify=ca) as c:
        key = await c.create_rsa_key(name, size=2048)
        assert key.id.startswith(f"{vault_url}/keys/{name}/"), key.id
        assert (await c.get_key(name)).id == key.id
        ok("create and get")
        names = [p.name async for p in c.list_properties_of_keys()]
        assert name in names
        ok("list")
        updated = await c.update_key_properties(name, enabled=False, tags={"d": "1"})
        assert updated.properties.enabled is False and updated.properties.tags == {"d": "1"}
        await c.update_key_properties(name, enabled=True)
        ok("update")
        deleted = await c.delete_key(name)
        assert deleted.recovery_id == f"{vault_url}/deletedkeys/{name}", deleted.recovery_id
        try:
            await c.get_key(name)
            raise AssertionError("a deleted key is still readable")
        except ResourceNotFoundError:
            pass
        recovered = await c.recover_deleted_key(name)
        assert recovered.id == key.id
        ok("delete and recover")
        async with CryptographyClient(key.id, cred, connection_verify=ca) as crypto:
            enc = await crypto.encrypt(EncryptionAlgorithm.rsa_oaep_256, b"default settings")
            dec = await crypto.decrypt(EncryptionAlgorithm.rsa_oaep_256, enc.ciphertext)
            assert dec.plaintext == b"default settings"
            digest = hashlib.sha256(b"x").digest()
            sig = await crypto.sign(SignatureAlgorithm.ps256, digest)
            assert (await crypto.verify(SignatureAlgorithm.ps256, digest, sig.signature)).is_valid
        ok("CryptographyClient RSA-OAEP-256 and PS256")
    assert cred.calls >= 1
    ok("the credential was asked for a token")
    return checks


if __name__ == "__main__":
    url, ca = os.environ.get("KEYVAULT_URL"), os.environ.get("KEYVAULT_CA")
    if not url or not ca:
        print("KEYVAULT_URL and KEYVAULT_CA must be set", file=sys.stderr)
        sys.exit(2)
    try:
        n = asyncio.run(main(url, ca))
    except Exception as e:  # noqa: BLE001 - report any failure and exit 1
        import traceback

        traceback.print_exc()
        print(f"not ok - {e!r}", file=sys.stderr)
        sys.exit(1)
    print(f"python-aio: all {n} checks passed (default settings)")
