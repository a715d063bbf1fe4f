// Evaluation a controller can trust (issue 16) in the browser: the indicator page says why a
// change counts or not, the rules page shows how often the proposals agree with the decided
// levels and lets a controller try other settings, and several deviations can be decided
// together. axe-core on every page; screenshots at desktop and phone width.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';

/** The JSON of an API path, read with the signed-in page's cookies. */
async function api(page, path) {
  const res = await page.request.get(path);
  assert.equal(res.status(), 200, path);
  return res.json();
}

describe('bedömning som en controller kan lita på', () => {
  let h;
  let page;
  let ks;

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
    const units = await api(page, '/api/v1/org-units');
    ks = units.org_units.find((u) => u.key === 'ks');
    assert.ok(ks, 'KS finns i demodata');
  });
  after(async () => h?.close());

  it('måttsidan säger varför förändringen inte räknas', async (t) => {
    const listing = await api(page, `/api/v1/org-units/${ks.id}/goals?period=2019`);
    let found;
    for (const g of listing.goals) {
      const goal = await api(page, `/api/v1/goals/${g.id}?period=2019`);
      found = goal.indicators.find((i) => /förtroende för kommunen/i.test(i.name));
      if (found) break;
    }
    assert.ok(found, 'måttet Invånarnas förtroende för kommunen');
    await visit(page, `/indicators/${found.id}?period=2019`);
    const main = await page.locator('main').innerText();
    assert.match(main, /Oförändrad/);
    assert.match(main, /felmarginal/i);
    assert.match(main, /480 svar/);
    await assertAxeClean(t, page, 'måttsidan med felmarginal');
    await screenshot(page, 'matt-felmarginal');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'matt-felmarginal-mobil');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('regelsidan visar överensstämmelsen och prövar andra regler utan att spara', async (t) => {
    await visit(page, '/regler');
    const main = await page.locator('main').innerText();
    assert.match(main, /Förslaget stämmer med beslutad nivå för \d+ av \d+ mål/);
    await assertAxeClean(t, page, 'bedömningsreglerna');
    await screenshot(page, 'regler');
    const res = await submit(page, 'Pröva');
    assert.equal(res.status(), 200);
    assert.match(await page.locator('main').innerText(), /Prövade regler/);
    await assertAxeClean(t, page, 'prövade regler');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertAxeClean(t, page, 'prövade regler, mobil');
    await screenshot(page, 'regler-provade-mobil');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('flera avvikelser kan beslutas utan åtgärd på en gång', async (t) => {
    await visit(page, `/org/${ks.id}/deviations/decide`);
    assert.equal(await page.locator('textarea[name="motivation"], input[name="motivation"]').first().inputValue(), 'Inom felmarginalen');
    await assertAxeClean(t, page, 'beslut för flera avvikelser');
    await screenshot(page, 'avvikelser-flera-beslut');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertAxeClean(t, page, 'beslut för flera avvikelser, mobil');
    await screenshot(page, 'avvikelser-flera-beslut-mobil');
    await visit(page, `/org/${ks.id}/deviation-threshold`);
    await assertAxeClean(t, page, 'tröskel för avvikelser, mobil');
    await screenshot(page, 'avvikelser-troskel-mobil');
    await page.setViewportSize({ width: 1280, height: 900 });
    await visit(page, `/org/${ks.id}/deviation-threshold`);
    await assertAxeClean(t, page, 'tröskel för avvikelser');
    await screenshot(page, 'avvikelser-troskel');
  });
});
