// The year starts with the plan: a controller rolls Kommunstyrelsen from 2019 into 2020,
// fills two of next year's milestones in one submit (first with a mistake, shown at its
// row with what was typed kept), builds the verksamhetsplan and decides it. axe-core on
// every page on the way, and the plan read at 390 px.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

const HOUSING = 'Antal färdigställda bostäder (Totalt)';
const BROADBAND = 'Andel med tillgång till bredband om minst 100 Mbit/s - Hushåll';

describe('uppsikt: året börjar med verksamhetsplanen', () => {
  let h;
  let page;
  let ks;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('planen för 2019 leder till överrullningen till 2020', step('planen 2019', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Kommunstyrelsen');
    ks = idFromPath(page.url(), 'org');
    await visit(page, `/org/${ks}/plan/2019`);
    assert.match(await page.locator('h1').innerText(), /Verksamhetsplan 2019/);
    assert.match(await page.locator('main').innerText(), /Målen och måtten är tidlösa/);
    await assertAxeClean(t, page, 'verksamhetsplanen 2019');
    await followLink(page, 'Rulla över till 2020');
    assert.match(await page.locator('h1').innerText(), /Rulla över till 2020/);
    assert.match(await page.locator('main').innerText(), /Gestaltningsprinciper för Huddinge/);
    await assertAxeClean(t, page, 'överrullningen');
  }));

  it('ett felaktigt etappmål visas vid sin rad och inget sparas', step('fel i etappmålen', async (t) => {
    await page.getByLabel(`Etappmål 2020 för ${HOUSING}`).fill('≥ 900');
    await page.getByLabel(`Etappmål 2020 för ${BROADBAND}`).fill('nästan alla');
    const res = await submit(page, 'Rulla över till 2020');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('.error-summary').innerText(), /”nästan alla” är inget giltigt mål/);
    assert.equal(await page.getByLabel(`Etappmål 2020 för ${HOUSING}`).inputValue(), '≥ 900', 'det ifyllda står kvar');
    await assertAxeClean(t, page, 'överrullningen med fel');
    await screenshot(page, 'plan-overrullning-fel');
  }));

  it('2020 är redan beslutat i kommunens årsrapport 2023: inget ändras förrän perioden öppnas', step('beslutat år', async (t) => {
    await page.getByLabel(`Etappmål 2020 för ${BROADBAND}`).fill('≥ 97');
    let res = await submit(page, 'Rulla över till 2020');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('.error-summary').innerText(), /Perioden 2023 är låst genom beslut: Kommunfullmäktige/);
    assert.equal(await page.getByLabel(`Etappmål 2020 för ${BROADBAND}`).inputValue(), '≥ 97');
    await assertAxeClean(t, page, 'överrullningen till ett beslutat år');
    // The controller reopens KF's 2023 decision, with a reason, to plan 2020 afterwards.
    await visit(page, '/');
    await followLink(page, 'Kommunfullmäktige');
    const kf = idFromPath(page.url(), 'org');
    await visit(page, `/org/${kf}/reopen?period=2023`);
    await page.locator('#f-reason').fill('Verksamhetsplanen 2020 för kommunstyrelsen förs in i efterhand.');
    res = await submit(page, 'Öppna perioden');
    assert.equal(res.status(), 200);
    await visit(page, `/org/${ks}/plan/2020/rollover`);
  }));

  it('två etappmål sparas med en knapp och åtagandena förs över', step('överrullningen', async (t) => {
    await page.getByLabel(`Etappmål 2020 för ${HOUSING}`).fill('≥ 900');
    await page.getByLabel(`Etappmål 2020 för ${BROADBAND}`).fill('≥ 97');
    const res = await submit(page, 'Rulla över till 2020');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/org/${ks}/plan/2020`);
    const main = await page.locator('main').innerText();
    assert.match(main, /Utkast/);
    assert.match(main, /≥\s900/);
    assert.match(main, /≥\s97/);
    assert.match(main, /Gestaltningsprinciper för Huddinge/);
    assert.match(main, /överflyttat från 2019/);
    assert.match(main, /Saknas/, 'etappmål som inte fyllts i visas som saknade');
    await assertAxeClean(t, page, 'verksamhetsplanen 2020');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `sidan ryms i 390 px (${overflow} px för bred)`);
    await screenshot(page, 'plan-2020-mobil');
    await assertAxeClean(t, page, 'verksamhetsplanen 2020 i 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
  }));

  it('verksamhetsplanen byggs som dokument', step('dokumentet', async (t) => {
    await page.locator('#plan-format').selectOption('html');
    await submit(page, 'Skapa verksamhetsplanen');
    await page.waitForSelector('#report-download', { timeout: 30000 });
    assert.match(await page.locator('h1').innerText(), /Verksamhetsplan 2020/);
    await assertAxeClean(t, page, 'rapportjobbet');
    const href = await page.locator('#report-download').getAttribute('href');
    const res = await page.request.get(href);
    assert.equal(res.status(), 200);
    const body = await res.text();
    assert.match(body, /Verksamhetsplan 2020/);
    assert.match(body, /Överflyttat från 2019/);
  }));

  it('planen beslutas och blir offentlig', step('beslutet', async (t) => {
    await visit(page, `/org/${ks}/plan/2020`);
    await followLink(page, 'Besluta planen för 2020');
    await assertAxeClean(t, page, 'beslutsformuläret');
    await page.locator('#f-decided_on').fill('2019-12-09');
    await page.locator('#f-paragraph').fill('§ 200');
    await page.locator('#f-diary_number').fill('KS-2019/1234');
    const res = await submit(page, 'Besluta planen');
    assert.equal(res.status(), 200);
    const main = await page.locator('main').innerText();
    assert.match(main, /Beslutad plan\./);
    assert.match(main, /§ 200, dnr KS-2019\/1234/);
    await assertAxeClean(t, page, 'den beslutade planen');
    await screenshot(page, 'plan-2020-beslutad');
    // A visitor sees the decided plan.
    const visitor = await h.newPage();
    await visit(visitor, `/org/${ks}/plan/2020`);
    assert.match(await visitor.locator('main').innerText(), /Beslutad plan\./);
  }));
});
