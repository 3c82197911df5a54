// The official Azure SDK for JavaScript (@azure/keyvault-keys) against the
// emulator binary over HTTPS. Run by tests/tests/interop_js.rs:
//
//   KEYVAULT_URL=https://127.0.0.1:PORT NODE_EXTRA_CA_CERTS=<KEYVAULT_CA> node interop.mjs
//
// KEYVAULT_TOKEN: the bearer token to send (default "emulator-token").
// KEYVAULT_DEFAULT_SETTINGS=1: keep the client's default challenge-resource
// verification (the vault must then be named by a host such as
// vault.localhost); otherwise it is disabled, as 127.0.0.1 has no parent domain.
//
// Exits 0 after printing "interop-js: all N checks passed", 1 on the first failure.

import assert from "node:assert/strict";
import { createHash, createPublicKey, randomBytes, randomUUID, verify as nodeVerify } from "node:crypto";

import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";

const vaultUrl = process.env.KEYVAULT_URL;
const token = process.env.KEYVAULT_TOKEN || "emulator-token";
const defaultSettings = process.env.KEYVAULT_DEFAULT_SETTINGS === "1";
if (!vaultUrl) {
  console.error("KEYVAULT_URL is not set");
  process.exit(2);
}
if (!process.env.NODE_EXTRA_CA_CERTS) {
  console.error("NODE_EXTRA_CA_CERTS must name the emulator's CA file (KEYVAULT_CA)");
  process.exit(2);
}

// A TokenCredential that hands out the emulator's token, counting its calls.
let tokenRequests = 0;
const credential = {
  getToken: async () => {
    tokenRequests += 1;
    return { token, expiresOnTimestamp: Date.now() + 3600 * 1000 };
  },
};
const options = defaultSettings ? {} : { disableChallengeResourceVerification: true };
const client = new KeyClient(vaultUrl, credential, options);
const prefix = "js-" + randomUUID().replaceAll("-", "").slice(0, 12);
const poll = { intervalInMs: 50 };

let checks = 0;
async function check(what, body) {
  await body();
  checks += 1;
  console.log(`ok ${checks} - ${what}`);
}

function b64urlToBuffer(bytes) {
  return Buffer.from(bytes);
}

