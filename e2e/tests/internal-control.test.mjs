// Internal control: KS's oversight of every board's plan, KS's 2019 plan from seed 004 with
// its computed counts, recording a control occurrence with findings (which raises a
// deviation that needs a decision), a form refused with everything typed kept, and the
// pages without JavaScript and at 390 px. axe-core on every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

describe('uppsikt: intern kontroll', () => {
  let h;
  let page;
  let planId;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('översikten visar varje nämnd och leder till kommunstyrelsens plan', step('översikten', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Intern kontroll');
    assert.match(await page.locator('h1').innerText(), /Intern kontroll 2019/);
    const table = await page.locator('table.oversight').innerText();
    assert.match(table, /Kommunstyrelsen/);
    assert.match(table, /Beslut saknas/, 'the 2019 plan has no adoption decision in the seeds');
    await assertAxeClean(t, page, 'översikten intern kontroll');
    await screenshot(page, 'internal-control-overview');
    await followLink(page, 'Kommunstyrelsen', page.locator('table.oversight'));
    planId = idFromPath(page.url(), 'internal-control');
  }));

  it('planen visar räkningarna ur data och det som inte får gå obemärkt förbi', step('planen', async (t) => {
    const main = await page.locator('main').innerText();
    assert.match(main, /Internkontrollplan 2019/);
    assert.match(main, /Beslut om planen saknas/);
    assert.match(main, /10 av 18/, 'ten of eighteen risk actions done');
    assert.match(main, /12 av 16/, 'twelve of sixteen controls Klart');
    assert.match(main, /3 av 12 genomförda/, 'C03 ran in the first quarter only');
    assert.match(main, /49 000/, 'C05 was run with another threshold than planned');
    assert.match(main, /dokumenterad 2012 eller tidigare/);
    assert.match(main, /Blockerad:/);
    await assertAxeClean(t, page, 'internkontrollplanen');
    await screenshot(page, 'internal-control-plan');
  }));

  it('ett tillfälle med anmärkning kräver iakttagelser och blir en avvikelse', step('tillfälle', async (t) => {
    await visit(page, `/internal-control/${planId}`);
    // The first "Registrera" link of a control still planned or missed.
    const link = page.locator('table.ic-occurrences a[href*="/occurrences/"]').first();
    const href = await link.getAttribute('href');
    await visit(page, href);
    await assertAxeClean(t, page, 'registrera ett kontrolltillfälle');
    await page.getByLabel('Ja', { exact: true }).check();
    await page.getByLabel(/^Genomförd den/).fill('2019-05-31');
    await page.getByLabel(/^Parametrar som användes/).fill('> 45 000 kr');
    await page.getByLabel('Med anmärkning').check();
    let res = await submit(page, 'Spara tillfället');
    assert.equal(res.status(), 422);
    const form = await page.locator('main').innerText();
    assert.match(form, /Beskriv vad kontrollen fann/);
    assert.equal(await page.getByLabel(/^Parametrar som användes/).inputValue(), '> 45 000 kr', 'what was typed is kept');
    await assertAxeClean(t, page, 'kontrolltillfälle med fel');
    await page.getByLabel(/^Iakttagelser/).fill('Två fakturor saknade attest.');
    res = await submit(page, 'Spara tillfället');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/internal-control/${planId}`);
    const after = await page.locator('main').innerText();
    assert.match(after, /Två fakturor saknade attest/);
    assert.match(after, /Avvikelse \d+/);
  }));

  it('sidorna fungerar utan JavaScript och i 390 px bredd', step('mobil', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    await signIn(phone, 'controller');
    await visit(phone, `/internal-control/${planId}`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `sidan är ${overflow} px bredare än skärmen`);
    await assertAxeClean(t, phone, 'internkontrollplanen 390 px');
    await screenshot(phone, 'internal-control-plan-390');
    await visit(phone, '/internal-control?year=2019');
    await assertAxeClean(t, phone, 'översikten 390 px');
    await screenshot(phone, 'internal-control-overview-390');
  }));

  it('en redaktör för en annan nämnd får inte ändra kommunstyrelsens plan', step('behörighet', async () => {
    const other = await h.newPage();
    await signIn(other, 'redaktor-fsn');
    const res = await other.goto(`/internal-control/${planId}/edit`);
    assert.equal(res.status(), 403);
    const visitor = await h.newPage();
    const anon = await visitor.goto(`/internal-control/${planId}`);
    assert.notEqual(anon.status(), 200, 'the public does not see the working plan');
  }));
});
