// Data in, in the browser: a controller downloads the template, uploads a file with
// errors (every row reported, nothing saved), uploads a correct one, looks at the preview,
// imports it as a job and sees the outcome on the indicator's page. Then the Kolada page:
// a comparison group with an unknown municipality is re-displayed, a correct one saved.
// axe-core on every page on the way.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertAxeClean, followLink, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';
import { startKoladaServer } from '../lib/kolada-server.mjs';

async function chooseFile(page, name, text) {
  await page.getByLabel(/^Fil /).setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
}

describe('data in: utfall från fil och Kolada', () => {
  let h;
  let page;
  let kolada;
  const step = steps();

  before(async () => {
    // The stand-in first: the server may fetch only from addresses its operator allows.
    kolada = await startKoladaServer();
    h = await startHarness({ env: { UPPSIKT_KOLADA_API_ALLOW: kolada.url } });
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => {
    await kolada?.close();
    await h?.close();
  });

  it('sidan Data in har mallen och uppladdningen', step('data-in', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Data in');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Data in');
    const download = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Excel (.xlsx)' }).click(),
    ]).then(([d]) => d);
    assert.equal(download.suggestedFilename(), 'utfall-mall.xlsx');
    await assertAxeClean(t, page, 'Data in');
    await screenshot(page, 'import');
  }));

  it('en fil med fel visar varje felaktig rad och sparar ingenting', step('fel', async (t) => {
    await chooseFile(page, 'fel.csv',
      'Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2024X;Totalt;65\nokänt-mått;2024;;5\nkf-trygg-utomhus;2024;Kvinnor;hundra\n');
    await submit(page, 'Ladda upp och förhandsgranska');
    const alert = page.locator('#import-errors');
    const text = await alert.innerText();
    for (const row of ['rad 2', 'rad 3', 'rad 4']) assert.match(text, new RegExp(row), `${row} rapporteras`);
    assert.equal(await page.locator('#import-commit').count(), 0, 'ingen importknapp när det finns fel');
    await assertAxeClean(t, page, 'förhandsgranskning med fel');
    await screenshot(page, 'import-errors');
  }));

  it('en korrekt fil förhandsgranskas, importeras som ett jobb och syns på måttet', step('import', async (t) => {
    await visit(page, '/import');
    await chooseFile(page, 'trygghet-2024.csv',
      'Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2024;Totalt;65,5\nkf-trygg-utomhus;2024;Kvinnor;58\nkf-trygg-utomhus;2024;Område: Vårby;51,2\n');
    await submit(page, 'Ladda upp och förhandsgranska');
    assert.equal(await page.locator('#count-new').innerText(), '3');
    assert.match(await page.getByRole('table', { name: /Giltiga rader/ }).innerText(), /Vårby/);
    await assertAxeClean(t, page, 'förhandsgranskning');
    await screenshot(page, 'import-preview');
    await submit(page, 'Importera 3 utfall');
    assert.match(new URL(page.url()).pathname, /^\/imports\/[0-9a-f]{64}$/);
    // job.js reloads the page when the import is done.
    await page.waitForSelector('#import-done', { timeout: 30000 });
    assert.match(await page.locator('#import-done').innerText(), /3 nya utfall/);
    await assertAxeClean(t, page, 'importjobbet klart');
    await screenshot(page, 'import-done');
  }));

  it('Kolada-sidan: en grupp med en okänd kommun visas igen med det som skrevs', step('kolada', async (t) => {
    await visit(page, '/import');
    await followLink(page, 'Kolada: koppling, jämförelsegrupper och hämtning');
    await assertAxeClean(t, page, 'Kolada');
    await screenshot(page, 'kolada');
    await followLink(page, 'Ny jämförelsegrupp');
    await page.getByLabel(/^Namn/).fill('Grannkommuner');
    await page.getByLabel(/^Kommuner/).fill('0127\n0136\nGrannby');
    const res = await submit(page, 'Spara gruppen');
    assert.equal(res.status(), 422);
    assert.match(await page.getByRole('alert').innerText(), /Grannby/);
    assert.equal(await page.getByLabel(/^Kommuner/).inputValue(), '0127\n0136\nGrannby', 'det som skrevs står kvar');
    await assertAxeClean(t, page, 'jämförelsegrupp med fel');
    await page.getByLabel(/^Kommuner/).fill('0127\n0136\n0126');
    await submit(page, 'Spara gruppen');
    assert.match(await page.getByRole('table', { name: 'Jämförelsegrupper' }).innerText(), /Grannkommuner/);
  }));

  it('hämtar från Kolada som ett jobb med förlopp och visar källan på måttet', step('kolada-hämtning', async (t) => {
    await visit(page, '/kolada');
    await followLink(page, 'Ändra kopplingen');
    await page.getByLabel(/^Vår kommun/).fill('0126');
    await page.getByLabel(/^Koladas API/).fill(kolada.url);
    await submit(page, 'Spara kopplingen');
    assert.match(await page.locator('#kolada-municipality').innerText(), /0126/);
    await submit(page, 'Hämta från Kolada nu');
    assert.match(new URL(page.url()).pathname, /^\/imports\/[0-9a-f]{64}$/);
    await page.waitForSelector('#import-done', { timeout: 30000 });
    assert.match(await page.locator('#import-done').innerText(), /värden/);
    assert.ok(kolada.requests.some((r) => r.startsWith('/v3/data/kpi/')), 'data asked for from the stand-in');
    await assertAxeClean(t, page, 'Kolada-hämtningen klar');
    await screenshot(page, 'kolada-fetched');
    await followLink(page, 'Till Kolada-sidan');
    await followLink(page, 'Kommunal skattesats (öre per skattekrona) - Huddinge kommun');
    assert.match(await page.locator('main').innerText(), /Källa: Kolada \(RKA\)/);
    await assertAxeClean(t, page, 'måttet med Kolada-värden');
    await screenshot(page, 'kolada-indicator');
  }));
});
