// The contact centre (issue 17), as its "done means" walks it, in two real headless Chromium
// browsers: a resident on a phone (375 px) and Priya Shah, a demo operator, at a desk. Priya sets
// herself available; the resident follows "Chat with us", starts a chat and sees their place in
// the queue; it appears in Priya's inbox without a reload; she takes it and they talk, each
// seeing the other's messages arrive live (HTML shown as text); the resident ends the chat, gets
// the transcript by email (without Priya's internal note) and rates it. Then the demo's waiting
// reply to an alert: Priya answers it, the answer reaches the resident's mailbox, the resident
// follows its link and writes back, and Priya sees the thread continue. Without JavaScript a
// resident can still start a chat and send. Last, the live exchange once more in browsers that
// keep the pages' Content-Security-Policy (the other contexts bypass it so that axe-core can be
// injected), failing on any violation it reports. axe-core checks every page on the way.
//
//   BEACON_URL       the running server (tests/browser/run.sh starts a demo server and sets it)
//   BEACON_OUTBOX    where it writes one .eml file per email
//   BEACON_DEMO_LOG  the demo's stdout (the demo staff accounts and their keys)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  BASE,
  CHROMIUM,
  LAUNCH_ARGS,
  OUTBOX,
  plainPage,
  makeStep,
  checkAxe,
  expectHeading,
  assertNoSidewaysScroll,
  plainText,
  waitForEmail,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };
const DESK = { viewport: { width: 1280, height: 900 } };

// This run's resident, told apart from any other in the outbox.
const RUN = Date.now().toString(36);
const RESIDENT = 'Robin';
const TOPIC = `A van parked across my drive (${RUN})`;
const TRANSCRIPT_TO = `robin.${RUN}@example.com`;
const HELLO = `Hello, I'm Priya. How can I help you today? (${RUN})`;
const MARKUP = `It has been there since <b>bold</b> 7am (${RUN})`;
const NOTE = `Internal: checked the van's plate, nothing known (${RUN})`;
// The demo's resident whose reply to the Ely shed alert waits in the inbox.
const DEMO_RESIDENT = 'resident1@example.org';
const ANSWER = `Yes please: report it online, it helps us see the pattern around Ely (${RUN}).`;
const WRITE_BACK = `Thank you, I will report it tonight (${RUN}).`;

let browser;
let phone;
let desk;
let deskContext;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  assert.ok(OUTBOX, 'set BEACON_OUTBOX to the directory where the server writes .eml files');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const residentContext = await browser.newContext({ bypassCSP: true, ...PHONE });
  residentContext.setDefaultTimeout(15_000);
  phone = await residentContext.newPage();
  deskContext = await browser.newContext({ bypassCSP: true, ...DESK });
  deskContext.setDefaultTimeout(15_000);
  desk = await deskContext.newPage();
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

/** Waits until the page's script has its live connection open (it marks the body). */
async function liveOn(p) {
  await p.locator('body[data-live="open"]').waitFor({ state: 'attached' });
}

/**
 * Marks the page, so that `stillSamePage` can tell later that it was not reloaded or left
 * (what arrived, arrived live).
 */
async function markPage(p) {
  await p.evaluate(() => {
    window.beaconWalkMark = 'unreloaded';
  });
}

async function stillSamePage(p, where) {
  assert.equal(await p.evaluate(() => window.beaconWalkMark ?? null), 'unreloaded', `${where}: the page was not reloaded`);
}

/** The message in the list (`selector`) whose text contains `text`, once it is there. */
async function messageWith(p, selector, text) {
  const item = p.locator(`${selector} > li`).filter({ hasText: text });
  await item.first().waitFor();
  return item.first();
}

/** An HTML tag in a message is shown as text, not made into an element. */
async function assertShownAsText(item, where) {
  assert.ok((await item.innerText()).includes('<b>bold</b>'), `${where}: the tag shows as text`);
  assert.equal(await item.locator('b').count(), 0, `${where}: no <b> element was made`);
}

async function setAvailable(p) {
  await p.goto(`${BASE}/staff/inbox`);
  await expectHeading(p, 'Inbox');
  await p.locator('#available').check();
  await p.locator('#capacity').fill('5');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.locator('#presence-title').filter({ hasText: 'You are available' }).waitFor();
}

let inboxRow = '';
let chatUrl = '';

