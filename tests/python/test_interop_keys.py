"""The official Python SDK (azure-keyvault-keys, sync and aio) against the
emulator binary over HTTPS."""

import asyncio
import base64
import hashlib

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.keys import (
    JsonWebKey,
    KeyClient,
    KeyCurveName,
    KeyRotationLifetimeAction,
    KeyRotationPolicy,
    KeyRotationPolicyAction,
    KeyType,
)
from azure.keyvault.keys.aio import KeyClient as AioKeyClient
from azure.keyvault.keys.crypto import (
    CryptographyClient,
    EncryptionAlgorithm,
    KeyWrapAlgorithm,
    SignatureAlgorithm,
)
from azure.keyvault.keys.crypto.aio import CryptographyClient as AioCryptographyClient
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from conftest import AsyncStaticTokenCredential, StaticTokenCredential


def client(vault_url, ca_path):
    return KeyClient(vault_url, StaticTokenCredential(), verify_challenge_resource=False, connection_verify=ca_path)


def b64u(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def test_create_rsa_ec_oct_and_get(vault_url, ca_path, name):
    c = client(vault_url, ca_path)
    rsa_key = c.create_rsa_key(name + "-rsa", size=3072, tags={"purpose": "interop"})
    assert rsa_key.key_type == KeyType.rsa
    assert len(rsa_key.key.n) == 384
    assert rsa_key.properties.tags == {"purpose": "interop"}
    assert rsa_key.id.startswith(vault_url + "/keys/" + name + "-rsa/")
    ec_key = c.create_ec_key(name + "-ec", curve=KeyCurveName.p_384)
    assert ec_key.key.crv == KeyCurveName.p_384
    assert len(ec_key.key.x) == 48
    assert set(ec_key.key_operations) == {"sign", "verify"}
    oct_key = c.create_oct_key(name + "-oct", size=256, hardware_protected=True)
    assert oct_key.key_type == KeyType.oct_hsm
    assert oct_key.key.k is None, "symmetric material must never be returned"
    got = c.get_key(name + "-rsa")
    assert got.id == rsa_key.id
    assert got.properties.version == rsa_key.properties.version
    assert got.properties.recovery_level == "Recoverable+Purgeable"
    got_v = c.get_key(name + "-rsa", version=rsa_key.properties.version)
    assert got_v.key.n == rsa_key.key.n
    with pytest.raises(ResourceNotFoundError) as e:
        c.get_key(name + "-missing")
    assert e.value.error.code == "KeyNotFound"


def test_list_with_paging_versions_update(vault_url, ca_path, name):
    c = client(vault_url, ca_path)
    names = [f"{name}-{i:02d}" for i in range(27)]
    for n in names:
        c.create_ec_key(n)
    listed = {p.name for p in c.list_properties_of_keys()}
    assert set(names) <= listed, "paging over nextLink must return every key"
    for _ in range(2):
        c.create_ec_key(names[0])
    versions = list(c.list_properties_of_key_versions(names[0]))
    assert len(versions) == 3
    assert all(v.version for v in versions)
    updated = c.update_key_properties(names[1], enabled=False, tags={"a": "b"})
    assert updated.properties.enabled is False
    assert updated.properties.tags == {"a": "b"}
    assert c.get_key(names[1]).properties.enabled is False


def test_rotate_and_rotation_policy(vault_url, ca_path, name):
    c = client(vault_url, ca_path)
    key = c.create_rsa_key(name)
    default = c.get_key_rotation_policy(name)
    assert default.lifetime_actions[0].action == KeyRotationPolicyAction.notify
    policy = c.update_key_rotation_policy(
        name,
        KeyRotationPolicy(),
        lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P90D")],
        expires_in="P1Y",
    )
    assert policy.expires_in == "P1Y"
    assert policy.lifetime_actions[0].action == KeyRotationPolicyAction.rotate
    assert policy.lifetime_actions[0].time_after_create == "P90D"
    rotated = c.rotate_key(name)
    assert rotated.properties.version != key.properties.version
    assert len(rotated.key.n) == len(key.key.n)
    assert rotated.properties.expires_on is not None, "exp comes from the policy's expiryTime"
    with pytest.raises(HttpResponseError) as e:
        c.update_key_rotation_policy(name, KeyRotationPolicy(), lifetime_actions=[], expires_in="not-a-duration")
    assert e.value.status_code == 400


def test_backup_delete_recover_purge_restore(vault_url, ca_path, name):
    c = client(vault_url, ca_path)
    created = c.create_ec_key(name, curve=KeyCurveName.p_256_k)
    c.create_ec_key(name, curve=KeyCurveName.p_256_k)
    backup = c.backup_key(name)
    assert isinstance(backup, bytes) and len(backup) > 32
    deleted = c.begin_delete_key(name).result()
    assert deleted.recovery_id.endswith("/deletedkeys/" + name)
    assert deleted.deleted_date is not None and deleted.scheduled_purge_date is not None
    assert c.get_deleted_key(name).name == name
    assert name in {d.name for d in c.list_deleted_keys()}
    with pytest.raises(ResourceExistsError):
        c.create_ec_key(name)
    recovered = c.begin_recover_deleted_key(name).result()
    assert recovered.id.startswith(vault_url)
    c.begin_delete_key(name).result()
    c.purge_deleted_key(name)
    with pytest.raises(ResourceNotFoundError):
        c.get_deleted_key(name)
    restored = c.restore_key_backup(backup)
    assert restored.name == name
    assert len(list(c.list_properties_of_key_versions(name))) == 2
    assert c.get_key(name, version=created.properties.version).key.x == created.key.x
    with pytest.raises(ResourceExistsError):
        c.restore_key_backup(backup)
    with pytest.raises(HttpResponseError) as e:
        c.restore_key_backup(b"not a backup at all")
    assert e.value.status_code == 400


def test_import_and_random_bytes(vault_url, ca_path, name):
    c = client(vault_url, ca_path)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = private.private_numbers()
    jwk = JsonWebKey(
        kty=KeyType.rsa,
        n=b64u(nums.public_numbers.n),
        e=b64u(nums.public_numbers.e),
        d=b64u(nums.d),
        p=b64u(nums.p),
        q=b64u(nums.q),
        dp=b64u(nums.dmp1),
        dq=b64u(nums.dmq1),
        qi=b64u(nums.iqmp),
    )
    imported = c.import_key(name, jwk)
    assert imported.key.n == b64u(nums.public_numbers.n)
    assert imported.key.d is None, "private material is never returned"
    # The imported private key decrypts what OpenSSL encrypted.
    crypto = CryptographyClient(imported, StaticTokenCredential(), verify_challenge_resource=False, connection_verify=ca_path)
    ct = private.public_key().encrypt(b"from openssl", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    assert crypto.decrypt(EncryptionAlgorithm.rsa_oaep_256, ct).plaintext == b"from openssl"
    rb = c.get_random_bytes(32)
    assert len(rb) == 32
    with pytest.raises(HttpResponseError) as e:
        c.get_random_bytes(500)
    assert e.value.status_code == 400 and e.value.error.code == "BadParameter"


def test_cryptography_client_local_and_remote(vault_url, ca_path, name):
    """Encrypt and verify run locally in Python (OpenSSL via cryptography);
    decrypt and sign run in the emulator: our private-key operations are
    checked against OpenSSL."""
    c = client(vault_url, ca_path)
    key = c.create_rsa_key(name + "-rsa", size=2048)
    crypto = CryptographyClient(key, StaticTokenCredential(), verify_challenge_resource=False, connection_verify=ca_path)
    for alg in (EncryptionAlgorithm.rsa_oaep, EncryptionAlgorithm.rsa_oaep_256, EncryptionAlgorithm.rsa1_5):
        enc = crypto.encrypt(alg, b"plaintext for " + alg.value.encode())
        assert crypto.decrypt(alg, enc.ciphertext).plaintext == b"plaintext for " + alg.value.encode()
    for alg in (KeyWrapAlgorithm.rsa_oaep, KeyWrapAlgorithm.rsa_oaep_256, KeyWrapAlgorithm.rsa1_5):
        wrapped = crypto.wrap_key(alg, b"k" * 32)
        assert crypto.unwrap_key(alg, wrapped.encrypted_key).key == b"k" * 32
    public = rsa.RSAPublicNumbers(int.from_bytes(key.key.e, "big"), int.from_bytes(key.key.n, "big")).public_key()
    for alg, h, pad in (
        (SignatureAlgorithm.rs256, hashes.SHA256(), padding.PKCS1v15()),
        (SignatureAlgorithm.rs384, hashes.SHA384(), padding.PKCS1v15()),
        (SignatureAlgorithm.rs512, hashes.SHA512(), padding.PKCS1v15()),
        (SignatureAlgorithm.ps256, hashes.SHA256(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)),
        (SignatureAlgorithm.ps384, hashes.SHA384(), padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)),
        (SignatureAlgorithm.ps512, hashes.SHA512(), padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)),
    ):
        digest = hashlib.new(h.name, b"signed data").digest()
        sig = crypto.sign(alg, digest).signature
        public.verify(sig, digest, pad, utils.Prehashed(h))  # OpenSSL checks our signature
        assert crypto.verify(alg, digest, sig).is_valid
    for curve, alg, h, pycurve in (
        (KeyCurveName.p_256, SignatureAlgorithm.es256, hashes.SHA256(), ec.SECP256R1()),
        (KeyCurveName.p_256_k, SignatureAlgorithm.es256_k, hashes.SHA256(), ec.SECP256K1()),
        (KeyCurveName.p_384, SignatureAlgorithm.es384, hashes.SHA384(), ec.SECP384R1()),
        (KeyCurveName.p_521, SignatureAlgorithm.es512, hashes.SHA512(), ec.SECP521R1()),
    ):
        eckey = c.create_ec_key(f"{name}-{curve.value.lower().replace('-', '')}", curve=curve)
        ecc = CryptographyClient(eckey, StaticTokenCredential(), verify_challenge_resource=False, connection_verify=ca_path)
        digest = hashlib.new(h.name, b"ec data").digest()
        sig = ecc.sign(alg, digest).signature
        assert ecc.verify(alg, digest, sig).is_valid
        n = len(sig) // 2
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(eckey.key.x, "big"), int.from_bytes(eckey.key.y, "big"), pycurve).public_key()
        pub.verify(utils.encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big")), digest, ec.ECDSA(utils.Prehashed(h)))
    # Remote-only: symmetric keys never leave the emulator.
    oct_key = c.create_oct_key(name + "-oct", size=256, hardware_protected=True)
    occ = CryptographyClient(oct_key.id, StaticTokenCredential(), verify_challenge_resource=False, connection_verify=ca_path)
    enc = occ.encrypt(EncryptionAlgorithm.a256_gcm, b"gcm plaintext", additional_authenticated_data=b"aad")
    assert len(enc.iv) == 12 and len(enc.tag) == 16 and enc.aad == b"aad"
    dec = occ.decrypt(EncryptionAlgorithm.a256_gcm, enc.ciphertext, iv=enc.iv, authentication_tag=enc.tag, additional_authenticated_data=b"aad")
    assert dec.plaintext == b"gcm plaintext"
    wrapped = occ.wrap_key(KeyWrapAlgorithm.aes_256, b"w" * 32)
    assert occ.unwrap_key(KeyWrapAlgorithm.aes_256, wrapped.encrypted_key).key == b"w" * 32


def test_aio_client_end_to_end(vault_url, ca_path, name):
    async def run():
        cred = AsyncStaticTokenCredential()
        async with AioKeyClient(vault_url, cred, verify_challenge_resource=False, connection_verify=ca_path) as c:
            key = await c.create_rsa_key(name, size=2048)
            got = await c.get_key(name)
            assert got.id == key.id
            names = [p.name async for p in c.list_properties_of_keys()]
            assert name in names
            updated = await c.update_key_properties(name, tags={"aio": "yes"})
            assert updated.properties.tags == {"aio": "yes"}
            rotated = await c.rotate_key(name)
            assert rotated.properties.version != key.properties.version
            versions = [v async for v in c.list_properties_of_key_versions(name)]
            assert len(versions) == 2
            policy = await c.update_key_rotation_policy(name, KeyRotationPolicy(), lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.notify, time_before_expiry="P30D")], expires_in="P60D")
            assert policy.expires_in == "P60D"
            backup = await c.backup_key(name)
            async with AioCryptographyClient(key, cred, verify_challenge_resource=False, connection_verify=ca_path) as crypto:
                enc = await crypto.encrypt(EncryptionAlgorithm.rsa_oaep_256, b"aio secret")
                assert (await crypto.decrypt(EncryptionAlgorithm.rsa_oaep_256, enc.ciphertext)).plaintext == b"aio secret"
                digest = hashlib.sha256(b"x").digest()
                sig = await crypto.sign(SignatureAlgorithm.ps256, digest)
                assert (await crypto.verify(SignatureAlgorithm.ps256, digest, sig.signature)).is_valid
            deleted = await c.delete_key(name)
            assert deleted.name == name
            assert (await c.get_deleted_key(name)).name == name
            assert name in [d.name async for d in c.list_deleted_keys()]
            await c.recover_deleted_key(name)
            assert (await c.get_key(name)).name == name
            await c.delete_key(name)
            await c.purge_deleted_key(name)
            restored = await c.restore_key_backup(backup)
            assert restored.name == name
            assert len(await c.get_random_bytes(16)) == 16

    asyncio.run(run())
