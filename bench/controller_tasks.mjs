// A controller's everyday tasks, timed in Chromium: clicks, submits, page loads and
// wall time per task, on a fresh demo server (the browser tests' harness).
//
//   bash bench/controller_tasks.sh            # builds the server, then prints one line per task
//
// The tasks are those issue 17 timed by hand: enter one indicator's total, women and men
// for a year; write a goal's analysis; assess a goal; find an indicator by a word; see what
// is left to do. Each task starts on the page a controller would be on (the indicator or
// goal page, the start page) and ends when the change is visible. Page loads count
// main-frame navigations (a form's POST and its redirect are two), submits the POSTs.
// Wall time is printed beside the counts but the counts are the figure: the machines are
// noisy, the clicks are not.

import assert from 'node:assert/strict';

import { signIn, startHarness, visit } from '../e2e/lib/harness.mjs';

const INDICATOR = 'Betygsindex för trygghet';
const GOAL = 'Ökad trivsel och trygghet i Huddinges områden';

function counter(page) {
  const c = { clicks: 0, fields: 0, submits: 0, loads: 0 };
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) c.loads += 1; });
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.method() === 'POST' && r.frame() === page.mainFrame()) c.submits += 1;
  });
  return c;
}

/** Clicks a link or button by its accessible name and waits for the page it loads. */
async function click(page, c, role, name, within = page) {
  c.clicks += 1;
  await Promise.all([
    page.waitForLoadState('load'),
    within.getByRole(role, { name, exact: typeof name === 'string' }).first().click(),
  ]);
  await page.waitForLoadState('load');
}

async function idOf(page, name) {
  const href = await page.getByRole('link', { name, exact: true }).first().getAttribute('href');
  return href.split('?')[0];
}

// The flows of the user interface before issue 17 (one form per value, the analysis in
// "Redigera målet", no search, no to-do list).
const before = {
  async outcomes(page, c, ids) {
    for (const [group, value] of [['total', '58'], ['women', '57'], ['men', '59']]) {
      await click(page, c, 'link', 'Lägg till utfall');
      await page.getByLabel(/^Period/).fill('2025');
      await page.getByLabel('Grupp').selectOption(group);
      await page.getByLabel(/^Värde/).fill(value);
      await page.getByLabel('Felmarginal (±)').fill('3');
      c.fields += 4; // period, group, value, margin
      await click(page, c, 'button', 'Spara utfallet');
    }
    await visit(page, ids.indicator);
    assert.match(await page.locator('main').innerText(), /58/);
  },
  async analysis(page, c) {
    await click(page, c, 'link', 'Redigera målet');
    await page.getByLabel('Analysens period').fill('2019');
    await page.getByLabel('Analys', { exact: true }).fill('Tryggheten har ökat i de flesta områden.');
    c.fields += 2;
    await click(page, c, 'button', /^Spara/);
  },
  async assessment(page, c) {
    await click(page, c, 'link', 'Bedöm måluppfyllelse');
    await page.getByLabel('Nivå').selectOption({ label: 'Godtagbar' });
    await page.getByLabel('Bedömd av').fill('Kajsa Controller');
    await page.getByLabel('Motivering').fill('Två av tre mått når etappmålet.');
    c.fields += 3;
    await click(page, c, 'button', /^Spara/);
  },
  async find(page, c) {
    await click(page, c, 'link', 'Kommunstyrelsen');
    await click(page, c, 'link', GOAL, page.locator('main'));
    await click(page, c, 'link', INDICATOR, page.locator('main'));
  },
  todo: null,
};

