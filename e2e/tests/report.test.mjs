// The annual report's journey (issue 17): a controller builds the board version of KS's
// 2019 report, reopens the decided period and locks it again after the board's decision;
// the reports page then lists the decided document with its SHA-256, and the downloaded
// PDF has exactly that hash. A rebuild is marked as a draft. axe-core on every page, and
// the reports page at 390 px.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { BOARD } from '../lib/journey.mjs';

/** Waits on the job page until the report is ready (the page reloads without scripts). */
async function waitForReport(page) {
  for (let i = 0; i < 120; i++) {
    if (await page.getByText('Rapporten är klar').count()) return;
    await page.waitForTimeout(500);
    await page.reload({ waitUntil: 'load' });
  }
  throw new Error(`rapporten blev inte klar (${page.url()})`);
}

describe('uppsikt: årsredovisningen från nämndversion till beslutat dokument', () => {
  let h;
  let page;
  let orgId;

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('controllern skapar nämndversionen av verksamhetsberättelsen', async (t) => {
    await visit(page, '/');
    await followLink(page, BOARD);
    orgId = idFromPath(page.url(), 'org');
    await followLink(page, 'Skapa rapport');
    assert.equal(await page.locator('#f-version').inputValue(), 'board', 'nämndversionen är förvald');
    assert.equal(await page.locator('#f-include-oversight').isChecked(), false, 'uppsikten tas med bara om man väljer det');
    await assertAxeClean(t, page, 'rapportformuläret');
    await page.locator('#f-format').selectOption('html');
    await submit(page, 'Skapa rapporten');
    await waitForReport(page);
    await assertAxeClean(t, page, 'rapportjobbet');
    const href = await page.locator('#report-download').getAttribute('href');
    const html = await (await page.request.get(href)).text();
    assert.match(html, /Kriterier för måluppfyllelse/);
    assert.doesNotMatch(html, /Systemets förslag/);
  });

  it('perioden öppnas och låses efter nämndens beslut; dokumentet sparas med kontrollsumma', async (t) => {
    // The demo holds KS's decision on 2019; a correction reopens it, a new decision locks it.
    await visit(page, `/org/${orgId}/reopen?period=2019`);
    await page.locator('#f-reason').fill('Rättelse av ett utfall före nytt beslut');
    await submit(page, 'Öppna perioden');
    await visit(page, `/org/${orgId}/lock`);
    await page.locator('#f-period').fill('2019');
    await page.locator('#f-decided_on').fill('2020-04-27');
    await page.locator('#f-paragraph').fill('§ 61');
    await page.locator('#f-diary_number').fill('KS-2020/123');
    await assertAxeClean(t, page, 'låsformuläret');
    const res = await submit(page, 'Lås perioden');
    assert.equal(res.status(), 200);

    await visit(page, `/org/${orgId}/reports`);
    const list = page.locator('#decided-h + ul');
    assert.match(await list.innerText(), /Verksamhetsberättelse 2019 – Kommunstyrelsen/);
    assert.match(await list.innerText(), /§ 61/);
    const hash = (await list.locator('code').first().innerText()).trim();
    assert.match(hash, /^[0-9a-f]{64}$/);
    const link = list.getByRole('link', { name: /Verksamhetsberättelse 2019/ }).first();
    const pdf = await page.request.get(await link.getAttribute('href'));
    assert.equal(pdf.status(), 200);
    const bytes = await pdf.body();
    assert.equal(bytes.subarray(0, 4).toString(), '%PDF');
    assert.equal(createHash('sha256').update(bytes).digest('hex'), hash, 'det nedladdade dokumentet har kontrollsumman');
    await assertAxeClean(t, page, 'rapportsidan med beslutade dokument');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `ingen vågrät rullning vid 390 px (${overflow} px)`);
    await assertAxeClean(t, page, 'rapportsidan vid 390 px');
    await screenshot(page, 'rapport-beslutade-dokument-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('en ny rapport för den beslutade perioden är ett märkt utkast', async () => {
    await visit(page, `/org/${orgId}/reports`);
    await page.locator('#f-format').selectOption('html');
    await submit(page, 'Skapa rapporten');
    await waitForReport(page);
    const href = await page.locator('#report-download').getAttribute('href');
    const html = await (await page.request.get(href)).text();
    assert.match(html, /Utkast – inte det beslutade dokumentet/);
    assert.match(html, /href="\/documents\/\d+"/);
  });
});
