// Finding and doing in the browser, as KS's controller: search from the header in Swedish
// word forms ("trygghet" finds "Trygg utomhus"), Att göra from the menu, following one of
// its links to enter a missing outcome, and the indicator's history reading that change in
// words ("Utfall … – → 58 (± 3)") with the person's name and the form as its source.
// Every page passes axe; at 390 px the header with the search box still fits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { BOARD, steps } from '../lib/journey.mjs';

/** Fails if the page scrolls sideways. */
async function assertNoSideways(page, label) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${label}: sidan är ${scrollWidth} px bred i ett ${innerWidth} px fönster`);
}

describe('hitta och göra: sök, Att göra och historik', () => {
  let h;
  let page;
  let indicatorId;
  let period;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => {
    await h?.close();
  });

  it('sökrutan i sidhuvudet hittar "Trygg utomhus" på "trygghet"', step('sök', async (t) => {
    await visit(page, '/');
    const box = page.locator('header').getByRole('searchbox', { name: 'Sök' });
    await box.fill('trygghet');
    await submit(page, 'Sök');
    assert.equal(new URL(page.url()).pathname, '/sok');
    const main = page.locator('main');
    assert.ok(await main.getByRole('link', { name: /^Trygg utomhus/ }).count() >= 1, 'Trygg utomhus hittas');
    assert.match(await main.getByRole('heading', { level: 2, name: /^Mått \(\d+\)$/ }).innerText(), /Mått/);
    const crumbs = page.getByRole('navigation', { name: 'Brödsmulor' });
    assert.equal(await crumbs.locator('[aria-current="page"]').innerText(), 'Sök');
    await assertAxeClean(t, page, 'Sök');
    await screenshot(page, 'find-search');
  }));

  it('Att göra i menyn → Kommunstyrelsen → en länk till ett utfall som saknas', step('att göra', async (t) => {
    await followLink(page, 'Att göra', page.getByRole('navigation', { name: 'Huvudmeny' }));
    await followLink(page, BOARD, page.locator('main'));
    assert.match(new URL(page.url()).pathname, /^\/org\/\d+\/att-gora$/);
    const h1 = await page.locator('h1').innerText();
    assert.match(h1, /^Att göra/);
    period = h1.match(/(\d{4})\s*$/)[1];
    const heading = await page.getByRole('heading', { name: /^Utfall saknas \(\d+\)$/ }).innerText();
    const missing = Number(heading.match(/\((\d+)\)/)[1]);
    assert.ok(missing > 0, `KS har mått utan utfall för ${period}`);
    await assertAxeClean(t, page, 'Att göra');
    await screenshot(page, 'find-todo');
    const first = page.locator('section[aria-labelledby="utfall"] li a').first();
    const target = await followLink(page, await first.innerText(), page.locator('section[aria-labelledby="utfall"]'));
    const m = target.pathname.match(/^\/indicators\/(\d+)\/outcomes$/);
    assert.ok(m, `länken leder till utfallsformuläret (${target.pathname})`);
    indicatorId = Number(m[1]);
  }));

  it('ett utfall sparat i formuläret syns i historiken som text', step('historik', async (t) => {
    // Att göra's period may already be decided (KS 2019 in the demo); the entry goes into
    // an open year, where the demo has no total either.
    await page.getByLabel('Totalt 2025, värde').fill('58');
    await page.getByLabel('Totalt 2025, felmarginal').fill('3');
    const res = await submit(page, 'Spara');
    assert.equal(res.status(), 200);
    await visit(page, `/history/indicators/${indicatorId}`);
    const table = await page.getByRole('table').innerText();
    assert.match(table, /Utfall 2025 Totalt: – → 58 \(± 3\)/);
    assert.match(table, /Karin Controller/, 'personens namn, inte användarnamnet');
    assert.match(table, /formulär/, 'källan');
    assert.doesNotMatch(table, /\{"|"breakdown"/, 'ingen JSON');
    const crumbs = page.getByRole('navigation', { name: 'Brödsmulor' });
    assert.equal(await crumbs.locator('[aria-current="page"]').innerText(), 'Historik');
    assert.match(await crumbs.innerText(), /Kommunstyrelsen/);
    await assertAxeClean(t, page, 'Historik');
    await screenshot(page, 'find-history');
  }));

  it('sidhuvudet med sökrutan ryms i 390 px', step('390', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, 'controller');
    for (const [path, label] of [['/', 'start'], ['/sok?q=trygghet', 'sök'], [`/history/indicators/${indicatorId}`, 'historik']]) {
      await visit(phone, path);
      await assertNoSideways(phone, label);
      const box = await phone.locator('header form.site-search').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${label}: sökrutan ryms (${JSON.stringify(box)})`);
      await assertAxeClean(t, phone, `${label} 390 px`);
      await screenshot(phone, `find-390-${label}`);
    }
  }));
});
