// The public site as a visitor who is not signed in sees it: the decisions the demo records
// (KS's annual report 2019, KF's 2023 report) and nothing else, reached by links, on a
// desktop and on a phone, with axe-core finding nothing and no page wider than the screen.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, assertFits, followLink, screenshot, startHarness, visit } from '../lib/harness.mjs';
import { BOARD, GOAL, INDICATOR, steps } from '../lib/journey.mjs';

for (const [name, viewport] of [['dator', { width: 1280, height: 900 }], ['mobil', { width: 390, height: 844 }]]) {
  describe(`allmänheten (${name})`, () => {
    let h;
    let page;
    const step = steps();

    before(async () => {
      h = await startHarness();
      page = await h.newPage({ viewport });
    });
    after(async () => {
      await h?.close();
    });

    const check = async (t, label) => {
      await screenshot(page, `public-${name}-${label.replaceAll(' ', '-')}`);
      await assertAxeClean(t, page, label);
      await assertFits(page, label);
    };

    it('startsidan erbjuder inget som kräver inloggning', step('start', async (t) => {
      await visit(page, '/');
      const nav = await page.getByRole('navigation', { name: 'Huvudmeny' }).innerText();
      for (const hidden of ['Uppsikt', 'Data in', 'API']) {
        assert.doesNotMatch(nav, new RegExp(hidden), `menyn erbjuder ${hidden}`);
      }
      assert.ok(await page.getByRole('link', { name: 'Logga in' }).count() > 0);
      // The start page made for residents: what KF promised, how it went, the boards.
      assert.match(await page.locator('h1').innerText(), /^Vad .* lovade och hur det gick$/);
      const main = await page.locator('main').innerText();
      assert.match(main, /Det här lovade kommunen/);
      assert.match(main, /Bra att leva och bo/);
      assert.match(main, /Huddinge är trivsamt och tryggt för alla invånare/);
      assert.doesNotMatch(main, /Utbildning med hög kvalitet/, 'inget beslutat under det målet');
      assert.match(main, /Kommunstyrelsen bedömde \d+ mål för 2019/);
      const tally = page.getByRole('table', { name: /Beslutade bedömningar av målen, Kommunstyrelsen 2019/ });
      assert.match(await tally.innerText(), /Godtagbar/);
      for (const name of ['Sök bland mål och indikatorer', 'Öppna data: ladda ner siffrorna']) {
        assert.equal(await page.getByRole('link', { name }).count(), 1, name);
      }
      assert.equal(await page.locator('footer').getByRole('link', { name: 'Tillgänglighetsredogörelse' }).count(), 1);
      await check(t, 'start');
    }));

    it('ett KF-mål visar nämndernas mål och indikatorer', step('KF-mål', async (t) => {
      await followLink(page, 'Bra att leva och bo', page.locator('main'));
      const serving = page.getByRole('region', { name: 'Nämndernas mål och indikatorer' });
      assert.match(await serving.innerText(), /Ökat bostadsbyggande \(KS\)/);
      assert.match(await serving.innerText(), /Godtagbar \(2019\)/);
      await check(t, 'KF-mål');
      await visit(page, '/');
    }));

    it('KS sida visar det beslutade 2019 utan förslag', step('nämnd', async (t) => {
      await followLink(page, BOARD);
      const main = await page.locator('main').innerText();
      assert.match(await page.locator('h1').innerText(), /2019/);
      assert.match(main, /Beslutad period/);
      assert.match(main, /saknas i underlaget/, 'det som underlaget inte anger sägs saknas');
      assert.doesNotMatch(main, /Systemets förslag|Föreslagen/);
      await check(t, 'nämnd');
    }));

    it('målet och måttet visar beslutade utfall, med tabell till diagrammet', step('mål', async (t) => {
      await followLink(page, GOAL, page.locator('main'));
      assert.equal((await page.locator('h1').innerText()).trim(), GOAL);
      await check(t, 'mål');
      await followLink(page, INDICATOR, page.locator('main'));
      assert.equal((await page.locator('h1').innerText()).trim(), INDICATOR);
      assert.equal(await page.getByRole('link', { name: 'Historik' }).count(), 0);
      const table = page.getByRole('region', { name: 'Utfall per period' });
      assert.match(await table.innerText(), /2019/);
      await check(t, 'mått');
    }));

    it('tillgänglighetsredogörelsen nås från sidfoten', step('tillgänglighet', async (t) => {
      await followLink(page, 'Tillgänglighetsredogörelse', page.locator('footer'));
      assert.equal((await page.locator('h1').innerText()).trim(), 'Tillgänglighetsredogörelse');
      assert.match(await page.locator('main').innerText(), /Tillsyn/);
      await check(t, 'tillgänglighet');
    }));

    it('en period utan beslut förklaras', step('obeslutad', async () => {
      const res = await page.goto(`${new URL(page.url()).origin}/org/1?period=2030`);
      assert.equal(res.status(), 404);
      assert.match(await page.locator('main').innerText(), /inget beslut/);
    }));
  });
}