// The flows after issue 17: one grid for a year's total, women and men, the analysis and
// the assessment on the goal page's own forms, a search box, an Att göra page.
const after = {
  async outcomes(page, c, ids) {
    await click(page, c, 'link', 'Fyll i utfall');
    await page.getByLabel('Totalt 2025, värde').fill('58');
    await page.getByLabel('Totalt 2025, felmarginal').fill('3');
    await page.getByLabel('Kvinnor 2025, värde').fill('57');
    await page.getByLabel('Män 2025, värde').fill('59');
    c.fields += 4;
    await click(page, c, 'button', 'Spara');
    assert.equal((await page.getByRole('status').innerText()).trim(), 'Sparat: 3 utfall.');
    await visit(page, ids.indicator);
  },
  async analysis(page, c) {
    await page.locator('#analysis-text').fill('Tryggheten har ökat i de flesta områden.');
    c.fields += 1;
    await click(page, c, 'button', 'Spara analysen');
    assert.match(await page.getByRole('status').innerText(), /Sparat/);
  },
  async assessment(page, c) {
    await click(page, c, 'link', 'Bedöm måluppfyllelse');
    await page.getByLabel('Godtagbar', { exact: true }).check();
    await page.getByLabel('Motivering').fill('Två av tre mått når etappmålet.');
    c.fields += 2; // "Bedömd av" comes from the account
    await click(page, c, 'button', 'Spara bedömningen');
    assert.match(await page.getByRole('status').innerText(), /Sparat/);
  },
  async find(page, c) {
    await page.locator('header').getByRole('searchbox', { name: 'Sök' }).fill('trygghet');
    c.fields += 1;
    await click(page, c, 'button', 'Sök');
    await click(page, c, 'link', INDICATOR, page.locator('main'));
  },
  async todo(page, c) {
    await click(page, c, 'link', 'Att göra', page.getByRole('navigation', { name: 'Huvudmeny' }));
    assert.match(await page.locator('main').innerText(), /Utfall saknas \(\d+\)/);
  },
};

const FLOWS = { before, after };

async function main() {
  const mode = process.argv[2] || 'before';
  const flows = FLOWS[mode];
  assert.ok(flows, `okänt läge ${mode}; välj ${Object.keys(FLOWS).join(', ')}`);
  const h = await startHarness();
  try {
    const page = await h.newPage();
    await signIn(page, 'redaktor-ks');
    await visit(page, '/');
    await page.getByRole('link', { name: 'Kommunstyrelsen' }).first().click();
    await page.getByRole('link', { name: GOAL, exact: true }).first().click();
    const ids = { goal: new URL(page.url()).pathname };
    ids.indicator = await idOf(page, INDICATOR);
    // Before issue 17 the baseline was taken on 2019, which KF's decision on 2023 locks:
    // the forms refused the save after the same clicks. After, on the open year 2025.
    const year = mode === 'before' ? 2019 : 2025;
    const tasks = [
      ['utfall T/K/M 2025, ett mått', ids.indicator, flows.outcomes],
      [`analys ${year}, ett mål`, `${ids.goal}?period=${year}`, flows.analysis],
      [`bedömning ${year}, ett mål`, `${ids.goal}?period=${year}`, flows.assessment],
      ['hitta måttet om trygghet', '/', flows.find],
      ['att göra för KS 2019', '/', flows.todo],
    ];
    console.log(`mode=${mode}`);
    for (const [name, start, flow] of tasks) {
      if (!flow) {
        console.log(`${name}: saknas (ingen sådan sida)`);
        continue;
      }
      await visit(page, start);
      const c = counter(page);
      const t0 = performance.now();
      try {
        await flow(page, c, ids);
      } catch (e) {
        const errors = await page.locator('.error, [role=alert]').allInnerTexts().catch(() => []);
        throw new Error(`${name}: ${e.message.split('\n')[0]} på ${page.url()} ${errors.join(' | ')}`);
      }
      const ms = performance.now() - t0;
      page.removeAllListeners('framenavigated');
      page.removeAllListeners('request');
      console.log(`${name}: clicks=${c.clicks} fields=${c.fields} submits=${c.submits} page_loads=${c.loads} ms=${ms.toFixed(0)}`);
    }
  } finally {
    await h.close();
  }
}

await main();
