// Resident surveys in headless Chromium: a visitor reads the demo survey's published results
// and narrows them to a district; Sam Patel, the demo's South Cambridgeshire sergeant (a sender
// whose alerts need no approval), builds a survey (first with a mistake, then put right) and
// sends it with an alert to South Cambridgeshire; a resident it reached opens their own link
// from the email on a phone, answers (first giving two options the same place, then properly)
// and opens the link again to find their answers; Sam reads the results, with the ranking in
// order and the free text, and publishes them; the visitor sees the chart, and not the
// resident's own words. Then a visitor on a phone asks, on the demo survey's public page, for
// their own link (first with an address that is not one and a postcode outside the area), answers
// through the link emailed, and changes the answers through a new one; Sam sees one more answer.
// axe-core checks every page on the way.
//
//   BEACON_URL       the running server, e.g. http://127.0.0.1:18080
//   BEACON_OUTBOX    the directory where the server writes one .eml file per email
//   BEACON_DEMO_LOG  a file holding the demo's stdout, which lists the demo staff accounts
//
// tests/browser/run.sh starts a demo server and sets all three.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE,
  OUTBOX,
  CHROMIUM,
  SCREENSHOTS,
  LAUNCH_ARGS,
  plainPage,
  makeStep,
  checkAxe,
  expectHeading,
  errorSummaryLinks,
  assertNoSidewaysScroll,
  splitMessage,
  plainText,
  waitForEmail,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

const SENDER = 'Sam Patel';
const SOUTH_CAMBRIDGESHIRE = 'E07000012';

// The demo's survey, built and answered by `beacon demo` (src/cli/demo_surveys.rs).
const DEMO_SURVEY = { id: 1, title: 'Your local policing priorities' };

// This run's survey, so that it is told apart from any other.
const RUN = Date.now().toString(36);
const TITLE = `Speeding and safety in South Cambridgeshire (${RUN})`;
const INTRODUCTION = 'Your answers decide where the neighbourhood team patrols this winter.';
const RANKING = 'Put these in order of concern';
const OPTIONS = ['Speeding', 'Anti-social behaviour', 'Drugs', 'Burglary'];
const SAFETY = 'How safe do you feel in your village after dark?';
const SAFETY_OPTIONS = ['Very safe', 'Fairly safe', 'Not safe'];
const ANYTHING_ELSE = 'Is there anything else you want us to know?';
// The resident's own words: staff read them; the published results never show them.
const FREE_TEXT = `Vans race through the village after dark, every night (${RUN}).`;
// The resident's order of concern: option index -> place.
const PLACES = { 0: '2', 1: '4', 2: '3', 3: '1' };
const IN_ORDER = ['Burglary', 'Speeding', 'Drugs', 'Anti-social behaviour'];

let browser;
// Like the other walks, the walking contexts bypass the pages' Content-Security-Policy so that
// axe-core can be injected; the screenshots use contexts that keep it, and fail on any breach.
let visitor;
let desk;
let phone;
let staffContext;
const cspErrors = [];

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  assert.ok(OUTBOX, 'set BEACON_OUTBOX to the directory where the server writes .eml files');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const anyone = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  anyone.setDefaultTimeout(15_000);
  visitor = await anyone.newPage();
  staffContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  staffContext.setDefaultTimeout(15_000);
  desk = await staffContext.newPage();
  const resident = await browser.newContext({
    bypassCSP: true,
    viewport: { width: 375, height: 667 },
    isMobile: true,
    hasTouch: true,
  });
  resident.setDefaultTimeout(15_000);
  phone = await resident.newPage();
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

/**
 * A check that fails the run without stopping the walk, as the axe checks do: for what the
 * pages get wrong, so that one run reports every such problem.
 */
async function expectThat(t, label, fn) {
  await t.test(label, fn);
}

/** A screenshot of `url` in a context that keeps the Content-Security-Policy. */
async function screenshot(url, file, options = {}) {
  const { storageState, ...contextOptions } = options;
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    ...contextOptions,
    ...(storageState ? { storageState } : {}),
  });
  try {
    const p = await plainPage(context, cspErrors);
    await p.goto(url);
    await p.locator('h1').first().waitFor();
    await p.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true });
  } finally {
    await context.close();
  }
}

