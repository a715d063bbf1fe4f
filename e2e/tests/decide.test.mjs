// Decisions in the browser (issue 17): a controller makes 2024 the executive board's
// current period and sees its pages marked as working material; records a decision on a
// deviation, corrects it with a reason and sees the original kept; adds an action whose
// due date has passed, is warned and confirms. axe-core on every page, and each at 390 px.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SCREENSHOT_DIR, assertAxeClean, followLink, idFromPath, screenshot, signIn, startHarness, submit, visit } from '../lib/harness.mjs';
import { steps } from '../lib/journey.mjs';

/**
 * At phone width: nothing wider than the window, and no cell's content wider than its cell
 * outside the tables that scroll in their own region (`.table-wrap`).
 */
async function fitsPhone(t, page, label) {
  await page.setViewportSize({ width: 390, height: 844 });
  const { scrollWidth, innerWidth, overflowing } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    overflowing: [...document.querySelectorAll('td, th')]
      .filter((c) => !c.closest('.table-wrap') && c.scrollWidth > c.clientWidth + 1)
      .map((c) => c.innerText.slice(0, 40)),
  }));
  assert.ok(scrollWidth <= innerWidth, `${label}: sidan är ${scrollWidth} px bred i ett ${innerWidth} px fönster`);
  assert.deepEqual(overflowing, [], `${label}: celler vars innehåll är bredare än cellen`);
  await assertAxeClean(t, page, `${label} (390 px)`);
  await screenshot(page, `${label}-390`);
  // What a phone shows first (a board's page is long).
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${label}-390-top.png`) });
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('uppsikt: aktuell period, rättade beslut och förfallodatum', () => {
  let h;
  let page;
  let ks;
  const step = steps();

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    await signIn(page, 'controller');
  });
  after(async () => h?.close());

  it('controllern gör 2024 till aktuell period och ser arbetsmaterialet', step('aktuell period', async (t) => {
    await visit(page, '/');
    await followLink(page, 'Kommunstyrelsen');
    ks = idFromPath(page.url(), 'org');
    assert.match(await page.locator('#current-period').innerText(), /Aktuell period: 2019 \(den senast beslutade perioden\)/);
    assert.equal(await page.locator('#period').inputValue(), '2019');
    assert.equal(await page.locator('#working-material').count(), 0, 'beslutad period');
    await followLink(page, 'Ändra aktuell period');
    await assertAxeClean(t, page, 'formuläret för aktuell period');
    await page.locator('#f-period').fill('2024');
    const res = await submit(page, 'Spara aktuell period');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/org/${ks}`);
    assert.equal(await page.locator('#period').inputValue(), '2024');
    const note = page.getByRole('note').filter({ hasText: 'Arbetsmaterial' });
    assert.equal(await note.count(), 1);
    assert.match(await note.innerText(), /^Arbetsmaterial – perioden 2024 är inte beslutad\./);
    assert.match(await page.locator('#current-period').innerText(), /Aktuell period: 2024 \(vald för enheten\)/);
    await assertAxeClean(t, page, 'styrelsens sida 2024');
    await screenshot(page, 'decide-arbetsmaterial');
    await fitsPhone(t, page, 'decide-arbetsmaterial');
    // The decided year is still one choice away, without the notice.
    await page.locator('#period').selectOption('2019');
    await submit(page, 'Visa');
    assert.equal(await page.locator('#working-material').count(), 0);
    assert.match(await page.locator('.locked').innerText(), /Beslutad period/);
  }));

  let deviation;

  it('ett registrerat beslut rättas med skäl och det ursprungliga står kvar', step('rättat beslut', async (t) => {
    await visit(page, '/uppsikt/list?concern=undecided');
    const href = await page.locator('main a[href^="/deviations/"]').first().getAttribute('href');
    deviation = idFromPath(new URL(href, h.base).toString(), 'deviations');
    await visit(page, `/deviations/${deviation}`);
    await followLink(page, 'Registrera beslut');
    await page.locator('#f-outcome').selectOption('no_action');
    await page.locator('#f-motivation').fill('Ryms i ordinarie arbete.');
    await page.locator('#f-body').selectOption('board');
    await page.locator('#f-decided_on').fill('2025-02-20');
    await page.locator('#f-paragraph').fill('§ 17');
    await page.locator('#f-diary_number').fill('KS-2025/101');
    let res = await submit(page, 'Spara beslutet');
    assert.equal(res.status(), 200);
    await followLink(page, 'Rätta beslutet');
    assert.equal(await page.locator('#f-paragraph').inputValue(), '§ 17', 'ifyllt med beslutet');
    await page.locator('#f-outcome').selectOption('act');
    await page.locator('#f-paragraph').fill('§ 18');
    // Without a reason: shown again, everything kept.
    res = await submit(page, 'Spara rättelsen');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('.error-summary').innerText(), /Skäl till rättelsen/);
    assert.equal(await page.locator('#f-paragraph').inputValue(), '§ 18');
    await assertAxeClean(t, page, 'rättelsen med fel');
    await page.locator('#f-reason').fill('Protokollet justerades: styrelsen beslutade att åtgärda (§ 18).');
    res = await submit(page, 'Spara rättelsen');
    assert.equal(res.status(), 200);
    const decision = page.locator('section[aria-labelledby="decision-h"]');
    const text = await decision.innerText();
    assert.match(text, /§ 18/);
    assert.match(text, /Ursprungligt beslut \(ersatt\): Inte åtgärda \(Ryms i ordinarie arbete\.\), Nämnd\/styrelse, 2025-02-20, § 17, dnr KS-2025\/101/);
    assert.match(text, /Rättat \d{4}-\d{2}-\d{2} av .+: Protokollet justerades/);
    assert.equal(await decision.locator('del.replaced').count(), 1, 'det ursprungliga visas överstruket');
    await assertAxeClean(t, page, 'avvikelsen med rättat beslut');
    await screenshot(page, 'decide-rattat-beslut');
    await fitsPhone(t, page, 'decide-rattat-beslut');
  }));

  it('ett förfallodatum som har passerat sparas först när det bekräftas', step('förfallodatum', async (t) => {
    await followLink(page, 'Lägg till åtgärd');
    await page.locator('#f-what').fill('Lägesbilden rapporteras till styrelsen');
    await page.locator('#f-responsible_person').fill('Säkerhetschef');
    await page.locator('#f-due').fill('2020-01-31');
    await page.locator('#f-expected_effect').fill('Styrelsen ser läget och beslutar om åtgärder.');
    let res = await submit(page, 'Spara åtgärden');
    assert.equal(res.status(), 422);
    assert.match(await page.locator('.error-summary').innerText(), /Förfallodatumet har redan passerat; åtgärden blir försenad direkt/);
    assert.equal(await page.locator('#f-due').inputValue(), '2020-01-31');
    assert.equal(await page.locator('#f-responsible_person').inputValue(), 'Säkerhetschef');
    const confirm = page.getByLabel('Spara ändå');
    assert.equal(await confirm.isChecked(), false);
    await assertAxeClean(t, page, 'åtgärden med passerat datum');
    await screenshot(page, 'decide-forfallodatum');
    await fitsPhone(t, page, 'decide-forfallodatum');
    await confirm.check();
    res = await submit(page, 'Spara åtgärden');
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/deviations/${deviation}`);
    const action = page.locator('article.commitment').filter({ hasText: 'Lägesbilden rapporteras till styrelsen' });
    assert.match(await action.innerText(), /Försenad/);
    await assertAxeClean(t, page, 'avvikelsen med åtgärden');
  }));
});
