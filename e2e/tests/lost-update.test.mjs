// No lost update, in the browser with two signed-in people in two browser contexts: both
// open the same goal's edit form, the controller saves, the editor saves what she typed and
// is told (409) who changed what, with her text still in the form; saving again is a
// deliberate overwrite. Then an expired session: the session cookie is deleted, the form
// is sent, the sign-in page keeps what was typed, and after signing in the text is shown
// and saved. axe on the conflict page, the sign-in page and the confirmation page.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, DEMO_PASSWORD, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps, walkToIndicator } from '../lib/journey.mjs';

describe('ingen förlorad ändring', () => {
  let h;
  let a;
  let b;
  let ids;
  const step = steps();

  before(async () => {
    h = await startHarness();
    a = await h.newPage();
    b = await h.newPage();
    await signIn(a, 'controller');
    await signIn(b, 'redaktor-ks');
    ids = await walkToIndicator(a);
  });
  after(async () => h?.close());

  it('två personer öppnar samma mål; den andra som sparar får se den förstas ändring', step('konflikt', async (t) => {
    const path = `/goals/${ids.goalId}/edit`;
    await visit(a, path);
    await visit(b, path);
    await a.getByLabel(/^Rubrik/).fill('Tryggare Huddinge (A)');
    assert.equal((await submit(a, 'Spara målet')).status(), 200);

    await b.getByLabel(/^Rubrik/).fill('Trygghet i alla områden (B)');
    const res = await submit(b, 'Spara målet');
    assert.equal(res.status(), 409);
    const alert = b.getByRole('alert');
    const text = await alert.innerText();
    assert.match(text, /Någon annan har ändrat detta sedan du öppnade formuläret/);
    assert.match(text, /Tryggare Huddinge \(A\)/, 'A:s ändring visas');
    assert.equal(await b.getByLabel(/^Rubrik/).inputValue(), 'Trygghet i alla områden (B)', 'B:s text står kvar');
    await assertAxeClean(t, b, 'konfliktsidan');
    await screenshot(b, 'lost-update-conflict');

    assert.equal((await submit(b, 'Spara målet')).status(), 200, 'att spara igen skriver över med avsikt');
    await visit(b, `/goals/${ids.goalId}`);
    assert.match(await b.locator('h1').innerText(), /Trygghet i alla områden \(B\)/);
  }));

  it('en utgången inloggning tappar inte det som skrevs', step('utgången inloggning', async (t) => {
    const path = `/goals/${ids.goalId}/edit`;
    await visit(b, path);
    await b.getByLabel(/^Rubrik/).fill('Skrivet när inloggningen gick ut <b>');
    await b.context().clearCookies();
    const res = await submit(b, 'Spara målet');
    assert.equal(res.status(), 401);
    assert.match(await b.locator('main').innerText(), /Din inloggning har gått ut\. Det du skrev är kvar/);
    await assertAxeClean(t, b, 'inloggningssidan med det som skrevs');
    await screenshot(b, 'lost-update-sign-in');

    await b.getByLabel(/^Användarnamn/).fill('redaktor-ks');
    await b.getByLabel(/^Lösenord/).fill(DEMO_PASSWORD);
    assert.equal((await submit(b, 'Logga in')).status(), 200);
    assert.match(await b.locator('main').innerText(), /Skrivet när inloggningen gick ut <b>/);
    assert.match(await b.locator('header').innerText(), /Inloggad som/, 'sidhuvudet visar den nya inloggningen');
    await assertAxeClean(t, b, 'det du skrev');
    await screenshot(b, 'lost-update-typed');

    const shown = await submit(b, 'Visa formuläret med det jag skrev');
    assert.equal(shown.status(), 200);
    assert.equal(await b.getByLabel(/^Rubrik/).inputValue(), 'Skrivet när inloggningen gick ut <b>');
    assert.match(await b.locator('main').innerText(), /Inget är sparat än/);
    await assertAxeClean(t, b, 'formuläret med det du skrev');

    assert.equal((await submit(b, 'Spara målet')).status(), 200);
    await visit(b, `/goals/${ids.goalId}`);
    assert.match(await b.locator('h1').innerText(), /Skrivet när inloggningen gick ut <b>/);
  }));

  it('konfliktsidan och inloggningssidan med det som skrevs läses i 390 px bredd', step('mobil', async (t) => {
    const phone = await h.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, 'redaktor-ks');
    const path = `/goals/${ids.goalId}/edit`;
    await visit(phone, path);
    await visit(a, path);
    await a.getByLabel(/^Rubrik/).fill('Ändrat på datorn');
    assert.equal((await submit(a, 'Spara målet')).status(), 200);
    await phone.getByLabel(/^Rubrik/).fill('Ändrat i telefonen');
    assert.equal((await submit(phone, 'Spara målet')).status(), 409);
    const fits = async (label) => {
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${label}: sidan är ${overflow} px bredare än skärmen`);
      await assertAxeClean(t, phone, `${label} 390 px`);
    };
    await fits('konfliktsidan');
    await screenshot(phone, 'lost-update-conflict-390');
    await phone.context().clearCookies();
    assert.equal((await submit(phone, 'Spara målet')).status(), 401);
    await fits('inloggningssidan med det som skrevs');
    await screenshot(phone, 'lost-update-sign-in-390');
  }));
});
