// Entering outcomes like a spreadsheet: one indicator's total, women and men for one year in
// one submit (2024: the full demo's decisions cover KS up to 2023; the figures the issue asks for are logged: submits and page loads), a paste
// from Excel spread over the grid (in the browser, and on the server with "Läs in"), the
// grid at 390 px, and assessing the goal beside its basis.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { BOARD, GOAL, steps } from '../lib/journey.mjs';

const EVENING = 'Andel vuxna som upplever sitt bostadsområde som tryggt kvällstid';

describe('inmatning som i ett kalkylark', () => {
  let h;
  let page;
  let gridUrl;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'redaktor-ks');
  });
  after(async () => {
    await h?.close();
  });

  it('totalt, kvinnor och män för 2024 med ett enda Spara', step('rutnät', async (t) => {
    let loads = 0;
    let submits = 0;
    page.on('load', () => { loads += 1; });
    await visit(page, '/');
    await followLink(page, BOARD);
    await followLink(page, GOAL, page.locator('main'));
    await followLink(page, EVENING, page.locator('main'));
    await followLink(page, 'Fyll i utfall');
    gridUrl = page.url();
    assert.match(new URL(gridUrl).pathname, /^\/indicators\/\d+\/outcomes$/);
    await page.getByLabel('Totalt 2024, värde').fill('58 %');
    await page.getByLabel('Totalt 2024, felmarginal').fill('±3');
    await page.getByLabel('Kvinnor 2024, värde').fill('60');
    await page.getByLabel('Män 2024, värde').fill('56,5');
    submits += 1;
    const res = await submit(page, 'Spara');
    assert.equal(res.status(), 200);
    assert.equal(page.url(), gridUrl, 'tillbaka i rutnätet');
    assert.equal((await page.getByRole('status').innerText()).trim(), 'Sparat: 3 utfall.');
    assert.equal(await page.getByLabel('Kvinnor 2024, värde').inputValue(), '60');
    assert.equal(await page.getByLabel('Totalt 2024, felmarginal').inputValue(), '3');
    // The acceptance figure: one submit for one year's total, women and men.
    console.log(`submits=${submits} page_loads=${loads}`);
    t.diagnostic(`submits=${submits} page_loads=${loads}`);
    assert.equal(submits, 1);
    await assertAxeClean(t, page, 'rutnätet efter sparandet');
    await screenshot(page, 'entry-grid');
  }));

  it('piltangenter och Enter flyttar mellan rutorna', step('tangenter', async () => {
    await page.getByLabel('Totalt 2024, värde').focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.id), await page.getByLabel('Totalt 2025, värde').getAttribute('id'));
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), await page.getByLabel('Totalt 2026, värde').getAttribute('id'));
  }));

  it('klistrar in rader från Excel i en ruta och de fördelas över rutnätet', step('klistra', async () => {
    const tsv = '71\t62\t81\r\n59 ± 2\t61\t57\r\n';
    await page.getByLabel('Totalt 2025, värde').focus();
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.setData('text/plain', text);
      document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, tsv);
    assert.equal(await page.getByLabel('Kvinnor 2025, värde').inputValue(), '62');
    assert.equal(await page.getByLabel('Män 2025, värde').inputValue(), '81');
    assert.equal(await page.getByLabel('Totalt 2026, värde').inputValue(), '59');
    assert.equal(await page.getByLabel('Totalt 2026, felmarginal').inputValue(), '2');
    // Without JavaScript's help: the same rows through "Läs in" (not saved).
    await visit(page, new URL(gridUrl).pathname);
    await page.getByLabel('Klistra in från Excel').fill('Period\tTotalt\tKvinnor\tMän\n2026\t60\t63\t58\n');
    const res = await submit(page, 'Läs in');
    assert.equal(res.status(), 200);
    assert.equal(await page.getByLabel('Kvinnor 2026, värde').inputValue(), '63');
    assert.equal(await page.getByRole('status').count(), 0, 'inläst, inte sparat');
  }));

  it('rutnätet rullar i sin egen ruta vid 390 px', step('390', async (t) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await visit(page, new URL(gridUrl).pathname);
    const sizes = await page.evaluate(() => {
      const wrap = document.querySelector('.grid-wrap');
      return { page: document.documentElement.scrollWidth, wrap: wrap.scrollWidth, shown: wrap.clientWidth };
    });
    assert.ok(sizes.page <= 390, `sidan är inte bredare än skärmen: ${sizes.page}`);
    assert.ok(sizes.wrap > sizes.shown, 'det breda rutnätet rullar i sin ruta');
    await assertAxeClean(t, page, 'rutnätet vid 390 px');
    await screenshot(page, 'entry-grid-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  }));

  it('bedömer målet med underlaget bredvid och utan förvald nivå', step('bedöm', async (t) => {
    await visit(page, '/');
    await followLink(page, BOARD);
    await followLink(page, GOAL, page.locator('main'));
    // The full demo's decisions cover KS up to 2023: the open year 2024.
    await visit(page, `${new URL(page.url()).pathname}?period=2024`);
    await followLink(page, 'Bedöm måluppfyllelse');
    assert.equal(await page.locator('input[type=radio]:checked').count(), 0, 'ingen nivå förvald');
    assert.equal(await page.getByLabel(/^Bedömd av/).inputValue(), 'Åsa Öberg (redaktör KS)');
    assert.ok(await page.getByRole('heading', { name: /^Underlag/ }).isVisible());
    await assertAxeClean(t, page, 'bedömningsformuläret');
    let res = await submit(page, 'Spara bedömningen');
    assert.equal(res.status(), 422, 'utan nivå sparas inget');
    await page.getByRole('radio', { name: 'God', exact: true }).check();
    res = await submit(page, 'Spara bedömningen');
    assert.equal(res.status(), 200);
    assert.match(await page.getByRole('status').innerText(), /^Sparat/);
    await screenshot(page, 'entry-assessed');
  }));
});
