// Neighbourhood Watch in headless Chromium: a visitor finds the schemes in the public directory,
// opens a district's page (the priorities its residents chose in the demo's survey, and its
// schemes) and a scheme's, and proposes a scheme by drawing its area on the proposal form's map; a newcomer signs up (on a phone) with a postcode one of the demo's schemes
// covers, finds the scheme from their manage page and asks to join it, sharing their name and
// street (first forgetting the street); a second newcomer does the same for a scheme in another
// district, and its coordinator accepts them. Margaret Ellis, the first scheme's coordinator,
// signs in with her password and authenticator code, lands on her schemes (not the force's
// pages, which refuse her), sees the newcomer's name and street, accepts them, and writes to
// her members (first with no title). The message reaches the newcomer, signed by her, and not
// the member of the other scheme. axe-core checks every page on the way.
//
//   BEACON_URL       the running server, e.g. http://127.0.0.1:18080
//   BEACON_OUTBOX    the directory where the server writes one .eml file per email
//   BEACON_DEMO_LOG  a file holding the demo's stdout, which lists the demo's accounts and schemes
//
// tests/browser/run.sh starts a demo server and sets all three.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE,
  OUTBOX,
  CHROMIUM,
  LAUNCH_ARGS,
  makeStep,
  checkAxe,
  expectHeading,
  errorSummaryLinks,
  assertNoSidewaysScroll,
  plainText,
  splitMessage,
  waitForEmail,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

const DEMO_LOG = process.env.BEACON_DEMO_LOG ?? '';
const SCHEME = 'South Cambs Villages Watch';
const OTHER = 'Cambridge North Streets Watch';
const RUN = Date.now().toString(36);
const NEWCOMER = { name: 'Nadia Rahman', email: `nadia.${RUN}@example.org`, street: 'Mill Lane' };
const NEIGHBOUR = { name: 'Owen Tate', email: `owen.${RUN}@example.org` };
const TITLE = `Shed break-ins this week (${RUN})`;
const BODY = 'Two sheds were broken into overnight. Lock yours, and mark your tools.';

let browser;
let visitor;
let phone;
let staff;

/** The postcode the demo printed for a scheme: "Sign up with CB1 0TL to join …". */
async function postcodeFor(scheme) {
  const text = await readFile(DEMO_LOG, 'utf8');
  const match = new RegExp(`Sign up with ([A-Z0-9 ]+) to join ${scheme} `).exec(text);
  assert.ok(match, `the demo names a postcode for ${scheme}:\n${text}`);
  return match[1];
}

/** Signs a newcomer up on `p` with `postcode`, confirms from the email, and returns their manage page's address. */
async function signUp(t, p, who, postcode) {
  await p.goto(`${BASE}/signup`);
  await p.locator('#name').fill(who.name);
  await p.locator('#email').fill(who.email);
  await p.locator('#place-0-postcode').fill(postcode);
  await p.getByRole('button', { name: 'Sign up' }).click();
  await expectHeading(p, 'Check your email');
  const email = await waitForEmail(who.email);
  const text = plainText(email.headers, email.body);
  const confirm = /https?:\/\/[^\s<>"]+\/confirm\/[A-Za-z0-9._~%-]+/.exec(text);
  assert.ok(confirm, `a confirmation link in ${email.file}`);
  await p.goto(confirm[0]);
  await p.getByRole('button', { name: /Confirm/ }).click();
  await expectHeading(p, 'Your subscription is confirmed');
  const manage = /https?:\/\/[^\s<>"]+\/manage\/[A-Za-z0-9._~%-]+/.exec(text);
  assert.ok(manage, `a manage link in ${email.file}`);
  return manage[0];
}

/** Asks to join `scheme` from the manage page at `manage`, sharing name and street. */
async function join(t, p, manage, scheme, street) {
  await p.goto(manage);
  await p.getByRole('link', { name: 'See the Neighbourhood Watch schemes near you' }).click();
  await expectHeading(p, 'Your Neighbourhood Watch schemes');
  const card = p.locator('section.scheme-card', { has: p.getByRole('heading', { name: scheme }) });
  await card.getByLabel('Share my name and street').check();
  if (street) await card.getByLabel('Your street (if you share it)').fill(street);
  await card.getByRole('button', { name: `Ask to join ${scheme}` }).click();
}

/** The emails in the outbox whose subject contains `subject`: their recipients. */
async function recipientsOf(subject) {
  const names = (await readdir(OUTBOX)).filter((n) => n.endsWith('.eml'));
  const to = [];
  for (const name of names) {
    const { headers } = splitMessage(await readFile(path.join(OUTBOX, name), 'utf8'));
    if ((headers.get('subject') ?? '').includes(subject)) to.push(headers.get('to') ?? '');
  }
  return to;
}

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  assert.ok(OUTBOX, 'set BEACON_OUTBOX to the directory where the server writes .eml files');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const desk = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  desk.setDefaultTimeout(15_000);
  visitor = await desk.newPage();
  const mobile = await browser.newContext({
    bypassCSP: true,
    viewport: { width: 375, height: 740 },
    isMobile: true,
    hasTouch: true,
  });
  mobile.setDefaultTimeout(15_000);
  phone = await mobile.newPage();
  const office = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  office.setDefaultTimeout(15_000);
  staff = await office.newPage();
});

