// Internal control: KS's oversight of every board's plan, KS's 2019 plan from seed 004 with
// its computed counts, recording a control occurrence with findings (which raises a
// deviation that needs a decision), a form refused with everything typed kept, and the
// pages without JavaScript and at 390 px. axe-core on every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { join } from 'node:path';

import { SCREENSHOT_DIR, assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

describe('uppsikt: intern kontroll', () => {
  let h;
  let page;
  let planId;
  let nextId;
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

  it('ett beslutat år kan inte ändras: överföringen till 2020 nekas med beslutet angivet', step('låst', async (t) => {
    const main2019 = await page.locator('main').innerText();
    assert.match(main2019, /Beslutat år/, 'KS 2019 is decided in the demo');
    assert.equal(await page.getByRole('link', { name: 'Ändra uppgifter om planen' }).count(), 0, 'no forms that would only be refused');
    await followLink(page, 'För över det som inte blev klart till 2020');
    await assertAxeClean(t, page, 'för över till nästa år');
    let res = await submit(page, 'För över');
    assert.equal(res.status(), 422, 'the confirmation must be ticked');
    assert.match(await page.locator('main').innerText(), /Kryssa i rutan/);
    await page.getByLabel('Jag har läst vad som händer').check();
    res = await submit(page, 'För över');
    assert.equal(res.status(), 422, 'KF decided 2023, which covers 2020 for the boards below it');
    assert.match(await page.locator('main').innerText(), /låst genom beslut/);
  }));

  it('en ny plan för 2025 med en månatlig kontroll', step('ny plan', async (t) => {
    await visit(page, '/internal-control?year=2025');
    await followLink(page, 'Skapa plan');
    await assertAxeClean(t, page, 'ny internkontrollplan');
    assert.equal(await page.getByLabel(/^År/).inputValue(), '2025');
    await page.getByLabel(/^Regelverk/).fill('HKF 9410');
    let res = await submit(page, 'Skapa planen');
    assert.equal(res.status(), 200);
    nextId = idFromPath(page.url(), 'internal-control');
    assert.match(await page.locator('h1').innerText(), /Internkontrollplan 2025/);
    await followLink(page, 'Ny kontroll eller avtalsuppföljning');
    await assertAxeClean(t, page, 'ny kontroll');
    await page.getByLabel(/^Beteckning/).fill('C01');
    await page.getByLabel(/^Kontroll/).fill('Leverantörsfakturor följer reglerna');
    await page.getByLabel(/^Antal planerade tillfällen/).fill('tolv');
    res = await submit(page, 'Spara kontrollen');
    assert.equal(res.status(), 422);
    assert.equal(await page.getByLabel(/^Kontroll/).inputValue(), 'Leverantörsfakturor följer reglerna', 'what was typed is kept');
    await page.getByLabel(/^Antal planerade tillfällen/).fill('12');
    await page.getByLabel(/^Planerade parametrar/).fill('> 50 000 kr');
    res = await submit(page, 'Spara kontrollen');
    assert.equal(res.status(), 200);
    assert.match(await page.locator('main').innerText(), /0 av 12 genomförda/);
  }));

  it('en riskmatris, en bedömd risk och riskkartan med sin tabell', step('riskkarta', async (t) => {
    await visit(page, '/risk-matrices');
    await assertAxeClean(t, page, 'riskmatriser');
    await page.getByLabel(/^Namn/).fill('4×4');
    await page.getByLabel(/^Sannolikhet/).fill('Osannolik\nMindre sannolik\nMöjlig\nSannolik');
    await page.getByLabel(/^Konsekvens/).fill('Försumbar\nLindrig\nKännbar\nAllvarlig');
    await submit(page, 'Spara en ny version');
    assert.match(await page.locator('main').innerText(), /4×4 version 1/);
    await visit(page, `/internal-control/${nextId}/matrix`);
    await page.getByLabel(/^Riskmatris/).selectOption({ label: '4×4, version 1 (4×4)' });
    await submit(page, 'Spara');
    await followLink(page, 'Ny risk');
    await page.getByLabel(/^Beteckning/).fill('RK01');
    await page.getByLabel(/^Risk(\s|$)/).fill('Risk för infoläckage via molntjänster');
    await page.getByLabel(/^Bruttorisk: sannolikhet/).selectOption('4');
    await page.getByLabel(/^Bruttorisk: konsekvens/).selectOption('3');
    await page.getByLabel(/^Nettorisk: sannolikhet/).selectOption('2');
    await page.getByLabel(/^Nettorisk: konsekvens/).selectOption('3');
    await page.getByLabel(/^Hantering/).selectOption('action');
    await assertAxeClean(t, page, 'ny risk med bedömning');
    const res = await submit(page, 'Spara risken');
    assert.equal(res.status(), 200);
    assert.equal(await page.locator('figure.chart svg').count(), 2, 'gross and net drawn');
    assert.match(await page.locator('main').innerText(), /Sannolik \(4\) × Kännbar \(3\)/);
    await assertAxeClean(t, page, 'plan med riskkarta');
    await screenshot(page, 'internal-control-risk-map');
  }));

  it('ett tillfälle med anmärkning kräver iakttagelser och blir en avvikelse', step('tillfälle', async (t) => {
    await visit(page, `/internal-control/${nextId}`);
    const href = await page.locator('table.ic-occurrences a[href*="/occurrences/"]').first().getAttribute('href');
    await visit(page, href);
    await assertAxeClean(t, page, 'registrera ett kontrolltillfälle');
    await page.getByLabel('Ja', { exact: true }).check();
    await page.getByLabel(/^Genomförd den/).fill('2025-01-31');
    await page.getByLabel(/^Parametrar som användes/).fill('> 45 000 kr');
    await page.getByLabel('Med anmärkning').check();
    await page.getByLabel(/^Iakttagelser/).fill('');
    let res = await submit(page, 'Spara tillfället');
    assert.equal(res.status(), 422);
    const form = await page.locator('main').innerText();
    assert.match(form, /Beskriv vad kontrollen fann/);
    assert.equal(await page.getByLabel(/^Parametrar som användes/).inputValue(), '> 45 000 kr', 'what was typed is kept');
    await assertAxeClean(t, page, 'kontrolltillfälle med fel');
    await page.getByLabel(/^Iakttagelser/).fill('Två fakturor saknade attest.');
    res = await submit(page, 'Spara tillfället');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/internal-control/${nextId}`);
    const after = await page.locator('main').innerText();
    assert.match(after, /Två fakturor saknade attest/);
    assert.match(after, /Avvikelse \d+/);
    await followLink(page, /^Avvikelse \d+$/);
    assert.match(await page.locator('main').innerText(), /Två fakturor saknade attest/);
  }));

  it('sidorna läses i 390 px bredd', step('mobil', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, 'controller');
    for (const [path, label] of [[`/internal-control/${planId}`, 'internkontrollplanen'], ['/internal-control?year=2019', 'översikten']]) {
      await visit(phone, path);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${label}: sidan är ${overflow} px bredare än skärmen`);
      await assertAxeClean(t, phone, `${label} 390 px`);
      await phone.screenshot({ path: join(SCREENSHOT_DIR, `internal-control-${label}-390-top.png`) });
      await screenshot(phone, `internal-control-${label}-390`);
    }
  }));

  it('ett tillfälle registreras utan JavaScript', step('utan JavaScript', async () => {
    const context = await h.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await signIn(plain, 'controller');
    await visit(plain, `/internal-control/${nextId}`);
    const href = await plain.locator('table.ic-occurrences a[href*="/occurrences/"]').nth(1).getAttribute('href');
    await visit(plain, href);
    await plain.getByLabel('Nej', { exact: true }).check();
    let res = await submit(plain, 'Spara tillfället');
    assert.equal(res.status(), 422, 'not performed needs its reason');
    assert.match(await plain.locator('main').innerText(), /Skriv varför kontrollen inte genomfördes/);
    await plain.getByLabel(/^Varför genomfördes den inte/).fill('Vakans under februari');
    res = await submit(plain, 'Spara tillfället');
    assert.equal(res.status(), 200);
    assert.match(await plain.locator('main').innerText(), /Ej genomförd: Vakans under februari/);
  }));

  it('en redaktör för en annan nämnd får inte ändra kommunstyrelsens plan', step('behörighet', async () => {
    const other = await h.newPage();
    await signIn(other, 'redaktor-fsn');
    const res = await other.goto(`/internal-control/${planId}/edit`);
    assert.equal(res.status(), 403);
    const visitor = await h.newPage();
    await visitor.goto(`/internal-control/${planId}`);
    assert.equal(new URL(visitor.url()).pathname, '/login', 'the public is sent to sign in, not shown the working plan');
  }));
});
