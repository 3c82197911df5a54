"""Fixtures for the interop suites: the emulator (started by the Rust test
that runs pytest) is named by KEYVAULT_URL and KEYVAULT_CA."""

import os
import time
import uuid

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo


class StaticTokenCredential:
    """A credential with a fixed token, as the emulator accepts any."""

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        return AccessToken("emulator-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("emulator-token", int(time.time()) + 3600)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


class AsyncStaticTokenCredential:
    async def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        return AccessToken("emulator-token", int(time.time()) + 3600)

    async def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("emulator-token", int(time.time()) + 3600)

    async def close(self):
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *args):
        pass


@pytest.fixture(scope="session")
def vault_url():
    url = os.environ.get("KEYVAULT_URL")
    if not url:
        pytest.fail("KEYVAULT_URL is not set: run these tests through `cargo xtask test` (or the interop Rust test)")
    return url


@pytest.fixture(scope="session")
def ca_path():
    path = os.environ.get("KEYVAULT_CA")
    if not path or not os.path.exists(path):
        pytest.fail("KEYVAULT_CA does not name the emulator's CA file")
    return path


@pytest.fixture
def name():
    return "py-" + uuid.uuid4().hex[:12]