test('a resident chats with an operator, gets the transcript; a reply to an alert is answered by email', { timeout: 300_000 }, async (t) => {
  await step(t, '1. Priya signs in, opens the inbox and sets herself available', async (st) => {
    await signIn(desk, BASE, await demoAccount('Priya Shah'));
    await setAvailable(desk);
    assert.match(await desk.locator('main').innerText(), /You are available, for up to 5 chats at once/);
    await checkAxe(st, desk, 'the inbox');
    await liveOn(desk);
    await markPage(desk);
  });

  await step(t, '2. the resident follows "Chat with us", starts a chat and sees their place in the queue', async (st) => {
    await phone.goto(`${BASE}/alerts`);
    await phone.getByRole('link', { name: 'Chat with us' }).first().click();
    await expectHeading(phone, 'Chat with us');
    assert.match(await phone.locator('main').innerText(), /If someone is in danger now, call 999/);
    await assertNoSidewaysScroll(phone, 'the chat start page');
    await checkAxe(st, phone, 'the chat start page');
    await phone.locator('#first_name').fill(RESIDENT);
    await phone.locator('#topic').fill(TOPIC);
    await phone.getByRole('button', { name: 'Start chat' }).click();
    await expectHeading(phone, 'Your chat');
    chatUrl = phone.url();
    assert.match(new URL(chatUrl).pathname, /^\/chat\/[A-Za-z0-9]+$/);
    await phone.locator('#chat-state').filter({ hasText: /You are 1st in the queue/ }).waitFor();
    await assertNoSidewaysScroll(phone, 'the chat page');
    await checkAxe(st, phone, 'the chat page, waiting');
    await liveOn(phone);
    await markPage(phone);
  });

  await step(t, '3. the chat appears in Priya\'s inbox live; she takes it and writes', async (st) => {
    const row = desk.locator('#inbox-list tr').filter({ hasText: TOPIC });
    await row.waitFor();
    await stillSamePage(desk, 'the inbox');
    inboxRow = await row.getAttribute('id');
    await checkAxe(st, desk, 'the inbox with a waiting chat');
    await row.getByRole('button', { name: `Take the conversation with ${RESIDENT}` }).click();
    await expectHeading(desk, `Conversation with ${RESIDENT}`);
    assert.match(await desk.locator('#conversation-status').innerText(), /Open/);
    await checkAxe(st, desk, 'the conversation page');
    await liveOn(desk);
    await markPage(desk);
    // The resident is told who took the chat, without a reload.
    await phone.locator('#chat-state').filter({ hasText: 'You are chatting with Priya.' }).waitFor();
    await stillSamePage(phone, 'the chat page');
  });

  await step(t, '4. they talk: each sees the other\'s messages live, HTML shown as text', async (st) => {
    await desk.locator('#body').fill(HELLO);
    // Priya typing shows on the resident's phone.
    await phone.locator('#chat-typing').filter({ hasText: 'Priya is typing' }).waitFor();
    await desk.getByRole('button', { name: 'Send', exact: true }).click();
    await messageWith(desk, '#messages', HELLO);
    await stillSamePage(desk, 'the conversation page, after sending');
    assert.equal(await desk.locator('#body').inputValue(), '', 'the message box is emptied');

    const hello = await messageWith(phone, '#chat-messages', HELLO);
    assert.match(await hello.innerText(), /Priya/);
    await stillSamePage(phone, 'the chat page');
    assert.equal(await phone.locator('#chat-typing').innerText(), '', 'the typing line goes with the message');

    // The resident typing shows on Priya's page.
    await phone.locator('#body').fill(MARKUP);
    await desk.locator('#typing').filter({ hasText: 'The resident is typing' }).waitFor();
    await phone.getByRole('button', { name: 'Send', exact: true }).click();
    const mine = await messageWith(phone, '#chat-messages', MARKUP);
    await assertShownAsText(mine, "the resident's page");
    // Stored: it gets its id from the server, and stops being "Sending…".
    await phone.locator('#chat-messages > li.chat-resident:not(.chat-pending)').filter({ hasText: MARKUP }).waitFor();
    await phone
      .locator('#chat-messages > li.chat-resident')
      .filter({ hasText: MARKUP })
      .filter({ hasNotText: 'Sending…' })
      .waitFor();
    await stillSamePage(phone, 'the chat page, after sending');

    const theirs = await messageWith(desk, '#messages', MARKUP);
    await assertShownAsText(theirs, "the operator's page");
    // With its time, written as the server writes it (UK time).
    assert.match(await theirs.locator('.message-meta').innerText(), /^Robin \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}$/);
    await stillSamePage(desk, 'the conversation page');
    // Each message shows once on each side (the resident's own is matched by its client id).
    assert.equal(await phone.locator('#chat-messages > li').filter({ hasText: MARKUP }).count(), 1);
    assert.equal(await phone.locator('#chat-messages > li').filter({ hasText: HELLO }).count(), 1);
    assert.equal(await desk.locator('#messages > li').filter({ hasText: MARKUP }).count(), 1);
    assert.equal(await desk.locator('#messages > li').filter({ hasText: HELLO }).count(), 1);
    // Priya has the page open: the resident sees their message read.
    await phone.locator('#chat-read').filter({ hasText: 'Read' }).waitFor();
    await assertNoSidewaysScroll(phone, 'the chat page with messages');
    await checkAxe(st, phone, 'the chat page, talking');
    await checkAxe(st, desk, 'the conversation page, talking');
    // After a reload, the operator's page shows the message as text too (the server's HTML).
    await desk.reload();
    await assertShownAsText(await messageWith(desk, '#messages', MARKUP), "the operator's page, reloaded");
  });

  await step(t, '5. Priya adds a note; the resident ends the chat, gets the transcript, rates it', async (st) => {
    await desk.locator('#note').fill(NOTE);
    await desk.getByRole('button', { name: 'Add note' }).click();
    await desk.locator('.notice').filter({ hasText: 'Note added' }).waitFor();
    await messageWith(desk, '#messages', NOTE);
    await checkAxe(st, desk, 'the conversation page with a note');
    assert.equal(await phone.locator('#chat-messages').filter({ hasText: NOTE }).count(), 0, 'the note is not shown to the resident');

    await phone.getByRole('link', { name: 'End the chat' }).click();
    await expectHeading(phone, 'End the chat?');
    await checkAxe(st, phone, 'end the chat?');
    await phone.getByRole('button', { name: 'End the chat' }).click();
    await expectHeading(phone, 'Your chat');
    assert.match(await phone.locator('main').innerText(), /You ended the chat/);
    assert.match(await phone.locator('#chat-state').innerText(), /This chat has ended/);
    await checkAxe(st, phone, 'the ended chat');

    await phone.locator('#email').fill(TRANSCRIPT_TO);
    await phone.getByRole('button', { name: 'Email me the transcript' }).click();
    await phone.locator('main').filter({ hasText: 'We have sent the transcript to' }).waitFor();
    const email = await waitForEmail(TRANSCRIPT_TO, 15_000);
    const text = plainText(email.headers, email.body) ?? '';
    assert.ok(text.includes(HELLO), `the transcript has Priya's message:\n${text}`);
    assert.ok(text.includes(MARKUP), `the transcript has the resident's message:\n${text}`);
    assert.ok(!text.includes(NOTE) && !text.includes('Internal:'), `the transcript has no internal note:\n${text}`);

    await phone.locator('#rating-5').check();
    await phone.locator('#comment').fill('Quick and kind.');
    await phone.getByRole('button', { name: 'Send my rating' }).click();
    await phone.locator('main').filter({ hasText: 'you rated the chat 5 out of 5' }).waitFor();
    await assertNoSidewaysScroll(phone, 'the rated chat');
    await checkAxe(st, phone, 'the rated chat');
    // Priya's page is told the chat ended.
    await desk.locator('#conversation-status').filter({ hasText: 'Closed' }).waitFor();
    // A message she sends now is refused, and put back in her message box rather than lost.
    const late = 'Are you still there?';
    await markPage(desk);
    await desk.locator('#body').fill(late);
    await desk.getByRole('button', { name: 'Send', exact: true }).click();
    await desk.locator('#urgent-banner').filter({ hasText: 'This conversation has ended' }).waitFor();
    await desk.waitForFunction((text) => document.getElementById('body').value === text, late);
    await stillSamePage(desk, 'the conversation page, after a refused message');
  });

  await step(t, '6. a reply to an alert: Priya answers it, the resident gets it by email and writes back', async (st) => {
    await desk.goto(`${BASE}/staff/inbox`);
    const thread = desk.locator('.reply-thread').filter({ hasText: 'Shed and garage break-ins around Ely' });
    await thread.waitFor();
    await checkAxe(st, desk, 'the inbox with a reply thread');
    await thread.locator('tbody tr').first().locator('a').first().click();
    await desk.locator('#messages').filter({ hasText: 'Our shed near the cathedral' }).waitFor();
    await checkAxe(st, desk, 'the reply thread');
    const take = desk.getByRole('button', { name: 'Take this conversation' });
    if (await take.count()) {
      await take.click();
      await desk.locator('#conversation-status').filter({ hasText: 'Open' }).waitFor();
    }
    await liveOn(desk);
    await markPage(desk);
    await desk.locator('#body').fill(ANSWER);
    await desk.getByRole('button', { name: 'Send', exact: true }).click();
    await messageWith(desk, '#messages', ANSWER);

    const email = await waitForEmail(DEMO_RESIDENT, 15_000, (m) => (plainText(m.headers, m.body) ?? '').includes(ANSWER));
    const text = plainText(email.headers, email.body) ?? '';
    const link = /https?:\/\/\S+\/chat\/[A-Za-z0-9]+/.exec(text)?.[0] ?? '';
    assert.ok(link, `a link to answer in the email:\n${text}`);
    await phone.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
    await phone.locator('h1').filter({ hasText: /^Your conversation with / }).waitFor();
    await messageWith(phone, '#chat-messages', ANSWER);
    await assertNoSidewaysScroll(phone, 'the reply thread');
    await checkAxe(st, phone, "the resident's reply thread");
    await liveOn(phone);
    await phone.locator('#body').fill(WRITE_BACK);
    await phone.getByRole('button', { name: 'Send', exact: true }).click();
    await phone.locator('#chat-messages > li:not(.chat-pending)').filter({ hasText: WRITE_BACK }).waitFor();

    await messageWith(desk, '#messages', WRITE_BACK);
    await stillSamePage(desk, 'the reply thread');
    await checkAxe(st, desk, 'the reply thread, continued');
  });
});

