// Uppsikt in the browser: a controller opens the oversight view, follows an undecided
// deviation, records a decision (first with a missing motivation, re-displayed), adds an
// action, and sees the counts change. axe-core on every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

/** The headline figure whose label is `label`. */
async function figure(page, label) {
  const link = page.getByRole('link', { name: new RegExp(`^\\d+ ${label}$`) });
  return Number(await link.locator('.figure').innerText());
}

describe('uppsikt: från avvikelse till beslut och åtgärd', () => {
  let h;
  let page;
  let undecided;
  let withoutAction;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('uppsiktsvyn visar det som inte har åtgärdats', step('uppsiktsvyn', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Uppsiktsplikt');
    undecided = await figure(page, 'Avvikelser utan beslut');
    withoutAction = await figure(page, 'Beslut utan åtgärd');
    assert.ok(undecided >= 5, `demodata har avvikelser utan beslut (${undecided})`);
    assert.ok(await page.getByRole('table', { name: /Per nämnd och styrelse/ }).count() === 1);
    assert.match(await page.locator('#per-area-h + .table-wrap').innerText(), /Vårby/);
    await assertAxeClean(t, page, 'Uppsikt');
    await screenshot(page, 'uppsikt');
  }));

  it('controllern följer en avvikelse utan beslut', step('drill-down', async (t) => {
    await followLink(page, new RegExp(`^${undecided} Avvikelser utan beslut$`));
    assert.match(await page.locator('h1').innerText(), /Utan beslut/);
    await assertAxeClean(t, page, 'listan utan beslut');
    // The area's row leads to its deviations; the tab narrows them to the undecided.
    await visit(page, '/uppsikt');
    await followLink(page, 'Vårby', page.locator('#per-area-h + .table-wrap'));
    await followLink(page, 'Utan beslut');
    assert.match(await page.locator('h1').innerText(), /Utan beslut.*Vårby/);
    await followLink(page, /^Vårby har läge 5/);
    assert.match(await page.locator('main').innerText(), /Inget beslut ännu/);
    await assertAxeClean(t, page, 'avvikelsesidan');
  }));

  it('ett beslut att inte åtgärda utan motivering visas igen med det ifyllda', step('fel i beslutet', async (t) => {
    await followLink(page, 'Registrera beslut');
    await page.locator('#f-outcome').selectOption('no_action');
    await page.locator('#f-body').selectOption('board');
    await page.locator('#f-decided_on').fill('2025-02-20');
    await page.locator('#f-paragraph').fill('§ 17');
    await page.locator('#f-diary_number').fill('KS-2025/101');
    const res = await submit(page, 'Spara beslutet');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('.error-summary').innerText(), /Skriv varför avvikelsen inte ska åtgärdas/);
    assert.equal(await page.locator('#f-diary_number').inputValue(), 'KS-2025/101', 'diarienumret står kvar');
    await assertAxeClean(t, page, 'beslutsformuläret med fel');
    await screenshot(page, 'uppsikt-beslut-fel');
  }));

  it('beslut att åtgärda, med en åtgärd', step('beslut och åtgärd', async (t) => {
    await page.locator('#f-outcome').selectOption('act');
    let res = await submit(page, 'Spara beslutet');
    assert.equal(res.status(), 200);
    assert.match(page.url(), /\/actions\/new$/);
    await assertAxeClean(t, page, 'åtgärdsformuläret');
    await page.locator('#f-what').fill('Lägesbilden för Vårby rapporteras till kommunstyrelsen varje tertial');
    await page.locator('#f-responsible_person').fill('Säkerhetschef');
    await page.locator('#f-due').fill('2099-08-31');
    await page.locator('#f-expected_effect').fill('Styrelsen ser läget i Vårby och beslutar om åtgärder.');
    res = await submit(page, 'Spara åtgärden');
    assert.equal(res.status(), 200);
    const main = await page.locator('main').innerText();
    assert.match(main, /Lägesbilden för Vårby rapporteras/);
    assert.match(main, /KS-2025\/101/);
    assert.match(main, /Planerad/);
    await assertAxeClean(t, page, 'avvikelsesidan med beslut och åtgärd');
    await screenshot(page, 'uppsikt-avvikelse');
  }));

  it('siffrorna i uppsiktsvyn har ändrats', step('siffrorna', async () => {
    await visit(page, '/uppsikt');
    assert.equal(await figure(page, 'Avvikelser utan beslut'), undecided - 1);
    assert.equal(await figure(page, 'Beslut utan åtgärd'), withoutAction, 'beslutet har en åtgärd');
  }));
});
