// Audit recommendations: the register with every board's open recommendations, the 2024
// audit of seed 000 without a response, the civil-society chain of seed 003 (declined,
// "Avstår", issued again) on one page, KS's response (a decline without motivation
// refused with everything typed kept), the auditors' verdict, and the pages without
// JavaScript and at 390 px. axe-core on every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { join } from 'node:path';

import { SCREENSHOT_DIR, assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

describe('uppsikt: revisionens granskningar', () => {
  let h;
  let page;
  let auditId;
  let boardPath;
  let chainPath;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('registret visar granskningarna och varje nämnds öppna rekommendationer', step('registret', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Revision');
    assert.match(await page.locator('h1').innerText(), /Revisionens granskningar/);
    const main = await page.locator('main').innerText();
    assert.match(main, /Öppna rekommendationer per nämnd/);
    assert.match(main, /Revisionsplan 2024/);
    assert.match(main, /Revisionsplan 2019/);
    await assertAxeClean(t, page, 'registret');
    await screenshot(page, 'audits-register');
    const board = page.locator('table.oversight').getByRole('link', { name: 'Kommunstyrelsen', exact: true });
    boardPath = await board.getAttribute('href');
    const y2024 = page.getByRole('region', { name: 'Revisionsplan 2024' });
    await followLink(page, /./, y2024);
    auditId = idFromPath(page.url(), 'audits');
  }));

  it('granskningen 2024 saknar svar och visar fråga 5 utan motivering', step('granskningen', async (t) => {
    const main = await page.locator('main').innerText();
    assert.match(main, /Revisionsfrågor \(5\)/);
    assert.match(main, /Rekommendationer \(3\)/);
    assert.match(main, /Rapporten ger ingen motivering/);
    assert.match(main, /Inget beslutat svar från/);
    assert.match(main, /Obesvarad/);
    await assertAxeClean(t, page, 'granskningen');
    await screenshot(page, 'audits-audit');
  }));

  it('nämndens lista visar egen hantering bredvid revisorernas bedömning', step('nämnden', async (t) => {
    await visit(page, boardPath);
    const main = await page.locator('main').innerText();
    assert.match(main, /Öppna rekommendationer, äldst först/);
    assert.match(main, /Revisorernas bedömning/);
    assert.match(main, /år/);
    await assertAxeClean(t, page, 'nämndens rekommendationer');
    await screenshot(page, 'audits-board');
  }));

  it('den avböjda rekommendationen visar hela kedjan på en sida', step('kedjan', async (t) => {
    await visit(page, '/audits');
    await followLink(page, /civilsamhället/);
    const declined = page.locator('article', { hasText: 'Avstår' }).first();
    await followLink(page, /^Rekommendation /, declined);
    chainPath = new URL(page.url()).pathname;
    const chain = await page.getByRole('region', { name: 'Kedjan i tidsordning' }).innerText();
    assert.match(chain, /svarar: Avböjer/);
    assert.match(chain, /Revisorernas uppföljning: Avstår/);
    assert.ok(chain.indexOf('Avböjer') < chain.indexOf('Avstår'), 'in time order');
    assert.match(await page.locator('main').innerText(), /Återutfärdad som/);
    await assertAxeClean(t, page, 'kedjan');
    await screenshot(page, 'audits-chain');
  }));

  it('kommunstyrelsens svar: ett avböjande utan motivering nekas och det skrivna finns kvar', step('svaret', async (t) => {
    const editor = await h.newPage();
    await signIn(editor, 'redaktor-ks');
    await visit(editor, `/audits/${auditId}`);
    await followLink(editor, /^Registrera svar/);
    await assertAxeClean(t, editor, 'svar till revisionen');
    await editor.getByLabel('Nämnd/styrelse').check();
    await editor.getByLabel(/^Dokument/).fill('protokollsutdrag');
    await editor.getByLabel(/^Beslutsdatum/).fill('2025-02-20');
    await editor.getByLabel(/^Paragraf/).fill('§ 12');
    await editor.getByLabel(/^Rekommendation 1:/).selectOption('accepted');
    await editor.getByLabel(/^Planerade åtgärder och kommentar \(rekommendation 1\)/).fill('Återrapportering två gånger per år');
    await editor.getByLabel(/^Rekommendation 2:/).selectOption('declined');
    let res = await submit(editor, 'Spara svaret');
    assert.equal(res.status(), 422);
    assert.match(await editor.locator('main').innerText(), /En avböjd rekommendation kräver en motivering/);
    assert.equal(await editor.getByLabel(/^Planerade åtgärder och kommentar \(rekommendation 1\)/).inputValue(), 'Återrapportering två gånger per år', 'what was typed is kept');
    await assertAxeClean(t, editor, 'svar med fel');
    await editor.getByLabel(/^Motivering eller reservation \(rekommendation 2\)/).fill('Uppföljningen sker redan i delårsrapporten');
    res = await submit(editor, 'Spara svaret');
    assert.equal(res.status(), 200);
    const main = await editor.locator('main').innerText();
    assert.match(main, /Avböjer: Uppföljningen sker redan i delårsrapporten/);
    assert.match(main, /Besvarad utan åtgärd/);
    await followLink(editor, /^Avvikelse \d+/);
    assert.match(await editor.locator('main').innerText(), /§ 12/, 'the response is the deviation\'s decision');
  }));

  it('revisorerna registrerar sin uppföljning', step('uppföljningen', async (t) => {
    const auditor = await h.newPage();
    await signIn(auditor, 'revisor');
    await visit(auditor, `/audits/${auditId}`);
    const first = auditor.locator('article').filter({ hasText: 'Rekommendation 1' }).first();
    await followLink(auditor, /^Rekommendation 1$/, first);
    await followLink(auditor, 'Registrera revisorernas uppföljning');
    await assertAxeClean(t, auditor, 'revisorernas uppföljning');
    await auditor.getByLabel(/^Uppföljningsår/).fill('2026');
    await auditor.getByLabel('Avstår, med motivering').check();
    let res = await submit(auditor, 'Registrera bedömningen');
    assert.equal(res.status(), 422);
    assert.match(await auditor.locator('main').innerText(), /”Avstår” kräver en text/);
    await auditor.getByLabel('Delvis genomförd').check();
    await auditor.getByLabel(/^Revisorernas bedömning i ord/).fill('Återrapporteringen har börjat men är inte regelbunden');
    res = await submit(auditor, 'Registrera bedömningen');
    assert.equal(res.status(), 200);
    assert.match(await auditor.locator('main').innerText(), /Delvis genomförd/);
  }));

  it('sidorna läses i 390 px bredd', step('mobil', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, 'controller');
    for (const [path, label] of [['/audits', 'registret'], [`/audits/${auditId}`, 'granskningen'], [chainPath, 'kedjan'], [boardPath, 'nämnden']]) {
      await visit(phone, path);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${label}: sidan är ${overflow} px bredare än skärmen`);
      await assertAxeClean(t, phone, `${label} 390 px`);
      await phone.screenshot({ path: join(SCREENSHOT_DIR, `audits-${label}-390-top.png`) });
      await screenshot(phone, `audits-${label}-390`);
    }
  }));

  it('ett svar registreras utan JavaScript', step('utan JavaScript', async () => {
    const context = await h.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await signIn(plain, 'controller');
    const audit2023 = await (async () => {
      await visit(plain, '/audits');
      const region = plain.getByRole('region', { name: 'Revisionsplan 2023' });
      return region.getByRole('link').first().getAttribute('href');
    })();
    await visit(plain, audit2023);
    await followLink(plain, /^Registrera svar från Kommunstyrelsen/);
    await plain.getByLabel('Nämnd/styrelse').check();
    await plain.getByLabel(/^Dokument/).fill('protokollsutdrag');
    await plain.getByLabel(/^Beslutsdatum/).fill('2025-03-10');
    await plain.getByLabel(/^Rekommendation 1:/).selectOption('accepted_with_reservation');
    let res = await submit(plain, 'Spara svaret');
    assert.equal(res.status(), 422, 'a reservation needs its text');
    await plain.getByLabel(/^Motivering eller reservation \(rekommendation 1\)/).fill('Forumen ses över inom befintliga ramar');
    res = await submit(plain, 'Spara svaret');
    assert.equal(res.status(), 200);
    assert.match(await plain.locator('main').innerText(), /Instämmer med reservation: Forumen ses över inom befintliga ramar/);
  }));

  it('en redaktör för en annan nämnd får inte svara för kommunstyrelsen', step('behörighet', async () => {
    const other = await h.newPage();
    await signIn(other, 'redaktor-fsn');
    const ks = boardPath.split('/').pop();
    let res = await other.goto(`/org/${ks}/audits/${auditId}/response`);
    assert.equal(res.status(), 403);
    res = await other.goto('/audits/new');
    assert.equal(res.status(), 403, 'only the auditors register audits');
    const visitor = await h.newPage();
    await visitor.goto(`/audits/${auditId}`);
    assert.equal(new URL(visitor.url()).pathname, '/login', 'the public is sent to sign in');
  }));
});
