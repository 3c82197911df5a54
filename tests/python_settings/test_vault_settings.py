"""The official Python SDK against emulators with vault settings and scoped
tokens: soft-delete retention, purge protection, an older newest
api-version, and a Reader token (run by tests/tests/interop_python.rs)."""

import datetime
import os
import time

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import HttpResponseError
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import CryptographyClient, SignatureAlgorithm


class Token:
    """A credential handing out one fixed token."""

    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo(self.token, int(time.time()) + 3600)

    def close(self):
        pass


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run through `cargo xtask test`")
    return value


def client(url_var, ca_var, token, **kwargs):
    return KeyClient(
        env(url_var), Token(token), verify_challenge_resource=False, connection_verify=env(ca_var), **kwargs
    )


def test_seven_day_retention_and_purge_protection():
    c = client("KEYVAULT_URL_SETTINGS", "KEYVAULT_CA_SETTINGS", "admin")
    key = c.create_ec_key("retained")
    assert key.properties.recovery_level == "CustomizedRecoverable"
    assert key.properties.recoverable_days == 7
    deleted = c.begin_delete_key("retained").result()
    assert deleted.recovery_id.endswith("/deletedkeys/retained")
    assert deleted.scheduled_purge_date - deleted.deleted_date == datetime.timedelta(days=7)
    with pytest.raises(HttpResponseError) as e:
        c.purge_deleted_key("retained")
    assert e.value.status_code == 403
    assert e.value.error.code == "Forbidden"
    assert 'Operation "purge" is not allowed because purge protection is enabled' in e.value.message
    # Nothing changed: the key is still recoverable.
    assert c.get_deleted_key("retained").name == "retained"
    c.begin_recover_deleted_key("retained").result()
    assert c.get_key("retained").id == key.id


def test_a_reader_token_gets_but_is_refused_a_sign():
    admin = client("KEYVAULT_URL_SETTINGS", "KEYVAULT_CA_SETTINGS", "admin")
    key = admin.create_ec_key("signer")
    reader = client("KEYVAULT_URL_SETTINGS", "KEYVAULT_CA_SETTINGS", "reader")
    assert reader.get_key("signer").id == key.id
    assert "signer" in [k.name for k in reader.list_properties_of_keys()]
    crypto = CryptographyClient(
        key.id, Token("reader"), verify_challenge_resource=False, connection_verify=env("KEYVAULT_CA_SETTINGS")
    )
    with pytest.raises(HttpResponseError) as e:
        crypto.sign(SignatureAlgorithm.es256, b"\x01" * 32)
    assert e.value.status_code == 403
    assert e.value.error.code == "Forbidden"
    assert e.value.error.innererror["code"] == "ForbiddenByRbac"
    assert "Microsoft.KeyVault/vaults/keys/sign/action" in e.value.message


def test_a_vault_whose_newest_version_is_7_1_refuses_7_3_by_name():
    newer = client("KEYVAULT_URL_OLD", "KEYVAULT_CA_OLD", "any", api_version="7.3")
    with pytest.raises(HttpResponseError) as e:
        newer.create_ec_key("old")
    assert e.value.status_code == 400
    assert e.value.error.code == "BadParameter"
    assert (
        e.value.error.message
        == "The specified version (7.3) is not recognized. Consider using the latest supported version (7.1)."
    )
    older = client("KEYVAULT_URL_OLD", "KEYVAULT_CA_OLD", "any", api_version="7.1")
    assert older.create_ec_key("old").name == "old"
