// The economy and grants: a controller reads KS 2019 from seed 004 with every sum derived
// from the leaves (the investments 86,0 where the seed prints 42,1), the varav rows and
// explanations, carry-overs with the 28,7 vs 33,5 note and the equity rule; the grants
// from received to allocated with "andel bidragsfinansierad okänd"; every page at 390 px
// and without JavaScript; the public sees the decided year and no grants. axe-core on
// every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { join } from 'node:path';

import { SCREENSHOT_DIR, assertAxeClean, followLink, screenshot, signIn, startHarness, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

describe('uppsikt: ekonomi och bidrag', () => {
  let h;
  let page;
  let ksPath;
  let grantPath;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('KS 2019: summorna räknas fram ur raderna', step('KS 2019', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Ekonomi');
    assert.match(await page.locator('h1').innerText(), /Ekonomi/);
    await assertAxeClean(t, page, 'ekonomin');
    await followLink(page, 'Kommunstyrelsen 2019');
    ksPath = new URL(page.url()).pathname;
    const main = await page.locator('main').innerText();
    assert.match(main, /Driftredovisning per kostnadsslag/);
    assert.match(main, /varav Politisk verksamhet/);
    assert.match(main, /86,0/);
    assert.doesNotMatch(main, /42,1/);
    assert.match(main, /Nämnden begär att 28,7 mnkr överförs till 2020, men tabellen över saldoöverföringar summerar till 33,5 mnkr/);
    assert.match(main, /Utgående eget kapital\s*15,3 mnkr/);
    await assertAxeClean(t, page, 'KS 2019');
    await screenshot(page, 'economy-ks-2019');
  }));

  it('bidragen: mottaget, fördelat och andel bidragsfinansierad okänd', step('bidragen', async (t) => {
    await visit(page, '/grants');
    await assertAxeClean(t, page, 'bidragen');
    await screenshot(page, 'economy-grants');
    await followLink(page, /ansvar för brottsförebyggande arbete/);
    grantPath = new URL(page.url()).pathname;
    const main = await page.locator('main').innerText();
    assert.match(main, /andel bidragsfinansierad okänd/);
    assert.match(main, /hälften vore 1,2 mnkr/);
    await assertAxeClean(t, page, 'bidraget');
    await screenshot(page, 'economy-grant');
  }));

  it('sidorna läses i 390 px bredd', step('mobil', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, 'controller');
    for (const [path, label] of [['/economy', 'ekonomin'], [ksPath, 'KS 2019'], ['/grants', 'bidragen'], [grantPath, 'bidraget']]) {
      await visit(phone, path);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${label}: sidan är ${overflow} px bredare än skärmen`);
      await assertAxeClean(t, phone, `${label} 390 px`);
      await phone.screenshot({ path: join(SCREENSHOT_DIR, `economy-${label.replace(/ /g, '-')}-390-top.png`) });
    }
  }));

  it('utan JavaScript: allmänheten ser det beslutade året men inga bidrag', step('utan JavaScript', async () => {
    const context = await h.newContext({ javaScriptEnabled: false });
    const visitor = await context.newPage();
    await visit(visitor, ksPath);
    const main = await visitor.locator('main').innerText();
    assert.match(main, /86,0/);
    assert.doesNotMatch(main, /Bidrag som berör/);
    await visitor.goto(grantPath);
    assert.equal(new URL(visitor.url()).pathname, '/login', 'the grants are working material');
  }));
});