test('without JavaScript, a resident starts a chat and sends a message with the form', { timeout: 120_000 }, async (t) => {
  const context = await browser.newContext({ bypassCSP: true, javaScriptEnabled: false, ...PHONE });
  context.setDefaultTimeout(15_000);
  const p = await context.newPage();
  const noScript = `No script here (${RUN})`;
  const said = `I am writing without JavaScript <i>on</i> (${RUN})`;
  await step(t, '7. the start form, then the send form, each answered by a redirect', async () => {
    await p.goto(`${BASE}/chat`);
    await expectHeading(p, 'Chat with us');
    await p.locator('#first_name').fill('Alex');
    await p.locator('#topic').fill(noScript);
    await p.getByRole('button', { name: 'Start chat' }).click();
    await expectHeading(p, 'Your chat');
    assert.match(await p.locator('#chat-state').innerText(), /in the queue/);
    await p.locator('#body').fill(said);
    await p.getByRole('button', { name: 'Send', exact: true }).click();
    await expectHeading(p, 'Your chat');
    const item = await messageWith(p, '#chat-messages', said);
    assert.ok((await item.innerText()).includes('<i>on</i>'), 'the tag shows as text');
    assert.ok(await p.getByRole('link', { name: 'Check for new messages' }).isVisible());
    // The message is waiting for the operators, under the chat's topic.
    await desk.goto(`${BASE}/staff/inbox`);
    await desk.locator('#inbox-list tr').filter({ hasText: noScript }).waitFor();
  });
  await context.close();
});