/** The notice at the top of a staff page. */
async function notice(p) {
  const box = p.locator('.notice').first();
  await box.waitFor();
  return (await box.innerText()).trim();
}

/** "228 residents have answered." / "1 resident has answered in this district.": the number. */
async function answeredCount(p) {
  const text = (await p.locator('#survey-responses').innerText()).trim();
  const match = /^([\d,]+) residents? (?:has|have) answered( in this district)?\.$/.exec(text);
  assert.ok(match, `the count of answers should read "N residents have answered.", not ${JSON.stringify(text)}`);
  return { count: Number(match[1].replaceAll(',', '')), inDistrict: Boolean(match[2]), text };
}

/** The row headings of a results table, in order. */
async function rowNames(table) {
  return (await table.locator('tbody th[scope="row"]').allInnerTexts()).map((name) => name.trim());
}

/** The results table with `caption` in the section of question `heading`. */
function resultSection(p, heading) {
  return p.locator('section.survey-result').filter({ has: p.getByRole('heading', { name: heading }) });
}

/** One recipient of alert `alertId` in the outbox: their address, once the first email is written. */
async function aRecipientOf(alertId, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = (await readdir(OUTBOX).catch(() => [])).filter(
      (n) => n.startsWith(`alert-${alertId}-`) && n.endsWith('.eml'),
    );
    if (names.length > 0) {
      const { headers } = splitMessage(await readFile(path.join(OUTBOX, names.sort()[0]), 'utf8'));
      const address = /[^\s<>"]+@[^\s<>"]+/.exec(headers.get('to') ?? '')?.[0];
      assert.ok(address, `an address in the To of ${names[0]}: ${headers.get('to')}`);
      return address;
    }
    assert.ok(Date.now() < deadline, `no email of alert ${alertId} in ${OUTBOX} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The place given to each option of the ranking on the answer form, by option index. */
async function placesGiven(p) {
  const places = {};
  for (let i = 0; i < OPTIONS.length; i++) places[i] = await p.locator(`#q0_${i}`).inputValue();
  return places;
}

test('a sergeant builds a survey and sends it with an alert; a resident answers; the results are published', { timeout: 300_000 }, async (t) => {
  let surveyId;
  let surveyUrl;
  let alertId;
  let resident;
  let link;

  await step(t, '1. a visitor reads the demo survey\'s published results, and narrows them to a district', async (st) => {
    const response = await visitor.goto(`${BASE}/surveys/${DEMO_SURVEY.id}/results`);
    assert.equal(response.status(), 200);
    await expectHeading(visitor, `${DEMO_SURVEY.title}: what residents said`);
    const all = await answeredCount(visitor);
    assert.ok(all.count > 0, 'demo residents have answered');
    assert.equal(all.inDistrict, false);

    const first = visitor.locator('section.survey-result').first();
    assert.equal(await first.locator('.chart svg').count(), 1, 'the first question has a bar chart');
    const table = first.locator('table[id^="result-table-"]');
    assert.deepEqual(
      [...(await rowNames(table))].sort(),
      ['Anti-social behaviour', 'Burglary', 'Drug dealing', 'Fraud and scams', 'Speeding'],
      "the ranking's table has a row for each option",
    );
    const byDistrict = first.locator('table').filter({ has: visitor.locator('caption', { hasText: 'By district' }) });
    assert.equal(await byDistrict.count(), 1, 'a "By district" table');
    const districts = await rowNames(byDistrict);
    assert.ok(districts.includes('South Cambridgeshire'), `South Cambridgeshire is in the "By district" table: ${districts}`);
    // Residents' own words are not published: the free-text question is not shown at all.
    const main = await visitor.locator('main').innerText();
    assert.ok(!main.includes('Is there anything else you want your local team to know?'), 'no free-text question on the public page');
    for (const comment of ['Cars race through the village', 'Drug dealing near the bus shelter']) {
      assert.ok(!main.includes(comment), `a resident's comment is published: ${comment}`);
    }
    await checkAxe(st, visitor, 'the published results of the demo survey');

    const option = visitor.locator(`#district option[value="${SOUTH_CAMBRIDGESHIRE}"]`);
    const label = (await option.innerText()).trim();
    const there = /^South Cambridgeshire \((\d+)\)$/.exec(label);
    assert.ok(there, `the district's option names it and counts its answers: ${JSON.stringify(label)}`);
    await visitor.locator('#district').selectOption(SOUTH_CAMBRIDGESHIRE);
    await visitor.getByRole('button', { name: 'Show' }).click();
    await visitor.waitForURL(new RegExp(`[?&]district=${SOUTH_CAMBRIDGESHIRE}`));
    await expectHeading(visitor, `${DEMO_SURVEY.title}: what residents said`);
    const narrowed = await answeredCount(visitor);
    assert.ok(narrowed.inDistrict, `the count says it is of the district: ${narrowed.text}`);
    assert.equal(narrowed.count, Number(there[1]), 'the count is the one the district option gave');
    assert.ok(narrowed.count < all.count, `narrowed to the district: ${narrowed.count}, of ${all.count} in all`);
    assert.equal(await visitor.locator('#district').inputValue(), SOUTH_CAMBRIDGESHIRE, 'the district stays chosen');
    assert.equal(await visitor.locator('section.survey-result').first().locator('.chart svg').count(), 1, 'still a chart');
    await checkAxe(st, visitor, 'the published results of the demo survey, for South Cambridgeshire');

    await screenshot(`${BASE}/surveys/${DEMO_SURVEY.id}/results`, 'survey-results.png');
  });

  await step(t, '2. the sergeant signs in and builds a survey, first with a mistake', async (st) => {
    await signIn(desk, BASE, await demoAccount(SENDER));
    await expectThat(st, 'the staff navigation leads a sender to Surveys, as it does to Templates and Reported scams', async () => {
      const nav = desk.getByRole('navigation', { name: 'Staff' });
      assert.equal(await nav.getByRole('link', { name: 'Templates' }).count(), 1, 'a sender has the sender links');
      assert.equal(
        await nav.locator('a[href="/staff/surveys"]').count(),
        1,
        `no link to /staff/surveys in the staff navigation: ${(await nav.getByRole('link').allInnerTexts()).join(' | ')}`,
      );
    });
    await desk.goto(`${BASE}/staff/surveys`);
    await expectHeading(desk, 'Surveys');
    const list = desk.locator('#surveys');
    assert.ok((await rowNames(list)).includes(DEMO_SURVEY.title), 'the demo survey is listed');
    await checkAxe(st, desk, 'the list of surveys');

    await desk.getByRole('link', { name: 'Build a survey' }).click();
    await expectHeading(desk, 'Build a survey');
    await checkAxe(st, desk, 'the survey builder');

    await desk.locator('#title').fill(TITLE);
    await desk.locator('#introduction').fill(INTRODUCTION);
    await desk.locator('#q0_prompt').fill(RANKING);
    await desk.locator('#q0_kind').selectOption('ranking');
    await desk.locator('#q0_options').fill(OPTIONS.join('\n'));
    await desk.locator('#q0_required').check();
    // The mistake: choices for a question with no question written.
    await desk.locator('#q1_kind').selectOption('single');
    await desk.locator('#q1_options').fill(SAFETY_OPTIONS.join('\n'));
    await desk.locator('#q2_prompt').fill(ANYTHING_ELSE);
    await desk.locator('#q2_kind').selectOption('text');
    await desk.getByRole('button', { name: 'Build the survey' }).click();

    const links = await errorSummaryLinks(desk);
    assert.deepEqual(
      links,
      [{ href: '#q1', text: 'Question 2: Write the question these options are for' }],
      'the error summary names question 2 and leads to it',
    );
    assert.equal(new URL(desk.url()).pathname, '/staff/surveys/new', 'nothing was built');
    await expectHeading(desk, 'Build a survey');
    assert.equal(await desk.locator('#title').inputValue(), TITLE, 'the title is kept');
    assert.equal(await desk.locator('#q0_prompt').inputValue(), RANKING, 'the questions are kept');
    assert.equal(await desk.locator('#q0_kind').inputValue(), 'ranking');
    assert.equal(await desk.locator('#q0_options').inputValue(), OPTIONS.join('\n'));
    assert.ok(await desk.locator('#q0_required').isChecked(), 'required stays ticked');
    assert.equal(await desk.locator('#q1_options').inputValue(), SAFETY_OPTIONS.join('\n'));
    assert.equal(await desk.locator('#q2_kind').inputValue(), 'text');
    await expectThat(st, 'the title of the builder with a problem starts "Error:", as every other form\'s does', async () => {
      assert.match(await desk.title(), /^Error: /);
    });
    await checkAxe(st, desk, 'the survey builder with a problem');

    await desk.locator('#q1_prompt').fill(SAFETY);
    await desk.getByRole('button', { name: 'Build the survey' }).click();
    await desk.waitForURL(/\/staff\/surveys\/\d+$/);
    surveyUrl = desk.url();
    surveyId = Number(/\/staff\/surveys\/(\d+)$/.exec(surveyUrl)[1]);
    assert.match(await notice(desk), /is built\. Send it with an alert when you are ready\./);
    await expectHeading(desk, TITLE);
    assert.equal((await desk.locator('#published-state').innerText()).trim(), 'Not published');
    assert.deepEqual(await answeredCount(desk), { count: 0, inDistrict: false, text: '0 residents have answered.' });
    for (const heading of [`1. ${RANKING}`, `2. ${SAFETY}`, `3. ${ANYTHING_ELSE}`]) {
      assert.equal(await desk.getByRole('heading', { name: heading, exact: true }).count(), 1, `the survey has "${heading}"`);
    }
    await checkAxe(st, desk, 'the new survey\'s page');

    // Not published yet: nobody else can read its results.
    const unpublished = await visitor.goto(`${BASE}/surveys/${surveyId}/results`);
    assert.equal(unpublished.status(), 404, 'the results of a survey not published are not found');
  });

  await step(t, '3. the sergeant sends it with an alert to South Cambridgeshire', async (st) => {
    await desk.getByRole('link', { name: 'Send it with an alert' }).click();
    await desk.waitForURL(`${BASE}/staff/alerts/new?survey=${surveyId}`);
    await expectHeading(desk, 'Write an alert');
    const title = await desk.locator('#title').inputValue();
    assert.ok(title.startsWith('Survey:'), `the title starts "Survey:": ${JSON.stringify(title)}`);
    assert.equal(title, `Survey: ${TITLE}`);
    const body = await desk.locator('#body').inputValue();
    assert.ok(body.startsWith(INTRODUCTION), `the message starts with the introduction:\n${body}`);
    assert.match(body, /the survey link in this email is yours alone/);
    assert.match(await desk.locator('#compose-notice').innerText(), new RegExp(`An alert carrying the survey “${TITLE.replace(/[()]/g, '\\$&')}”`));
    assert.equal(await desk.locator('input[type="hidden"][name="survey"]').inputValue(), String(surveyId), 'the form carries the survey');
    await checkAxe(st, desk, 'the compose page with a survey');

    await desk.locator('#message_type').selectOption({ label: 'Community news' });
    await desk.locator(`#district-${SOUTH_CAMBRIDGESHIRE}`).check();
    await desk.getByRole('button', { name: 'Preview the audience' }).click();
    const summary = (await desk.locator('#audience-summary').innerText()).trim();
    const reach = /^(\d+) residents?: (\d+) by email/.exec(summary);
    assert.ok(reach && Number(reach[2]) > 0, `the alert reaches residents by email: ${summary}`);
    assert.equal(await desk.locator('#title').inputValue(), `Survey: ${TITLE}`, 'the title is kept');
    assert.equal(await desk.locator('input[type="hidden"][name="survey"]').inputValue(), String(surveyId), 'the survey is kept through the preview');
    await checkAxe(st, desk, 'the compose page with a survey, its audience previewed');

    await desk.getByRole('button', { name: 'Save the draft' }).click();
    await desk.waitForURL(/\/staff\/alerts\/\d+(\?|$)/);
    const alertUrl = desk.url().split('?')[0];
    alertId = /\/staff\/alerts\/(\d+)/.exec(alertUrl)[1];
    assert.equal(await notice(desk), 'The draft is saved.');
    await expectHeading(desk, `Survey: ${TITLE}`);
    await desk.getByRole('button', { name: 'Mark ready to send' }).click();
    await desk.waitForURL(/\?done=submit$/);
    await desk.getByRole('link', { name: 'Send now' }).click();
    await desk.waitForURL(`${alertUrl}/send`);
    assert.match((await desk.locator('#send-summary').innerText()).trim(), /^Send to [\d,]+ residents?/);
    await desk.getByRole('button', { name: 'Send now' }).click();
    await desk.waitForURL(/\?done=send$/);

    resident = await aRecipientOf(alertId);
    const email = await waitForEmail(resident, 15_000, (m) => m.file.startsWith(`alert-${alertId}-`));
    const text = plainText(email.headers, email.body) ?? '';
    assert.match(text, /Answer the survey \(your own link: please do not pass it on\):/);
    link = /https?:\/\/\S+\/survey\/[A-Za-z0-9._~-]+/.exec(text)?.[0] ?? '';
    assert.ok(link, `a /survey/ link in the email to ${resident}:\n${text}`);
  });

  await step(t, '4. the resident answers on their phone: first two options in one place, then properly', async (st) => {
    const url = link.replace(/^https?:\/\/[^/]+/, BASE);
    const response = await phone.goto(url);
    assert.equal(response.status(), 200);
    await expectHeading(phone, TITLE);
    assert.match(await phone.locator('#survey-privacy').innerText(), /you can change them with this link until/);
    assert.equal(await phone.locator('legend').filter({ hasText: `1. ${RANKING}` }).count(), 1);
    assert.match(await phone.locator('legend').filter({ hasText: SAFETY }).innerText(), /\(optional\)/);
    for (let i = 0; i < OPTIONS.length; i++) {
      assert.equal((await phone.locator(`label[for="q0_${i}"]`).innerText()).trim(), OPTIONS[i]);
    }
    await assertNoSidewaysScroll(phone, 'the survey');
    await checkAxe(st, phone, 'the survey, as a resident opens it');

    // Speeding and anti-social behaviour both second.
    await phone.locator('#q0_0').selectOption('2');
    await phone.locator('#q0_1').selectOption('2');
    await phone.locator('#q0_2').selectOption('3');
    await phone.locator('#q0_3').selectOption('1');
    await phone.getByLabel('Fairly safe').check();
    await phone.locator('#q2').fill(FREE_TEXT);
    await phone.getByRole('button', { name: 'Send my answers' }).click();

    const links = await errorSummaryLinks(phone);
    assert.deepEqual(links, [
      { href: '#question-0', text: 'Question 1: 2 is given to two options: give each a different place' },
    ]);
    await expectHeading(phone, TITLE);
    assert.match(
      await phone.locator('#question-0-error').innerText(),
      /2 is given to two options: give each a different place/,
      'the error is also at the question',
    );
    assert.deepEqual(await placesGiven(phone), { 0: '2', 1: '2', 2: '3', 3: '1' }, 'the places given are kept');
    assert.ok(await phone.getByLabel('Fairly safe').isChecked(), 'the choice is kept');
    assert.equal(await phone.locator('#q2').inputValue(), FREE_TEXT, 'the words are kept');
    await expectThat(st, 'the title of the survey with a problem starts "Error:", as every other form\'s does', async () => {
      assert.match(await phone.title(), /^Error: /);
    });
    await assertNoSidewaysScroll(phone, 'the survey with a problem');
    await checkAxe(st, phone, 'the survey with a problem');

    for (const [option, place] of Object.entries(PLACES)) {
      await phone.locator(`#q0_${option}`).selectOption(place);
    }
    await phone.getByRole('button', { name: 'Send my answers' }).click();
    await expectHeading(phone, 'Answers sent');
    const sent = await phone.locator('main').innerText();
    assert.match(sent, /Thank you: your answers have been kept\./);
    assert.match(sent, /You can change them with the same link until/);
    await checkAxe(st, phone, 'the survey answered');

    await phone.goto(url);
    await expectHeading(phone, TITLE);
    assert.match(await phone.locator('.notice').innerText(), /You have answered already/);
    assert.deepEqual(await placesGiven(phone), PLACES, 'the ranking is filled in');
    assert.ok(await phone.getByLabel('Fairly safe').isChecked(), 'the choice is filled in');
    assert.equal(await phone.locator('#q2').inputValue(), FREE_TEXT, 'the words are filled in');
    assert.equal(await phone.getByRole('button', { name: 'Change my answers' }).count(), 1);
    await assertNoSidewaysScroll(phone, 'the survey answered already');
    await checkAxe(st, phone, 'the survey answered already');

    await screenshot(url, 'survey-answer-phone.png', {
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
  });

  await step(t, '5. the sergeant reads the results and publishes them; the public is told too few have answered yet', async (st) => {
    await desk.goto(surveyUrl);
    await expectHeading(desk, TITLE);
    assert.deepEqual(await answeredCount(desk), { count: 1, inDistrict: false, text: '1 resident has answered.' });
    const ranking = resultSection(desk, `1. ${RANKING}`);
    assert.equal(await ranking.locator('.chart svg').count(), 1, 'the ranking has a chart');
    assert.deepEqual(await rowNames(ranking.locator('table[id^="result-table-"]')), IN_ORDER, 'the options in the order the resident put them');
    const safety = resultSection(desk, `2. ${SAFETY}`);
    assert.match(await safety.locator('table').innerText(), /Fairly safe\s+1 \(100%\)/);
    const words = resultSection(desk, `3. ${ANYTHING_ELSE}`);
    assert.deepEqual((await words.locator('ul.survey-texts li').allInnerTexts()).map((s) => s.trim()), [FREE_TEXT]);
    await checkAxe(st, desk, 'the results of the new survey, for staff');

    // The free text can be searched.
    await desk.locator('#q').fill('vans');
    await desk.getByRole('button', { name: 'Show' }).click();
    await desk.waitForURL(/[?&]q=vans/);
    assert.equal((await resultSection(desk, `3. ${ANYTHING_ELSE}`).locator('[id$="-count"]').innerText()).trim(), '1 answer holding “vans”.');
    await desk.locator('#q').fill('tractors');
    await desk.getByRole('button', { name: 'Show' }).click();
    await desk.waitForURL(/[?&]q=tractors/);
    assert.equal(await resultSection(desk, `3. ${ANYTHING_ELSE}`).locator('ul.survey-texts li').count(), 0);

    // The answers as CSV hold the resident's words.
    const csv = await desk.request.get(`${BASE}/staff/surveys/${surveyId}/answers.csv`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    const rows = (await csv.text()).split('\r\n').filter(Boolean);
    assert.equal(rows.length, 2, `a header and one response:\n${rows.join('\n')}`);
    assert.ok(rows[1].includes('1. Burglary; 2. Speeding; 3. Drugs; 4. Anti-social behaviour'), rows[1]);
    assert.ok(rows[1].includes(FREE_TEXT.replace(/"/g, '""')), rows[1]);

    await desk.goto(surveyUrl);
    await desk.getByRole('button', { name: 'Publish the results' }).click();
    await desk.waitForURL(surveyUrl);
    assert.equal(await notice(desk), `The results are published at /surveys/${surveyId}/results.`);
    assert.match(await desk.locator('#published-state').innerText(), new RegExp(`Published at /surveys/${surveyId}/results`));
    assert.equal(await desk.getByRole('button', { name: 'Stop publishing the results' }).count(), 1);
    await checkAxe(st, desk, 'the survey with its results published');
    await screenshot(surveyUrl, 'survey-staff.png', { storageState: await staffContext.storageState() });

    await desk.goto(`${BASE}/staff/surveys`);
    const row = desk.locator('#surveys tbody tr').filter({ hasText: TITLE });
    const cells = (await row.locator('th, td').allInnerTexts()).map((c) => c.trim());
    assert.equal(cells[3], 'Open', `the survey is open: ${cells.join(' | ')}`);
    assert.equal(cells[4], '1', `one answer: ${cells.join(' | ')}`);
    assert.equal(cells[5], 'Published', `published: ${cells.join(' | ')}`);

    const response = await visitor.goto(`${BASE}/surveys/${surveyId}/results`);
    assert.equal(response.status(), 200);
    await expectHeading(visitor, `${TITLE}: what residents said`);
    // One answer is too few to publish: it would be that resident's own answers.
    assert.match(
      await visitor.locator('#too-few').innerText(),
      /^Fewer than 5 residents have answered so far\./,
    );
    assert.equal(await visitor.locator('.chart svg').count(), 0, 'no chart of one resident\'s answers');
    const main = await visitor.locator('main').innerText();
    assert.ok(!main.includes('Burglary'), "the resident's ranking is not shown");
    assert.ok(!main.includes(FREE_TEXT), "the resident's own words are not published");
    assert.ok(!main.includes(ANYTHING_ELSE), 'nor the free-text question');
    await checkAxe(st, visitor, 'the published results of the new survey');
  });

  await step(t, '6. a visitor on a phone asks for their own link on the demo survey\'s public page, and answers through it', async (st) => {
    const staffUrl = `${BASE}/staff/surveys/${DEMO_SURVEY.id}`;
    await desk.goto(staffUrl);
    await expectHeading(desk, DEMO_SURVEY.title);
    const before = await answeredCount(desk);

    const context = await browser.newContext({
      bypassCSP: true,
      viewport: { width: 375, height: 667 },
      isMobile: true,
      hasTouch: true,
    });
    context.setDefaultTimeout(15_000);
    try {
      const walker = await context.newPage();
      const publicUrl = `${BASE}/surveys/${DEMO_SURVEY.id}`;
      const response = await walker.goto(publicUrl);
      assert.equal(response.status(), 200);
      await expectHeading(walker, DEMO_SURVEY.title);
      assert.equal(await walker.locator('#email').count(), 1, 'an email address field');
      assert.equal(await walker.locator('#postcode').count(), 1, 'a postcode field');
      await assertNoSidewaysScroll(walker, 'the survey\'s public page');
      await checkAxe(st, walker, 'the demo survey\'s public page');

      // An address that is not one, and a postcode outside the area.
      await walker.locator('#email').fill('not-an-email');
      await walker.locator('#postcode').fill('SW1A 1AA');
      await walker.getByRole('button', { name: 'Send me the link' }).click();
      const links = await errorSummaryLinks(walker);
      assert.deepEqual(links.map((l) => l.href), ['#email', '#postcode'], `both problems, in order: ${JSON.stringify(links)}`);
      assert.match(links[0].text, /correct format/);
      assert.match(links[1].text, /SW1A 1AA is outside the area/);
      assert.match(await walker.locator('#email-error').innerText(), /correct format/, 'the error is also at the field');
      assert.match(await walker.locator('#postcode-error').innerText(), /outside the area/);
      assert.equal(await walker.locator('#email').inputValue(), 'not-an-email', 'the address is kept');
      assert.equal(await walker.locator('#postcode').inputValue(), 'SW1A 1AA', 'the postcode is kept');
      await expectHeading(walker, DEMO_SURVEY.title);
      await expectThat(st, 'the title of the public page with a problem starts "Error:"', async () => {
        assert.match(await walker.title(), /^Error: /);
      });
      await assertNoSidewaysScroll(walker, 'the survey\'s public page with problems');
      await checkAxe(st, walker, 'the demo survey\'s public page with problems');

      const address = `walk-visitor-${RUN}-${Math.random().toString(36).slice(2, 8)}@example.org`;
      await walker.locator('#email').fill(address);
      await walker.locator('#postcode').fill('CB1 1PT');
      await walker.getByRole('button', { name: 'Send me the link' }).click();
      await expectHeading(walker, 'Check your email');
      assert.match(await walker.locator('main').innerText(), /We have sent you a link to answer the survey/);
      await checkAxe(st, walker, 'the public page\'s "Check your email"');

      /** The link in the newest survey-link email to the visitor, after those already `seen`. */
      async function linkEmailed(seen) {
        const email = await waitForEmail(
          address,
          15_000,
          (m) => !seen.has(m.file) && m.subject === `Your link to answer the survey: ${DEMO_SURVEY.title}`,
        );
        seen.add(email.file);
        const text = plainText(email.headers, email.body) ?? '';
        const found = new RegExp(`https?://\\S+/surveys/${DEMO_SURVEY.id}/answer/[A-Za-z0-9._~-]+`).exec(text)?.[0];
        assert.ok(found, `a /surveys/${DEMO_SURVEY.id}/answer/ link in the email to ${address}:\n${text}`);
        return found.replace(/^https?:\/\/[^/]+/, BASE);
      }
      const seen = new Set();
      const url = await linkEmailed(seen);

      const form = await walker.goto(url);
      assert.equal(form.status(), 200);
      await expectHeading(walker, DEMO_SURVEY.title);
      assert.equal(await walker.locator('.notice').count(), 0, 'not answered yet');
      assert.equal(await walker.locator('#q0_4').count(), 1, 'the ranking has five options');
      await assertNoSidewaysScroll(walker, 'the demo survey through the emailed link');
      await checkAxe(st, walker, 'the demo survey, through the link from its public page');

      // Fraud first, then burglary, speeding, drug dealing, anti-social behaviour.
      const places = { 0: '3', 1: '5', 2: '4', 3: '2', 4: '1' };
      for (const [option, place] of Object.entries(places)) {
        await walker.locator(`#q0_${option}`).selectOption(place);
      }
      await walker.getByLabel('A bit unsafe').check();
      await walker.getByLabel('Street meetings').check();
      await walker.locator('#q3-4').check();
      await walker.getByRole('button', { name: 'Send my answers' }).click();
      await expectHeading(walker, 'Answers sent');
      assert.match(await walker.locator('main').innerText(), /Thank you: your answers have been kept\./);
      await checkAxe(st, walker, 'the demo survey answered through the link from its public page');

      await desk.goto(staffUrl);
      const after = await answeredCount(desk);
      assert.equal(after.count, before.count + 1, `one more answer: ${before.text} -> ${after.text}`);

      // A new link for the same address opens the answers given.
      await walker.goto(publicUrl);
      await walker.locator('#email').fill(address.toUpperCase());
      await walker.locator('#postcode').fill('cb1 1pt');
      await walker.getByRole('button', { name: 'Send me the link' }).click();
      await expectHeading(walker, 'Check your email');
      const again = await linkEmailed(seen);
      await walker.goto(again);
      await expectHeading(walker, DEMO_SURVEY.title);
      assert.match(await walker.locator('.notice').innerText(), /You have answered already/);
      const given = {};
      for (let i = 0; i < 5; i++) given[i] = await walker.locator(`#q0_${i}`).inputValue();
      assert.deepEqual(given, places, 'the ranking is filled in');
      assert.ok(await walker.getByLabel('A bit unsafe').isChecked(), 'the choice is filled in');
      assert.equal(await walker.getByRole('button', { name: 'Change my answers' }).count(), 1);
      await checkAxe(st, walker, 'the demo survey answered already, through a new link');
      await walker.getByLabel('Fairly safe').check();
      await walker.getByRole('button', { name: 'Change my answers' }).click();
      await expectHeading(walker, 'Answers changed');
      assert.match(await walker.locator('main').innerText(), /Your answers have been changed\./);

      await desk.goto(staffUrl);
      assert.equal((await answeredCount(desk)).count, before.count + 1, 'a change is not another answer');
    } finally {
      await context.close();
    }

    await screenshot(`${BASE}/surveys/${DEMO_SURVEY.id}`, 'survey-public-phone.png', {
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
  });

  await t.test('the pages keep to their Content-Security-Policy', () => {
    assert.deepEqual(cspErrors, [], `the browser blocked something:\n${cspErrors.join('\n')}`);
  });
});
