// Personal API tokens in the browser: the account page linked from the name in the header,
// the token page, a form with errors that keeps what was typed, a token shown once; axe
// clean and no wider than the screen at 390 px and on a desktop.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, screenshot, startHarness, signIn, submit, visit } from '../lib/harness.mjs';

describe('API-nycklar', () => {
  let h;
  let page;

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => {
    await h?.close();
  });

  it('namnet i sidhuvudet leder till Mitt konto och API-nycklar', async (t) => {
    await visit(page, '/');
    await page.locator('header form.user a[href="/konto"]').click();
    assert.equal(new URL(page.url()).pathname, '/konto');
    await assertAxeClean(t, page, '/konto');
    await page.getByRole('link', { name: 'Hantera API-nycklar' }).click();
    assert.equal(new URL(page.url()).pathname, '/konto/api-nycklar');
    await assertAxeClean(t, page, '/konto/api-nycklar');
  });

  it('ett fel visas med det som skrevs kvar', async (t) => {
    await page.getByLabel(/^Namn/).fill('');
    await page.locator('#f-expires').fill('2020-01-01');
    const res = await submit(page, 'Skapa nyckel');
    assert.equal(res.status(), 422);
    assert.match(await page.getByRole('alert').innerText(), /Nyckeln skapades inte/);
    assert.equal(await page.locator('#f-expires').inputValue(), '2020-01-01');
    await assertAxeClean(t, page, 'formulär med fel');
  });

  it('en ny nyckel visas en gång, och sidan ryms på 390 px', async (t) => {
    await visit(page, '/konto/api-nycklar');
    await page.getByLabel(/^Namn/).fill('Power BI, ekonomi');
    await page.getByLabel('Läsa och importera utfall').check();
    const res = await submit(page, 'Skapa nyckel');
    assert.equal(res.status(), 200);
    const secret = await page.locator('#secret').inputValue();
    assert.match(secret, /^upk_[A-Za-z0-9_-]{43}$/);
    await assertAxeClean(t, page, 'ny nyckel');
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `sidan är ${wide} px bred vid ${width} px`);
      await assertAxeClean(t, page, `ny nyckel vid ${width} px`);
      await screenshot(page, `api-tokens-${width}`);
    }
    await visit(page, '/konto/api-nycklar');
    assert.equal(await page.locator('#secret').count(), 0, 'nyckeln visas inte igen');
    assert.ok(!(await page.content()).includes(secret));
  });
});