test('under the pages\' Content-Security-Policy, the live chat works both ways', { timeout: 120_000 }, async (t) => {
  const cspErrors = [];
  const residentContext = await browser.newContext(PHONE);
  residentContext.setDefaultTimeout(15_000);
  // Priya, signed in already: the same cookies, in a context that keeps the policy.
  const operatorContext = await browser.newContext({ ...DESK, storageState: await deskContext.storageState() });
  operatorContext.setDefaultTimeout(15_000);
  const resident = await plainPage(residentContext, cspErrors);
  const operator = await plainPage(operatorContext, cspErrors);
  const topic = `Under the policy (${RUN})`;
  const hello = `Hello again, Priya here (${RUN})`;
  const back = `Hello Priya, this works (${RUN})`;
  await step(t, '8. the inbox updates live, the messages go both ways live, no violation is reported', async () => {
    await operator.goto(`${BASE}/staff/inbox`);
    await expectHeading(operator, 'Inbox');
    await liveOn(operator);
    await markPage(operator);
    await resident.goto(`${BASE}/chat`);
    await resident.locator('#first_name').fill('Jo');
    await resident.locator('#topic').fill(topic);
    await resident.getByRole('button', { name: 'Start chat' }).click();
    await expectHeading(resident, 'Your chat');
    await liveOn(resident);
    await markPage(resident);

    const row = operator.locator('#inbox-list tr').filter({ hasText: topic });
    await row.waitFor();
    await stillSamePage(operator, 'the inbox, under the policy');
    await row.getByRole('button', { name: 'Take the conversation with Jo' }).click();
    await expectHeading(operator, 'Conversation with Jo');
    await liveOn(operator);
    await markPage(operator);
    await resident.locator('#chat-state').filter({ hasText: 'You are chatting with Priya.' }).waitFor();

    await operator.locator('#body').fill(hello);
    await operator.getByRole('button', { name: 'Send', exact: true }).click();
    await messageWith(resident, '#chat-messages', hello);
    // By keyboard: Enter sends.
    await resident.locator('#body').fill(back);
    await resident.locator('#body').press('Enter');
    await messageWith(operator, '#messages', back);
    await stillSamePage(resident, 'the chat page, under the policy');
    await stillSamePage(operator, 'the conversation page, under the policy');

    // Priya ends it: the resident's page turns to the rating and the transcript by itself.
    await operator.locator('#outcome').selectOption('advice-given');
    await operator.getByRole('button', { name: 'Close', exact: true }).click();
    await operator.locator('.notice').filter({ hasText: 'The conversation has ended' }).waitFor();
    await resident.getByRole('heading', { name: 'How was your chat?' }).waitFor();
    assert.match(await resident.locator('#chat-state').innerText(), /This chat has ended/);
    assert.equal(await resident.locator('#chat-send').count(), 0, 'no send form once ended');
    assert.deepEqual(cspErrors, [], 'no Content-Security-Policy violation');
  });
  await residentContext.close();
  await operatorContext.close();
});

