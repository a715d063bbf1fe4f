// An invalid outcome: the form comes back with an error summary, the user's input kept,
// the fields marked invalid and the summary's links leading to the fields.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { followLink, screenshot, startHarness, submit, signIn } from '../lib/harness.mjs';
import { steps, walkToIndicator } from '../lib/journey.mjs';

describe('utfallsformulär med fel', () => {
  let h;
  let page;
  let ids;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    // An editor of Kommunstyrelsen: the journey's goal and indicator are KS's.
    await signIn(page, 'redaktor-ks');
  });
  after(async () => {
    await h?.close();
  });

  it('skickar period "2019X" och värde "fyrtio" och får formuläret tillbaka', step('skicka', async () => {
    ids = await walkToIndicator(page);
    await followLink(page, 'Fyll i utfall');
    await followLink(page, 'lägg till ett utfall i taget');
    await page.getByLabel(/^Period/).fill('2019X');
    await page.getByLabel(/^Värde/).fill('fyrtio');
    const res = await submit(page, 'Spara utfallet');
    assert.equal(res.status(), 422, 'ett formulär med fel svarar 422');
    assert.equal(new URL(page.url()).pathname, `/indicators/${ids.indicatorId}/outcome`);
    assert.match(await page.title(), /^Fel i formuläret: /, 'sidtiteln säger att formuläret har fel');
    await screenshot(page, 'form-errors');
  }));

  it('visar en felsammanfattning med role=alert', step('sammanfattning', async () => {
    const alert = page.getByRole('alert');
    assert.equal(await alert.count(), 1);
    const text = await alert.innerText();
    assert.match(text, /Uppgifterna sparades inte/);
    assert.match(text, /Period/);
    assert.match(text, /Värde/);
  }));

  it('behåller det användaren skrev', step('värden', async () => {
    assert.equal(await page.locator('#f-period').inputValue(), '2019X');
    assert.equal(await page.locator('#f-value').inputValue(), 'fyrtio');
    assert.equal(await page.getByLabel(/^Period/).inputValue(), '2019X');
    assert.equal(await page.getByLabel(/^Värde/).inputValue(), 'fyrtio');
    assert.equal(await page.getByLabel('Grupp').inputValue(), 'total', 'gruppen står kvar');
  }));

  it('markerar fälten med aria-invalid och kopplar felmeddelandet till fältet', step('aria', async () => {
    for (const name of ['period', 'value']) {
      const field = page.locator(`#f-${name}`);
      assert.equal(await field.getAttribute('aria-invalid'), 'true', `#f-${name} aria-invalid`);
      const describedby = ((await field.getAttribute('aria-describedby')) || '').split(/\s+/);
      assert.ok(describedby.includes(`f-${name}-error`), `#f-${name} aria-describedby innehåller f-${name}-error`);
      const message = (await page.locator(`#f-${name}-error`).innerText()).trim();
      assert.ok(message.length > 'Fel: '.length, `ett felmeddelande vid #f-${name}`);
    }
    for (const name of ['margin', 'sample_size']) {
      assert.equal(await page.locator(`#f-${name}`).getAttribute('aria-invalid'), null, `#f-${name} är inte felmarkerat`);
    }
  }));

  it('sammanfattningens länkar pekar på fälten och flyttar fokus dit', step('länkar', async () => {
    const links = page.getByRole('alert').getByRole('link');
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(hrefs.sort(), ['#f-period', '#f-value']);
    for (const href of hrefs) {
      assert.equal(await page.locator(href).count(), 1, `${href} finns`);
    }
    for (const [name, id] of [[/^Period/, 'f-period'], [/^Värde/, 'f-value']]) {
      await page.getByRole('alert').getByRole('link', { name }).click();
      const focused = await page.evaluate(() => document.activeElement?.id);
      assert.equal(focused, id, `länken "${name.source.slice(1)}" ger fokus åt #${id}`);
    }
  }));
});
