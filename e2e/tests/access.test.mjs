// Sign-in, roles and period locking in the browser, with axe on every new page: the
// sign-in page (empty and with an error), a refused edit outside an editor's scope, the
// history, the lock form, and what the public sees after a board's decision.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps, walkToIndicator } from '../lib/journey.mjs';

describe('inloggning, behörighet och låsta perioder', () => {
  let h;
  let ids;
  const step = steps();

  before(async () => {
    h = await startHarness();
    const page = await h.newPage();
    await signIn(page, 'controller');
    ids = await walkToIndicator(page);
  });
  after(async () => h?.close());

  it('inloggningssidan är tillgänglig, också med fel', step('inloggningssidan', async (t) => {
    const page = await h.newPage();
    await visit(page, '/login');
    await assertAxeClean(t, page, 'inloggningssidan');
    await page.getByLabel(/^Användarnamn/).fill('redaktor-ks');
    await page.getByLabel(/^Lösenord/).fill('fel-lösenord');
    const res = await submit(page, 'Logga in');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('.error-summary').innerText(), /Fel användarnamn eller lösenord/);
    assert.equal(await page.getByLabel(/^Användarnamn/).inputValue(), 'redaktor-ks', 'användarnamnet står kvar');
    assert.equal(await page.getByLabel(/^Lösenord/).inputValue(), '', 'lösenordet visas aldrig igen');
    await assertAxeClean(t, page, 'inloggningssidan med fel');
    await screenshot(page, 'login-error');
  }));

  it('en redaktör för FSN får inte ändra Kommunstyrelsens mått', step('utanför behörighet', async (t) => {
    const page = await h.newPage();
    await signIn(page, 'redaktor-fsn');
    await visit(page, `/indicators/${ids.indicatorId}`);
    assert.equal(await page.getByRole('link', { name: 'Fyll i utfall' }).count(), 0, 'ingen ändringslänk utanför behörigheten');
    const res = await page.goto(`/indicators/${ids.indicatorId}/outcome`);
    assert.equal(res.status(), 403);
    assert.match(await page.locator('main').innerText(), /inte behörighet att ändra uppgifter för den här enheten/);
    await assertAxeClean(t, page, 'sidan Ingen behörighet');
    await screenshot(page, 'forbidden');
  }));

  it('historiken visar vem som ändrade', step('historik', async (t) => {
    const page = await h.newPage();
    await signIn(page, 'redaktor-ks');
    await visit(page, `/indicators/${ids.indicatorId}/outcome`);
    await page.getByLabel(/^Period/).fill('2025');
    await page.getByLabel(/^Värde/).fill('70');
    await submit(page, 'Spara utfallet');
    await visit(page, `/history/indicators/${ids.indicatorId}`);
    assert.match(await page.locator('table.history tbody tr').first().innerText(), /Åsa Öberg/, 'the person who changed it, by name');
    await assertAxeClean(t, page, 'historiken');
  }));

  it('en controller låser 2024 efter beslut; redaktören får ett tydligt besked', step('låsning', async (t) => {
    const controller = await h.newPage();
    await signIn(controller, 'controller');
    await visit(controller, `/org/${ids.orgId}/lock`);
    await assertAxeClean(t, controller, 'formuläret för att låsa en period');
    await controller.getByLabel(/^Period/).fill('2024');
    await controller.getByLabel(/^Beslutsdatum/).fill('2025-03-30');
    await controller.getByLabel(/^Paragraf/).fill('§ 45');
    await controller.getByLabel(/^Diarienummer/).fill('KS-2025/123');
    await submit(controller, 'Lås perioden');
    assert.match(await controller.locator('main').innerText(), /Beslutad period/);
    await assertAxeClean(t, controller, 'nämndsidan med låst period');

    const editor = await h.newPage();
    await signIn(editor, 'redaktor-ks');
    await visit(editor, `/indicators/${ids.indicatorId}/outcome`);
    await editor.getByLabel(/^Period/).fill('2024');
    await editor.getByLabel(/^Värde/).fill('99');
    const res = await submit(editor, 'Spara utfallet');
    assert.equal(res.status(), 422);
    assert.match(await editor.locator('.error-summary').innerText(), /Perioden 2024 är låst/);
    assert.equal(await editor.getByLabel(/^Värde/).inputValue(), '99', 'det inskrivna står kvar');
    await assertAxeClean(t, editor, 'utfallsformuläret med låst period');
    await screenshot(editor, 'locked-period');
  }));

  it('allmänheten ser det beslutade utan ändringslänkar', step('allmänheten', async (t) => {
    const page = await h.newPage();
    await visit(page, `/org/${ids.orgId}?period=2019`);
    assert.match(await page.locator('h1').innerText(), /2019/);
    assert.equal(await page.getByRole('link', { name: /Bedöm/ }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Logga in' }).count(), 1);
    await assertAxeClean(t, page, 'nämndsidan för allmänheten');
  }));
});