/** A context that keeps the policy, whose pages have no WebSocket (nor EventSource, if `sse` is false). */
async function withoutWebSockets(options, sse = true) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(15_000);
  await context.addInitScript((keepSse) => {
    delete window.WebSocket;
    if (!keepSse) delete window.EventSource;
  }, sse);
  return context;
}

test('where a WebSocket cannot get through: Server-Sent Events, and long polling for the resident', { timeout: 120_000 }, async (t) => {
  const cspErrors = [];
  const operatorContext = await withoutWebSockets({ ...DESK, storageState: await deskContext.storageState() });
  const sseContext = await withoutWebSockets(PHONE);
  const pollContext = await withoutWebSockets(PHONE, false);
  const operator = await plainPage(operatorContext, cspErrors);

  /** Starts a chat on `resident`'s page, has Priya take it from her live list, and they talk. */
  async function talk(resident, name, how) {
    const topic = `By ${how} (${RUN})`;
    const hello = `Hello ${name}, Priya here, by ${how} (${RUN})`;
    const back = `Hello Priya, ${name} here, by ${how} (${RUN})`;
    await operator.goto(`${BASE}/staff/inbox`);
    await liveOn(operator);
    await markPage(operator);
    await resident.goto(`${BASE}/chat`);
    await resident.locator('#first_name').fill(name);
    await resident.locator('#topic').fill(topic);
    await resident.getByRole('button', { name: 'Start chat' }).click();
    await expectHeading(resident, 'Your chat');
    await liveOn(resident);
    await markPage(resident);

    const row = operator.locator('#inbox-list tr').filter({ hasText: topic });
    await row.waitFor();
    await stillSamePage(operator, `the inbox, by ${how}`);
    await row.getByRole('button', { name: `Take the conversation with ${name}` }).click();
    await expectHeading(operator, `Conversation with ${name}`);
    await resident.locator('#chat-state').filter({ hasText: 'You are chatting with Priya.' }).waitFor();
    await liveOn(operator);
    // Without a WebSocket the operator sends with the form (the page reloads).
    await operator.locator('#body').fill(hello);
    await operator.getByRole('button', { name: 'Send', exact: true }).click();
    await messageWith(resident, '#chat-messages', hello);
    await liveOn(operator);
    await markPage(operator);
    await resident.locator('#body').fill(back);
    await resident.getByRole('button', { name: 'Send', exact: true }).click();
    await resident.locator('#chat-messages > li:not(.chat-pending)').filter({ hasText: back }).waitFor();
    await messageWith(operator, '#messages', back);
    await stillSamePage(resident, `the chat page, by ${how}`);
    await stillSamePage(operator, `the conversation page, by ${how}`);
    assert.equal(await resident.locator('#chat-messages > li').filter({ hasText: back }).count(), 1);
    await operator.locator('#outcome').selectOption('advice-given');
    await operator.getByRole('button', { name: 'Close', exact: true }).click();
    await resident.getByRole('heading', { name: 'How was your chat?' }).waitFor();
  }

  await step(t, '9. Server-Sent Events on both sides', async () => {
    await talk(await plainPage(sseContext, cspErrors), 'Sky', 'Server-Sent Events');
    assert.deepEqual(cspErrors, [], 'no Content-Security-Policy violation');
  });
  await step(t, '10. long polling for the resident', async () => {
    await talk(await plainPage(pollContext, cspErrors), 'Lee', 'long polling');
    assert.deepEqual(cspErrors, [], 'no Content-Security-Policy violation');
  });
  await operatorContext.close();
  await sseContext.close();
  await pollContext.close();
});