after(async () => {
  await browser?.close();
});

test('a resident joins a Neighbourhood Watch scheme and hears from its coordinator', { timeout: 300_000 }, async (t) => {
  const step = makeStep();
  let manage;

  await step(t, '1. a visitor finds the schemes by district, and opens one', async (st) => {
    await visitor.goto(`${BASE}/`);
    await visitor.getByRole('navigation', { name: 'Site' }).first().getByRole('link', { name: 'Neighbourhood Watch' }).click();
    await expectHeading(visitor, 'Neighbourhood Watch schemes');
    await checkAxe(st, visitor, 'the schemes directory');
    assert.ok(await visitor.locator('figure.map-figure svg').count() === 1, 'the directory has a map');
    assert.ok(await visitor.getByRole('heading', { name: 'South Cambridgeshire', level: 2 }).count() === 1);
    await visitor.getByRole('link', { name: 'South Cambridgeshire' }).click();
    await expectHeading(visitor, 'South Cambridgeshire');
    // The demo's survey put speeding first in South Cambridgeshire.
    assert.equal(await visitor.locator('.priority-list li strong').first().innerText(), 'Speeding');
    await checkAxe(st, visitor, 'a district\'s page');
    await visitor.getByRole('link', { name: SCHEME }).click();
    await expectHeading(visitor, SCHEME);
    assert.equal(await visitor.locator('#scheme-standing').innerText(), 'Verified by the police');
    const page = await visitor.content();
    assert.ok(!page.includes('@nhw.example.org'), 'no coordinator\'s address on the page');
    await checkAxe(st, visitor, 'a scheme\'s page');
    await visitor.goto(`${BASE}/schemes/propose`);
    await expectHeading(visitor, 'Propose a Neighbourhood Watch scheme');
    await checkAxe(st, visitor, 'the proposal form');
    // Draw a small square in the middle of the map, and propose the scheme with it.
    await visitor.getByRole('button', { name: 'Draw the scheme\'s area on the map' }).click();
    const map = visitor.locator('.map svg');
    const box = await map.boundingBox();
    for (const [dx, dy] of [[-8, -8], [8, -8], [8, 8], [-8, 8]]) {
      await map.click({ position: { x: box.width / 2 + dx, y: box.height / 2 + dy } });
    }
    await visitor.getByRole('button', { name: 'Use the drawn shape' }).click();
    assert.match(await visitor.locator('#draw-help').innerText(), /4 corners is kept/);
    assert.match(await visitor.locator('input[name=polygon_grid]').inputValue(), /^\d+,\d+(;\d+,\d+){3}$/);
    await visitor.locator('#name').fill(`Drawn Watch ${RUN}`);
    await visitor.locator('#proposer_name').fill('Jo Bright');
    await visitor.locator('#proposer_email').fill(`jo.${RUN}@example.org`);
    await visitor.getByRole('button', { name: 'Propose the scheme' }).click();
    await expectHeading(visitor, 'Thank you for proposing a scheme');
  });

  await step(t, '2. a newcomer signs up on a phone and asks to join (first forgetting the street)', async (st) => {
    manage = await signUp(st, phone, NEWCOMER, await postcodeFor(SCHEME));
    await join(st, phone, manage, SCHEME, '');
    const links = await errorSummaryLinks(phone);
    assert.ok(links.some((l) => /Enter your street/.test(l.text)), `the summary names the street: ${JSON.stringify(links)}`);
    await checkAxe(st, phone, 'the schemes page with an error');
    await assertNoSidewaysScroll(phone, 'the schemes page on a phone');
    const card = phone.locator('section.scheme-card', { has: phone.getByRole('heading', { name: SCHEME }) });
    await card.getByLabel('Your street (if you share it)').fill(NEWCOMER.street);
    await card.getByRole('button', { name: `Ask to join ${SCHEME}` }).click();
    await phone.getByText('You asked to join').waitFor();
    assert.match(await phone.locator('.membership-status').first().innerText(), /Asked to join: waiting for a coordinator/);
    await checkAxe(st, phone, 'the schemes page, asked to join');
  });

  await step(t, '3. a second newcomer joins a scheme in another district, and its coordinator accepts them', async (st) => {
    const theirs = await signUp(st, phone, NEIGHBOUR, await postcodeFor(OTHER));
    await join(st, phone, theirs, OTHER, 'Histon Road');
    await phone.getByText('You asked to join').waitFor();
    await signIn(staff, BASE, await demoAccount('Grace Adeyemi'));
    await staff.getByRole('link', { name: OTHER }).click();
    const request = staff.locator('#requests li', { hasText: NEIGHBOUR.name });
    await request.getByRole('button', { name: 'Accept' }).click();
    await staff.getByText('Accepted: they are a member now').waitFor();
    await staff.locator('form[action="/staff/sign-out"] button').click();
  });

  await step(t, '4. the coordinator signs in: her schemes, not the force\'s pages', async (st) => {
    await signIn(staff, BASE, await demoAccount('Margaret Ellis'));
    await expectHeading(staff, 'Your Neighbourhood Watch schemes');
    await checkAxe(st, staff, 'a coordinator\'s schemes');
    const response = await staff.goto(`${BASE}/staff/alerts/new`);
    assert.equal(response.status(), 403, 'the force\'s compose page refuses a coordinator');
    await expectHeading(staff, 'You may not do that');
    await staff.goto(`${BASE}/staff/coordinate`);
    await staff.getByRole('link', { name: SCHEME }).click();
    await expectHeading(staff, SCHEME);
    const request = staff.locator('#requests li', { hasText: NEWCOMER.name });
    assert.match(await request.innerText(), new RegExp(`${NEWCOMER.name}, ${NEWCOMER.street}`));
    assert.ok(!(await staff.content()).includes(NEWCOMER.email), 'no member\'s address');
    await checkAxe(st, staff, 'a coordinator\'s scheme with a request');
    await request.getByRole('button', { name: 'Accept' }).click();
    await staff.getByText('Accepted: they are a member now').waitFor();
    assert.ok(await staff.locator('#members td', { hasText: NEWCOMER.name }).count() === 1, 'the newcomer is a member');
  });

  await step(t, '5. she writes to her members (first with no title); it reaches the newcomer and not the other scheme\'s member', async (st) => {
    await staff.locator('#body').fill(BODY);
    await staff.locator('#send-message').click();
    const links = await errorSummaryLinks(staff);
    assert.ok(links.some((l) => l.href === '#title'), `the summary links to the title: ${JSON.stringify(links)}`);
    assert.equal(await staff.locator('#body').inputValue(), BODY, 'the message typed is kept');
    await checkAxe(st, staff, 'the message form with an error');
    await staff.locator('#title').fill(TITLE);
    await staff.locator('#send-message').click();
    await staff.getByText('Your message is on its way').waitFor();
    await checkAxe(st, staff, 'a coordinator\'s scheme after sending');
    const members = Number((await staff.locator('#members-title').innerText()).match(/\((\d+)\)/)[1]);

    const email = await waitForEmail(NEWCOMER.email, 20_000, (m) => m.subject.includes(TITLE));
    const text = plainText(email.headers, email.body);
    assert.ok(text.includes(BODY), `the message's words in ${email.file}`);
    assert.ok(text.includes('Margaret Ellis'), `signed by the coordinator in ${email.file}`);
    assert.ok(text.includes(SCHEME), `the scheme named in ${email.file}`);
    // Every member, once, and nobody else: not the other scheme's member.
    const deadline = Date.now() + 20_000;
    let to = await recipientsOf(TITLE);
    while (to.length < members && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      to = await recipientsOf(TITLE);
    }
    assert.equal(to.length, members, `one email for each of the ${members} members: ${to.join(', ')}`);
    assert.ok(!to.some((address) => address.includes(NEIGHBOUR.email)), 'the other scheme\'s member got nothing');
    await visitor.goto(`${BASE}/alerts`);
    assert.ok(!(await visitor.content()).includes(TITLE), 'the message is not on the public archive');
  });
});
