// Areas and the crime-prevention register: the comparison with Vårby worst on 8 of 10,
// Vårby's page, the law's compliance page ("2 av 4", the åtgärdsplan overdue), the 2023
// overall lägesbild that never reached KS, the forum registry's flags; a controller
// records the lägesbild's presentation to KS (a personal identity number in the summary
// refused with everything typed kept); the auditors assess a duty; every page at 390 px
// and without JavaScript; the public sees the area page without working material.
// axe-core on every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { join } from 'node:path';

import { SCREENSHOT_DIR, assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

describe('uppsikt: områden och brottsförebyggande arbete', () => {
  let h;
  let page;
  let areaPath;
  let statutePath;
  let reportPath;
  let forumPath;
  let obligationPath;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('jämförelsen visar Vårby sämst på 8 av 10 mått', step('områdena', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Områden');
    assert.match(await page.locator('h1').innerText(), /Områden/);
    const main = await page.locator('main').innerText();
    assert.match(main, /Vårby: sämst på 8 av 10/);
    assert.match(main, /Utsatt område \(2024\)/);
    await assertAxeClean(t, page, 'områdena');
    await screenshot(page, 'areas-list');
    await followLink(page, 'Vårby', page.getByRole('region', { name: 'Områden i bokstavsordning' }));
    areaPath = new URL(page.url()).pathname;
  }));

  it('Vårbys sida visar mått, lägesbild och arbetet i området', step('Vårby', async (t) => {
    const main = await page.locator('main').innerText();
    assert.match(main, /Sämst av/);
    assert.match(main, /Övergripande lägesbild/);
    assert.match(main, /Kommunen har inte angett vad nivåerna betyder/);
    assert.match(main, /Forum och överenskommelser i området/);
    await assertAxeClean(t, page, 'Vårby');
    await screenshot(page, 'areas-area');
  }));

  it('lagen som checklista: 2 av 4 krav uppfyllda och åtgärdsplanen försenad', step('lagkraven', async (t) => {
    await followLink(page, 'Trygghet');
    assert.match(await page.locator('main').innerText(), /2 av 4 krav uppfyllda/);
    await assertAxeClean(t, page, 'brottsförebyggande arbete');
    await screenshot(page, 'safety-hub');
    forumPath = await page.getByRole('link', { name: /Samordnarforum/ }).first().getAttribute('href');
    await followLink(page, /2023:196/);
    statutePath = new URL(page.url()).pathname;
    const main = await page.locator('main').innerText();
    assert.match(main, /2 av 4 krav uppfyllda/);
    assert.match(main, /Försenad sedan 2024-07-01/);
    await assertAxeClean(t, page, 'lagkraven');
    await screenshot(page, 'safety-statute');
    await followLink(page, 'L2');
    obligationPath = new URL(page.url()).pathname;
    assert.match(await page.locator('main').innerText(), /Ej uppfylld/);
    await assertAxeClean(t, page, 'skyldigheten L2');
  }));

  it('den övergripande lägesbilden 2023 nådde aldrig kommunstyrelsen', step('lägesbilden', async (t) => {
    await visit(page, '/situation-reports?year=2023');
    await assertAxeClean(t, page, 'lägesbilder 2023');
    await followLink(page, /Övergripande lägesbild/, page.getByRole('region', { name: /Lägesbilder/ }));
    reportPath = new URL(page.url()).pathname;
    const main = await page.locator('main').innerText();
    assert.match(main, /Nej, skulle ha redovisats senast/);
    assert.match(main, /Område utan namn i källan/);
    assert.match(main, /kan inte räknas som lagens lägesbild/);
    await assertAxeClean(t, page, 'lägesbilden 2023');
    await screenshot(page, 'safety-report');
  }));

  it('forumregistret visar Samordnarforumets brister', step('forumet', async (t) => {
    await visit(page, forumPath);
    const main = await page.locator('main').innerText();
    assert.match(main, /Syfte saknas/);
    assert.match(main, /Aldrig utvärderat/);
    await assertAxeClean(t, page, 'forumet');
    await screenshot(page, 'safety-forum');
  }));

  it('en ny tertiallägesbild: ett personnummer nekas och det skrivna finns kvar; redovisningen för KS registreras', step('ny lägesbild', async (t) => {
    await visit(page, '/situation-reports');
    await followLink(page, 'Ny lägesbild');
    await assertAxeClean(t, page, 'ny lägesbild');
    await page.getByLabel('Tertiallägesbild').check();
    await page.getByLabel(/^Rubrik/).fill('Tertial 1 2025');
    await page.getByLabel(/^Periodens början/).fill('2025-01-01');
    await page.getByLabel(/^Periodens slut/).fill('2025-04-30');
    await page.getByLabel(/^Framtagen av/).fill('OSG');
    await page.getByLabel('Klar', { exact: true }).check();
    await page.getByLabel(/^Läge i Vårby/).fill('4');
    await page.getByLabel(/^Kartläggning av brottsligheten/).check();
    await page.getByLabel(/^Sammanfattning/).fill('Oro kring centrum. Anmälan gällde 121212-1212.');
    await page.getByRole('group', { name: /allmänheten/ }).getByLabel('Nej').check();
    await page.getByRole('group', { name: /Genererade data/ }).getByLabel('Nej').check();
    let res = await submit(page, 'Lägg till lägesbilden');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('main').innerText(), /personnummer/);
    assert.equal(await page.getByLabel(/^Läge i Vårby/).inputValue(), '4', 'what was typed is kept');
    assert.match(await page.getByLabel(/^Sammanfattning/).inputValue(), /Oro kring centrum/);
    await assertAxeClean(t, page, 'lägesbild med fel');
    await page.getByLabel(/^Sammanfattning/).fill('Oro kring centrum kvällstid; fler anmälda skadegörelser än tertialet innan.');
    res = await submit(page, 'Lägg till lägesbilden');
    assert.equal(res.status(), 200);
    let main = await page.locator('main').innerText();
    assert.match(main, /Tertial 1 2025/);
    assert.match(main, /kan inte räknas som lagens lägesbild/);
    await followLink(page, 'Registrera redovisning');
    await assertAxeClean(t, page, 'redovisning');
    await page.getByLabel(/^Nämnd/).selectOption({ label: 'Kommunstyrelsen' });
    await page.getByLabel(/^Datum/).fill('2025-05-20');
    await page.getByLabel(/^Paragraf eller protokoll/).fill('§ 7');
    res = await submit(page, 'Lägg till redovisningen');
    assert.equal(res.status(), 200);
    main = await page.locator('main').innerText();
    assert.match(main, /Kommunstyrelsen, 2025-05-20, § 7/);
  }));

  it('revisorerna bedömer åtgärdsplanen; uppfylld utan underlag nekas', step('bedömning', async (t) => {
    const auditor = await h.newPage();
    await signIn(auditor, 'revisor');
    await visit(auditor, obligationPath);
    await followLink(auditor, 'Bedöm kravet');
    await assertAxeClean(t, auditor, 'bedöm kravet');
    await auditor.getByLabel('Uppfylld', { exact: true }).check();
    await auditor.getByLabel(/^Datum för bedömningen/).fill('2025-10-01');
    await auditor.getByLabel(/^Motivering/).fill('Ingen åtgärdsplan är beslutad.');
    let res = await submit(auditor, 'Spara bedömningen');
    assert.equal(res.status(), 422);
    assert.match(await auditor.locator('main').innerText(), /kan inte bedömas som uppfyllt/);
    assert.equal(await auditor.getByLabel(/^Motivering/).inputValue(), 'Ingen åtgärdsplan är beslutad.');
    await auditor.getByLabel('Ej uppfylld', { exact: true }).check();
    res = await submit(auditor, 'Spara bedömningen');
    assert.equal(res.status(), 200);
    const main = await auditor.locator('main').innerText();
    assert.match(main, /2025-10-01/);
    assert.match(main, /Ingen åtgärdsplan är beslutad/);
  }));

  it('sidorna läses i 390 px bredd', step('mobil', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, 'controller');
    for (const [path, label] of [['/areas', 'områdena'], [areaPath, 'området'], ['/crime-prevention', 'översikten'], [statutePath, 'lagkraven'], [reportPath, 'lägesbilden'], [forumPath, 'forumet'], [obligationPath, 'skyldigheten']]) {
      await visit(phone, path);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${label}: sidan är ${overflow} px bredare än skärmen`);
      await assertAxeClean(t, phone, `${label} 390 px`);
      await phone.screenshot({ path: join(SCREENSHOT_DIR, `areas-${label}-390-top.png`) });
    }
  }));

  it('sidorna fungerar utan JavaScript och allmänheten ser bara områdets beslutade uppgifter', step('utan JavaScript', async () => {
    const context = await h.newContext({ javaScriptEnabled: false });
    const visitor = await context.newPage();
    await visit(visitor, areaPath);
    const main = await visitor.locator('main').innerText();
    assert.match(main, /Vårby/);
    assert.doesNotMatch(main, /Avvikelser i området/);
    assert.doesNotMatch(main, /Forum och överenskommelser i området/);
    const res = await visitor.goto(statutePath);
    assert.equal(new URL(visitor.url()).pathname, '/login', `the register is working material (${res.status()})`);
    const plain = await context.newPage();
    await signIn(plain, 'lasare');
    await visit(plain, statutePath);
    assert.match(await plain.locator('main').innerText(), /2 av 4 krav uppfyllda/);
    assert.doesNotMatch(await plain.locator('main').innerText(), /Bedöm kravet/);
  }));
});
