// The main journey: from the start page to an indicator, add an outcome with a decimal
// comma, set a milestone, and see status and trend follow on the indicator and goal pages.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { followLink, idFromPath, screenshot, startHarness, submit, signIn } from '../lib/harness.mjs';
import { GOAL, INDICATOR, steps, textOf, walkToIndicator } from '../lib/journey.mjs';

describe('huvudflödet: utfall och etappmål för Betygsindex för trygghet', () => {
  let h;
  let page;
  let ids;
  let row2025Text;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    // An editor of Kommunstyrelsen: the journey's goal and indicator are KS's.
    await signIn(page, 'redaktor-ks');
  });
  after(async () => {
    await h?.close();
  });

  it('startsida → Kommunstyrelsen → målet → måttet, med status och trend', step('navigera', async () => {
    ids = await walkToIndicator(page, async (name) => {
      await screenshot(page, name);
    });
    assert.match(new URL(ids.indicatorUrl).pathname, /^\/indicators\/\d+$/);
    assert.equal(await textOf(page, 'indicator-status'), 'Ej uppnått');
    assert.equal(await textOf(page, 'indicator-trend'), 'Oförändrad');
  }));

  it('lägger till utfall 2025 = 66,5 (±3) och trenden blir positiv', step('utfall', async () => {
    await followLink(page, 'Fyll i utfall');
    await followLink(page, 'lägg till ett utfall i taget');
    assert.equal(new URL(page.url()).pathname, `/indicators/${ids.indicatorId}/outcome`);
    await page.getByLabel(/^Period/).fill('2025');
    await page.getByLabel('Grupp').selectOption('total');
    await page.getByLabel(/^Värde/).fill('66,5');
    await page.getByLabel('Felmarginal (±)').fill('3');
    const res = await submit(page, 'Spara utfallet');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/indicators/${ids.indicatorId}`, 'efter sparandet visas måttets sida');
    // The page opens in the current period (KS's decided 2019); 2025 is one choice away.
    await page.getByLabel('Period', { exact: true }).selectOption('2025');
    await submit(page, 'Visa');
    assert.equal(await textOf(page, 'indicator-trend'), 'Positiv');
    const table = page.getByRole('region', { name: 'Utfall per period' });
    const row2025 = table.locator('tbody tr', { has: page.locator('th', { hasText: /^2025$/ }) });
    assert.equal(await row2025.count(), 1, 'en rad för 2025 i utfallstabellen');
    row2025Text = (await row2025.innerText()).replace(/\s+/g, ' ').trim();
  }));

  // Checked apart from the chain of steps, so that a display problem does not hide the rest.
  it('utfallstabellen visar värdet som det skrevs: 66,5', async (t) => {
    if (row2025Text === undefined) return t.skip('utfallet sparades inte');
    assert.match(row2025Text, /(^|\D)66,5(\D|$)/, `raden för 2025 i utfallstabellen: "${row2025Text}"`);
  });

  it('sätter etappmål >60 för 2025 och statusen blir Uppnått', step('etappmål', async () => {
    await followLink(page, 'Sätt etappmål');
    assert.equal(new URL(page.url()).pathname, `/indicators/${ids.indicatorId}/milestones`);
    await page.getByLabel(/^Slag/).selectOption({ label: 'Etappmål för året' });
    await page.getByLabel(/^År/).fill('2025');
    await page.getByLabel(/^Mål/).fill('>60');
    const res = await submit(page, 'Spara etappmålet');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/indicators/${ids.indicatorId}`);
    await page.getByLabel('Period', { exact: true }).selectOption('2025');
    await submit(page, 'Visa');
    assert.equal(await textOf(page, 'indicator-status'), 'Uppnått');
    assert.equal(await textOf(page, 'indicator-trend'), 'Positiv');
    await screenshot(page, 'indicator-after');
  }));

  it('målets sida för 2025 visar Trend: Positiv för måttet', step('målsidan', async (t) => {
    await followLink(page, GOAL, page.getByRole('navigation', { name: 'Brödsmulor' }));
    assert.equal(idFromPath(page.url(), 'goals'), ids.goalId);
    const measureRow = () => page.locator('table.measures tbody tr', {
      has: page.getByRole('link', { name: INDICATOR, exact: true }),
    });
    // The goal page opens on the latest assessed year (2019 in the demo data); the new
    // outcome belongs to 2025, which the period selector offers.
    const shown = await page.getByLabel('Period', { exact: true }).inputValue();
    t.diagnostic(`målsidan öppnas på period ${shown}: ${(await measureRow().locator('.trend').innerText()).trim()}`);
    await page.getByLabel('Period', { exact: true }).selectOption('2025');
    await submit(page, 'Visa');
    assert.equal(new URL(page.url()).searchParams.get('period'), '2025');
    assert.equal(await measureRow().count(), 1, 'en rad för måttet i måttabellen');
    const row = (await measureRow().innerText()).replace(/\s+/g, ' ');
    assert.match(row, /Trend: Positiv/);
    assert.equal((await measureRow().locator('.status').innerText()).trim(), 'Uppnått');
    await screenshot(page, 'goal-2025');
  }));
});
