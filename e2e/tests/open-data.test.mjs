// Öppna data as a visitor reaches it: the footer's link from the start page, the page about
// the datasets on a desktop and on a phone (axe-core clean, nothing wider than the screen),
// and its links answering with the files (CSV with BOM for Excel, JSON) through the browser.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, screenshot, startHarness, visit } from '../lib/harness.mjs';

async function assertFits(page, label) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${label}: sidan är ${scrollWidth} px bred i ett ${innerWidth} px fönster`);
}

for (const [name, viewport] of [['dator', { width: 1280, height: 900 }], ['mobil', { width: 390, height: 844 }]]) {
  describe(`öppna data (${name})`, () => {
    let h;
    let page;

    before(async () => {
      h = await startHarness();
      page = await h.newPage({ viewport });
    });
    after(async () => {
      await h?.close();
    });

    it('sidfoten leder till sidan om öppna data, som går att läsa', async (t) => {
      await visit(page, '/');
      await followLink(page, 'Öppna data och öppet API', page.locator('footer'));
      assert.equal(await page.locator('h1').innerText(), 'Öppna data');
      const main = await page.locator('main').innerText();
      assert.match(main, /CC0 1\.0/);
      assert.match(main, /decimalkomma/);
      assert.match(main, /Huddinge kommun/);
      await screenshot(page, `open-data-${name}`);
      await assertAxeClean(t, page, 'öppna data');
      await assertFits(page, 'öppna data');
    });

    it('länkarna ger filerna', async () => {
      const href = await page.getByRole('link', { name: 'Utfall: CSV för Excel (semikolon, decimalkomma)' }).getAttribute('href');
      const csv = await page.request.get(href);
      assert.equal(csv.status(), 200);
      const bytes = await csv.body();
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 med BOM');
      assert.match(bytes.toString('utf8'), /;Kommunstyrelsen;/);
      const json = await page.request.get(await page.getByRole('link', { name: 'Utfall: JSON' }).getAttribute('href'));
      assert.equal(json.status(), 200);
      assert.ok((await json.json()).rows.length > 0);
    });
  });
}
