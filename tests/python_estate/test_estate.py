"""The official Python SDK against the emulator as a test estate (run by
tests/tests/interop_python.rs): two vaults at once by host name, the
clock moved through the management API (automatic rotation, events), and
deletions that take time (the SDK's pollers)."""

import asyncio
import json
import os
import socket
import time
import urllib.request
import ssl

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.keys import KeyClient, KeyRotationLifetimeAction, KeyRotationPolicy, KeyRotationPolicyAction
from azure.keyvault.keys.aio import KeyClient as AioKeyClient

# `*.localhost` names reach the emulator here, whatever this machine's
# resolver does with them (the names are the point: one vault per host).
_getaddrinfo = socket.getaddrinfo


def _localhost_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _localhost_getaddrinfo


class Token:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("estate-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("estate-token", int(time.time()) + 3600)

    def close(self):
        pass


class AioToken:
    async def get_token(self, *scopes, **kwargs):
        return AccessToken("estate-token", int(time.time()) + 3600)

    async def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo("estate-token", int(time.time()) + 3600)

    async def close(self):
        pass


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run through `cargo xtask test`")
    return value


def client(url):
    # Challenge verification on, as the SDK's defaults have it: the
    # resource (https://vault.localhost:PORT) is a parent of the vault's host.
    return KeyClient(url, Token(), connection_verify=env("KEYVAULT_CA_ESTATE"))


def manage(method, path, body=None):
    ctx = ssl.create_default_context(cafile=env("KEYVAULT_CA_ESTATE"))
    req = urllib.request.Request(
        env("KEYVAULT_URL_ALPHA") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer estate-token", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.loads(r.read() or b"null")


def test_two_vaults_at_once_hold_different_keys_of_one_name():
    alpha = client(env("KEYVAULT_URL_ALPHA"))
    beta = client(env("KEYVAULT_URL_BETA"))
    a = alpha.create_ec_key("same")
    b = beta.create_ec_key("same")
    assert a.id.startswith(env("KEYVAULT_URL_ALPHA"))
    assert b.id.startswith(env("KEYVAULT_URL_BETA"))
    assert a.key.x != b.key.x
    assert b.key_type == "EC-HSM", "beta is a Managed HSM"
    assert [k.name for k in beta.list_properties_of_keys()] == ["same"]


def test_the_clock_rotates_a_key_and_records_the_event():
    alpha = client(env("KEYVAULT_URL_ALPHA"))
    alpha.create_ec_key("turning")
    alpha.update_key_rotation_policy(
        "turning",
        KeyRotationPolicy(),
        lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P30D")],
        expires_in="P90D",
    )
    moved = manage("POST", "/_emulator/clock", {"advance": "P31D"})
    assert moved["offsetSeconds"] >= 31 * 86400
    versions = list(alpha.list_properties_of_key_versions("turning"))
    assert len(versions) == 2
    events = manage("GET", "/_emulator/events")["value"]
    rotated = [e for e in events if e["subject"] == "turning"]
    assert [e["eventType"] for e in rotated] == ["Microsoft.KeyVault.KeyNewVersionCreated"] * 2
    assert rotated[1]["data"]["VaultName"] == "alpha"


def test_the_sdk_pollers_wait_for_deletions_that_take_time():
    alpha = client(env("KEYVAULT_URL_ALPHA"))
    alpha.create_ec_key("slowly")
    poller = alpha.begin_delete_key("slowly")
    assert poller.result().name == "slowly"
    # Until the deletion completes, the deleted key is not found.
    with pytest.raises(ResourceNotFoundError):
        alpha.get_deleted_key("slowly")
    poller.wait()
    assert alpha.get_deleted_key("slowly").name == "slowly"
    alpha.begin_recover_deleted_key("slowly").wait()
    assert alpha.get_key("slowly").name == "slowly"

    async def aio():
        async with AioKeyClient(
            env("KEYVAULT_URL_ALPHA"), AioToken(), connection_verify=env("KEYVAULT_CA_ESTATE")
        ) as c:
            await c.create_ec_key("slowly-aio")
            deleted = await c.delete_key("slowly-aio")
            assert (await c.get_deleted_key("slowly-aio")).name == deleted.name
            await c.recover_deleted_key("slowly-aio")
            assert (await c.get_key("slowly-aio")).name == "slowly-aio"

    asyncio.run(aio())
