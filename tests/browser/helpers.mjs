// Shared by the browser walks (resident.test.mjs, sender.test.mjs): the browser's settings, the
// step runner, the axe-core check, page helpers and the outbox reader. Not a test file itself
// (run.sh runs tests/browser/*.test.mjs).

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';

export const BASE = (process.env.BEACON_URL ?? '').replace(/\/+$/, '');
export const OUTBOX = process.env.BEACON_OUTBOX ?? '';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.join(HERE, 'screenshots');

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A page in `context` whose Content-Security-Policy violations (as the console reports them)
 * are pushed onto `cspErrors`.
 */
export async function plainPage(context, cspErrors) {
  const p = await context.newPage();
  p.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      cspErrors.push(`${p.url()}: ${message.text()}`);
    }
  });
  return p;
}

// ---------------------------------------------------------------------------------------------
// Steps. Each step is a subtest; once one fails, the later ones are skipped (they need what it
// would have found) rather than failing with confusing errors. axe checks are subtests of their
// own inside a step: a violation fails the run but does not stop the walk, so one run reports
// every page's violations.

/** A `step(t, name, fn)` runner with its own "an earlier step failed" flag. */
export function makeStep() {
  let broken = false;
  return async function step(t, name, fn) {
    await t.test(name, async (st) => {
      if (broken) {
        st.skip('an earlier step failed');
        return;
      }
      try {
        await fn(st);
      } catch (error) {
        broken = true;
        throw error;
      }
    });
  };
}

const BLOCKING = new Set(['serious', 'critical']);

export function describeViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `      - ${n.target.join(' ')}\n        ${n.html.replace(/\s+/g, ' ').slice(0, 200)}${n.failureSummary ? `\n        ${n.failureSummary.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ')}` : ''}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/** Runs axe-core on the page as it is now: prints every violation, fails on serious or critical ones. */
export async function checkAxe(t, p, label) {
  await t.test(`axe: ${label}`, async () => {
    await p.waitForLoadState('load');
    if (!(await p.evaluate(() => typeof window.axe === 'object'))) {
      await p.addScriptTag({ content: axe.source });
    }
    const { violations } = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    if (violations.length > 0) {
      console.log(`axe: ${violations.length} violation(s) on ${label} (${p.url()}):\n${describeViolations(violations)}`);
    }
    const blocking = violations.filter((v) => BLOCKING.has(v.impact));
    assert.equal(
      blocking.length,
      0,
      `axe: ${blocking.length} serious or critical violation(s) on ${label} (${p.url()}):\n${describeViolations(blocking)}`,
    );
  });
}

export async function heading(p) {
  return (await p.locator('h1').first().innerText()).trim();
}

export async function expectHeading(p, expected) {
  await p.locator('h1').first().waitFor();
  assert.equal(await heading(p), expected, `the page's heading at ${p.url()}`);
}

/** Every link in the error summary must lead to an element on the page. */
export async function errorSummaryLinks(p) {
  const summary = p.locator('.error-summary').first();
  await summary.waitFor();
  assert.equal((await summary.locator('h2').first().innerText()).trim(), 'There is a problem');
  const links = await summary.locator('a').evaluateAll((anchors) =>
    anchors.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })),
  );
  for (const { href, text } of links) {
    assert.ok(href?.startsWith('#'), `error link "${text}" should point within the page, not ${href}`);
    const exists = await p.evaluate((id) => document.getElementById(id) !== null, href.slice(1));
    assert.ok(exists, `error link "${text}" points at ${href}, which is not on the page`);
  }
  return links;
}

/** Fails if the page, as it is now, scrolls sideways in a viewport `width` px wide. */
export async function assertNoSidewaysScroll(p, where, width = 375) {
  const widths = await p.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map((e) => e.outerHTML.slice(0, 120)),
  }));
  assert.ok(
    widths.scroll <= width,
    `${where} at ${width} px wide scrolls sideways: scrollWidth ${widths.scroll}; too wide: ${widths.wide.join(' | ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The outbox.

function unfoldHeaders(block) {
  const headers = new Map();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return headers;
}

export function splitMessage(raw) {
  const match = /\r?\n\r?\n/.exec(raw);
  if (!match) return { headers: unfoldHeaders(raw), body: '' };
  return { headers: unfoldHeaders(raw.slice(0, match.index)), body: raw.slice(match.index + match[0].length) };
}

/** Quoted-printable: drop soft line breaks, then turn =XX into bytes and read them as UTF-8. */
function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body, encoding = '7bit') {
  switch (encoding.toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** RFC 2047 encoded words (=?utf-8?q?…?= / =?utf-8?b?…?=), as in a Subject with non-ASCII text. */
export function decodeWords(value) {
  // Whitespace between two encoded words is part of the encoding, not of the text.
  return value.replace(/(\?=)\s+(?==\?)/g, '$1').replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset, kind, text) =>
    kind.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  );
}

/** The text/plain part of a message, single-part or multipart (one level of nesting is enough here). */
export function plainText(headers, body) {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = splitMessage(chunk.replace(/^\r?\n/, ''));
      const text = plainText(part.headers, part.body);
      if (text !== null) return text;
    }
    return null;
  }
  if (/^text\/plain/i.test(type)) return decodeBody(body, headers.get('content-transfer-encoding'));
  return null;
}

/**
 * Waits for an .eml in the outbox addressed to `address` (and, if given, for which
 * `accept(message)` is true, where message is { file, raw, headers, body, subject } with the
 * subject decoded).
 */
export async function waitForEmail(address, timeoutMs = 10_000, accept = () => true) {
  const deadline = Date.now() + timeoutMs;
  const seen = [];
  for (;;) {
    let names = [];
    try {
      names = (await readdir(OUTBOX)).filter((n) => n.endsWith('.eml'));
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    const toThem = [];
    for (const name of names) {
      const raw = await readFile(path.join(OUTBOX, name), 'utf8');
      const { headers, body } = splitMessage(raw);
      if ((headers.get('to') ?? '').toLowerCase().includes(address.toLowerCase())) {
        const message = { file: name, raw, headers, body, subject: decodeWords(headers.get('subject') ?? '') };
        if (accept(message)) return message;
        toThem.push(message.subject);
      }
    }
    seen.splice(0, seen.length, ...names);
    if (Date.now() > deadline) {
      assert.fail(
        `no ${toThem.length > 0 ? 'matching ' : ''}email to ${address} in ${OUTBOX} within ${timeoutMs / 1000} s ` +
          `(it holds ${seen.length} .eml files${toThem.length > 0 ? `; to ${address}: ${toThem.map((s) => JSON.stringify(s)).join(', ')}` : ''})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
