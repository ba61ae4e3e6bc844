// Staff sign-in for the browser walks: the demo's accounts (from its stdout) and RFC 6238
// authenticator codes. Not a test file itself.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const DEMO_LOG = process.env.BEACON_DEMO_LOG ?? '';

/**
 * One account from the demo's stdout:
 *
 *   Lucy Ward (sender)
 *     email lucy.ward@cambs.police.example   password beacon-demo-password   key Y7R22MTX...
 *
 * The demo prints it once it has started; wait a little in case the file is still being written.
 */
export async function demoAccount(name, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(
    `^\\s*${escaped} \\(.*\\)\\s*\\r?\\n\\s*email (\\S+)\\s+password (\\S+)\\s+key ([A-Z2-7=]+)\\s*$`,
    'm',
  );
  for (;;) {
    const text = await readFile(DEMO_LOG, 'utf8').catch((error) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const match = pattern.exec(text);
    if (match) return { name, email: match[1], password: match[2], key: match[3] };
    if (Date.now() > deadline) {
      assert.fail(`no account for ${name} in the demo's output (${DEMO_LOG}):\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** RFC 4648 base32 (A–Z, 2–7), case-insensitive, padding and spaces ignored. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${JSON.stringify(char)} in ${text}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
      buffer &= (1 << bits) - 1;
    }
  }
  return Buffer.from(bytes);
}

/** RFC 4226 HOTP: HMAC-SHA1 over the 8-byte big-endian counter, dynamic truncation, 6 digits. */
function hotp(secret, counter) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', secret).update(message).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const number = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, '0');
}

const STEP_SECONDS = 30;

/** RFC 6238 TOTP with 30-second steps from the Unix epoch. */
export function totp(key, unixSeconds = Date.now() / 1000) {
  return hotp(base32Decode(key), Math.floor(unixSeconds / STEP_SECONDS));
}

// The checks of the code itself, against RFC 6238's SHA-1 test vectors (its appendix B, with
// the key "12345678901234567890", here in base32, and the last 6 of the 8 digits).
export const RFC6238_KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
export const RFC6238_VECTORS = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

/**
 * A code that is good for at least 3 more seconds: if the current 30-second step ends sooner,
 * wait for the next one (a code is accepted once only, and a slow submit must not carry it into
 * a step where the server no longer takes it).
 */
export async function freshCode(key) {
  const left = STEP_SECONDS - ((Date.now() / 1000) % STEP_SECONDS);
  if (left < 3) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 250));
  return totp(key);
}

/** Six digits that are none of the codes the server would take now (this step or one either side). */
export function wrongCode(key) {
  const now = Date.now() / 1000;
  const good = new Set([-1, 0, 1, 2].map((d) => totp(key, now + d * STEP_SECONDS)));
  for (let n = Number(totp(key, now)) + 1; ; n++) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!good.has(candidate)) return candidate;
  }
}

/**
 * Signs `account` in on page `p` at `base`, and waits for the staff home (a Neighbourhood Watch
 * coordinator's is their schemes, `/staff/coordinate`). A code is taken once
 * only (per account and 30-second step), so if another test file signed the same account in
 * during this step, the server refuses it: then wait for the next step and try once more.
 */
export async function signIn(p, base, account) {
  for (let attempt = 0; attempt < 2; attempt++) {
    await p.goto(`${base}/staff/sign-in`);
    await p.locator('#email').fill(account.email);
    await p.locator('#password').fill(account.password);
    await p.locator('#code').fill(await freshCode(account.key));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForLoadState('load');
    if (['/staff', '/staff/coordinate'].includes(new URL(p.url()).pathname)) return;
    const left = STEP_SECONDS - ((Date.now() / 1000) % STEP_SECONDS);
    await new Promise((resolve) => setTimeout(resolve, left * 1000 + 500));
  }
  assert.fail(`${account.name} could not sign in twice running: see ${p.url()}`);
}