try {
  let rsa;
  let ec;
  await check("create RSA-2048, EC P-256 and oct-HSM keys", async () => {
    rsa = await client.createRsaKey(`${prefix}-rsa`, { keySize: 2048, tags: { purpose: "interop" } });
    assert.equal(rsa.keyType, "RSA");
    assert.equal(rsa.key.n.length, 256);
    assert.deepEqual(rsa.properties.tags, { purpose: "interop" });
    assert.ok(rsa.id.startsWith(`${vaultUrl}/keys/${prefix}-rsa/`), rsa.id);
    assert.equal(rsa.properties.enabled, true);
    ec = await client.createEcKey(`${prefix}-ec`, { curve: "P-256" });
    assert.equal(ec.keyType, "EC");
    assert.equal(ec.key.crv, "P-256");
    assert.equal(ec.key.x.length, 32);
    const oct = await client.createOctKey(`${prefix}-oct`, { keySize: 256, hsm: true });
    assert.equal(oct.keyType, "oct-HSM");
    assert.equal(oct.key.k, undefined, "symmetric material must never be returned");
  });

  await check("get the latest and a named version; a missing key is KeyNotFound", async () => {
    const got = await client.getKey(`${prefix}-rsa`);
    assert.equal(got.id, rsa.id);
    assert.equal(got.properties.version, rsa.properties.version);
    assert.equal(got.properties.recoveryLevel, "Recoverable+Purgeable");
    const v = await client.getKey(`${prefix}-rsa`, { version: rsa.properties.version });
    assert.deepEqual(b64urlToBuffer(v.key.n), b64urlToBuffer(rsa.key.n));
    await assert.rejects(client.getKey(`${prefix}-missing`), (e) => {
      assert.equal(e.statusCode, 404);
      assert.equal(e.code, "KeyNotFound");
      return true;
    });
  });

  await check("list keys over several pages and list versions", async () => {
    const names = Array.from({ length: 27 }, (_, i) => `${prefix}-l${String(i).padStart(2, "0")}`);
    for (const n of names) {
      await client.createEcKey(n, { curve: "P-256" });
    }
    const listed = new Set();
    for await (const p of client.listPropertiesOfKeys()) {
      listed.add(p.name);
    }
    for (const n of names) {
      assert.ok(listed.has(n), `paging over nextLink must return ${n}`);
    }
    const byPage = [];
    for await (const page of client.listPropertiesOfKeys().byPage({ maxPageSize: 10 })) {
      byPage.push(page.length);
    }
    assert.ok(byPage.length >= 3, `27+ keys in pages of at most 10: ${byPage}`);
    assert.ok(byPage.every((n) => n <= 10), `page sizes ${byPage}`);
    await client.createEcKey(names[0], { curve: "P-256" });
    await client.createEcKey(names[0], { curve: "P-256" });
    const versions = [];
    for await (const v of client.listPropertiesOfKeyVersions(names[0])) {
      versions.push(v.version);
    }
    assert.equal(versions.length, 3);
    assert.equal(new Set(versions).size, 3);
  });

  await check("update attributes and tags", async () => {
    const nbf = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const updated = await client.updateKeyProperties(`${prefix}-ec`, ec.properties.version, {
      enabled: false,
      notBefore: nbf,
      tags: { a: "b" },
      keyOps: ["sign", "verify"],
    });
    assert.equal(updated.properties.enabled, false);
    assert.deepEqual(updated.properties.tags, { a: "b" });
    assert.equal(updated.properties.notBefore.getTime(), nbf.getTime());
    assert.deepEqual([...updated.keyOperations].sort(), ["sign", "verify"]);
    const again = await client.getKey(`${prefix}-ec`);
    assert.equal(again.properties.enabled, false);
    await client.updateKeyProperties(`${prefix}-ec`, ec.properties.version, { enabled: true });
  });

  await check("delete, read the deleted key, recover, get it again", async () => {
    const name = `${prefix}-rsa`;
    const deletePoller = await client.beginDeleteKey(name, poll);
    const deleted = await deletePoller.pollUntilDone();
    assert.equal(deleted.name, name);
    assert.ok(deleted.properties.recoveryId.startsWith(`${vaultUrl}/deletedkeys/${name}`), deleted.properties.recoveryId);
    assert.ok(deleted.properties.deletedOn instanceof Date);
    await assert.rejects(client.getKey(name), (e) => e.statusCode === 404);
    const gotDeleted = await client.getDeletedKey(name);
    assert.equal(gotDeleted.id, rsa.id);
    const deletedNames = new Set();
    for await (const d of client.listDeletedKeys()) {
      deletedNames.add(d.name);
    }
    assert.ok(deletedNames.has(name), "listDeletedKeys names the deleted key");
    const recoverPoller = await client.beginRecoverDeletedKey(name, poll);
    const recovered = await recoverPoller.pollUntilDone();
    assert.equal(recovered.id, rsa.id);
    const back = await client.getKey(name);
    assert.equal(back.properties.version, rsa.properties.version);
    await assert.rejects(client.getDeletedKey(name), (e) => e.statusCode === 404);
  });

  await check("delete and purge", async () => {
    const name = `${prefix}-oct`;
    await (await client.beginDeleteKey(name, poll)).pollUntilDone();
    await client.purgeDeletedKey(name);
    await assert.rejects(client.getDeletedKey(name), (e) => e.statusCode === 404);
  });

  const cryptoOptions = defaultSettings ? {} : { disableChallengeResourceVerification: true };

  await check("CryptographyClient RSA-OAEP-256 encrypt, then decrypt by the emulator", async () => {
    const crypto = new CryptographyClient(rsa.id, credential, cryptoOptions);
    const plaintext = randomBytes(48);
    const enc = await crypto.encrypt({ algorithm: "RSA-OAEP-256", plaintext });
    assert.equal(enc.result.length, 256);
    const dec = await crypto.decrypt({ algorithm: "RSA-OAEP-256", ciphertext: enc.result });
    assert.deepEqual(Buffer.from(dec.result), plaintext);
    assert.equal(dec.keyID, rsa.id);
  });

  await check("CryptographyClient ES256 sign (remote), verify remotely and with node:crypto", async () => {
    const crypto = new CryptographyClient(ec.id, credential, cryptoOptions);
    const digest = createHash("sha256").update("interop from JavaScript").digest();
    const signed = await crypto.sign("ES256", digest);
    assert.equal(signed.result.length, 64, "JWS signatures are r||s");
    const verified = await crypto.verify("ES256", digest, signed.result);
    assert.equal(verified.result, true);
    const tampered = Buffer.from(signed.result);
    tampered[5] ^= 1;
    assert.equal((await crypto.verify("ES256", digest, tampered)).result, false);
    const pub = createPublicKey({
      key: {
        kty: "EC",
        crv: "P-256",
        x: Buffer.from(ec.key.x).toString("base64url"),
        y: Buffer.from(ec.key.y).toString("base64url"),
      },
      format: "jwk",
    });
    const ok = nodeVerify(null, Buffer.from("interop from JavaScript"), { key: pub, dsaEncoding: "ieee-p1363" }, signed.result);
    assert.equal(ok, true, "node:crypto verifies the emulator's signature");
  });

  await check("the credential was asked for a token", async () => {
    assert.ok(tokenRequests >= 1, `getToken calls: ${tokenRequests}`);
  });

  console.log(`interop-js: all ${checks} checks passed (${defaultSettings ? "default settings" : "challenge verification off"})`);
} catch (e) {
  console.error(`not ok ${checks + 1}`);
  console.error(e);
  process.exit(1);
}
