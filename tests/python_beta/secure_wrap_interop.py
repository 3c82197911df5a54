"""The official Python SDK 4.12.0b3 (a pre-release) at api_version
2026-01-01-preview against the emulator as a Managed HSM: secure wrap,
secure unwrap with an emulator-signed attestation token, and
create_external_key. Run by tests/tests/interop_python.rs."""

import json
import os
import time

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.keyvault.keys import ExternalKey, KeyClient, KeyReleasePolicy
from azure.keyvault.keys.crypto import CryptographyClient, KeySecureWrapAlgorithm

VERSION = "2026-01-01-preview"


class Token:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("beta-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("beta-token", int(time.time()) + 3600)

    def close(self):
        pass


url, ca = os.environ["KEYVAULT_URL"], os.environ["KEYVAULT_CA"]
common = dict(verify_challenge_resource=False, connection_verify=ca, api_version=VERSION)
client = KeyClient(url, Token(), **common)
policy = KeyReleasePolicy(os.environ["RELEASE_POLICY"].encode())
key = client.create_rsa_key("py-kek", hardware_protected=True, exportable=True, release_policy=policy)
crypto = CryptographyClient(key, Token(), **common)
wrapped = crypto.secure_wrap_key(KeySecureWrapAlgorithm.rsa_oaep_256)
assert len(wrapped.encrypted_key) == 256, len(wrapped.encrypted_key)
unwrapped = crypto.secure_unwrap_key(
    KeySecureWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key, os.environ["TARGET_TOKEN"]
)
assert len(unwrapped.key) == 32, len(unwrapped.key)
external = client.create_external_key("py-external", ExternalKey(id="ekm-key-0001"))
assert external.properties.external_key.id == "ekm-key-0001", external.properties.external_key
print("beta interop ok")
