// axe (WCAG 2.0/2.1 A and AA) on every page of the journey and on the other forms.
// Each page is its own test, so one report names every page with violations.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { axeResults, followLink, formatViolations, screenshot, startHarness, submit, visit, signIn } from '../lib/harness.mjs';
import { walkToIndicator } from '../lib/journey.mjs';

describe('tillgänglighet (axe, wcag2a/wcag2aa/wcag21a/wcag21aa)', () => {
  let h;
  let page;
  let ids;
  const summary = [];

  before(async () => {
    h = await startHarness();
    page = await h.newPage();
    // An editor of Kommunstyrelsen: the journey's goal and indicator are KS's.
    await signIn(page, 'redaktor-ks');
    ids = await walkToIndicator(page);
    // A commitment of the goal, for its status form.
    await page.goto(ids.goalUrl);
    const href = await page.locator('main a[href^="/commitments/"][href$="/status"]').first().getAttribute('href', { timeout: 5000 }).catch(() => null);
    ids.commitmentStatus = href;
  });
  after(async () => {
    if (summary.length) {
      const width = Math.max(...summary.map(([label]) => label.length));
      const line = ([label, n, rules, passed, review]) => `  ${label.padEnd(width)}  ${n === 0 ? 'inga överträdelser' : `${n} överträdelse(r): ${rules}`}; ${passed} regler godkända${review ? `; att granska manuellt: ${review}` : ''}`;
      process.stdout.write(`\naxe per sida:\n${summary.map(line).join('\n')}\n`);
    }
    await h?.close();
  });

  async function check(t, label) {
    const { violations, passes, incomplete } = await axeResults(page);
    assert.ok(passes.length > 0, 'axe körde reglerna på sidan');
    const review = incomplete.map((v) => `${v.id} (${v.nodes.length})`).join(', ');
    summary.push([label, violations.length, violations.map((v) => `${v.id} (${v.nodes.length})`).join(', '), passes.length, review]);
    if (violations.length) {
      const report = formatViolations(`${label} (${page.url()})`, violations);
      t.diagnostic(report);
      process.stderr.write(`${report}\n`);
      assert.fail(report);
    }
  }

  const pages = [
    ['startsidan', async () => visit(page, '/')],
    ['nämndsidan (Kommunstyrelsen)', async () => visit(page, `/org/${ids.orgId}`)],
    ['målsidan', async () => visit(page, ids.goalUrl)],
    ['måttsidan', async () => visit(page, `/indicators/${ids.indicatorId}`)],
    ['utfallsformuläret', async () => visit(page, `/indicators/${ids.indicatorId}/outcome`)],
    ['utfallsformuläret med fel', async () => {
      await visit(page, `/indicators/${ids.indicatorId}/outcome`);
      await page.getByLabel(/^Period/).fill('2019X');
      await page.getByLabel(/^Värde/).fill('fyrtio');
      const res = await submit(page, 'Spara utfallet');
      assert.equal(res.status(), 422);
    }],
    ['etappmålsformuläret', async () => visit(page, `/indicators/${ids.indicatorId}/milestones`)],
    ['etappmålsformuläret med fel', async () => {
      await visit(page, `/indicators/${ids.indicatorId}/milestones`);
      await page.getByLabel(/^År/).fill('tjugo');
      await page.getByLabel(/^Mål/).fill('mycket');
      const res = await submit(page, 'Spara etappmålet');
      assert.equal(res.status(), 422);
    }],
    ['måttsidan efter nytt utfall och etappmål', async () => {
      await visit(page, `/indicators/${ids.indicatorId}/outcome`);
      await page.getByLabel(/^Period/).fill('2025');
      await page.getByLabel(/^Värde/).fill('66,5');
      await page.getByLabel('Felmarginal (±)').fill('3');
      await submit(page, 'Spara utfallet');
      await followLink(page, 'Sätt etappmål');
      await page.getByLabel(/^År/).fill('2025');
      await page.getByLabel(/^Mål/).fill('>60');
      await submit(page, 'Spara etappmålet');
      assert.equal(new URL(page.url()).pathname, `/indicators/${ids.indicatorId}`);
    }],
    ['målbedömningsformuläret', async () => visit(page, `/goals/${ids.goalId}/assessment?period=2019`)],
    ['formuläret för händelser och förbättringsområden', async () => {
      await visit(page, `/org/${ids.orgId}/review?period=2019`);
      assert.match(await page.getByLabel(/^Viktiga händelser/).inputValue(), /Europaparlamentet/);
    }],
    ['formuläret för nytt mål', async () => visit(page, `/org/${ids.orgId}/goals/new`)],
    ['formuläret för nytt mått', async () => visit(page, `/goals/${ids.goalId}/indicators/new`)],
    ['statusformuläret för ett utvecklingsåtagande', async () => {
      assert.ok(ids.commitmentStatus, 'målsidan har en länk till ett åtagandes statusformulär');
      await visit(page, ids.commitmentStatus);
    }],
    ['404-sidan', async () => visit(page, '/finns-inte', 404)],
    ['sökningen', async () => visit(page, '/sok?q=trygghet')],
    ['sökningen med för lång fråga', async () => visit(page, `/sok?q=${'trygghet '.repeat(30)}`, 422)],
    ['Att göra', async () => visit(page, `/org/${ids.orgId}/att-gora`)],
    ['historiken för måttet', async () => visit(page, `/history/indicators/${ids.indicatorId}`)],
    ['rapportformuläret', async () => visit(page, `/org/${ids.orgId}/reports`)],
    ['rapportsidan när rapporten är klar', async () => {
      await visit(page, `/org/${ids.orgId}/reports`);
      await page.getByLabel(/^Format/).selectOption('html');
      await submit(page, 'Skapa rapporten');
      // job.js reloads the job page when the report is ready.
      await page.waitForSelector('#report-download', { timeout: 30000 });
      ids.reportUrl = await page.locator('#report-download').getAttribute('href');
    }],
    ['verksamhetsberättelsen som HTML', async () => {
      assert.ok(ids.reportUrl, 'rapportsidan har en nedladdningslänk');
      await visit(page, ids.reportUrl);
      assert.match(await page.title(), /Verksamhetsberättelse 2019/);
    }],
  ];

  // Pages that no other test takes a screenshot of.
  const shots = {
    'etappmålsformuläret': 'form-milestone',
    'etappmålsformuläret med fel': 'form-milestone-errors',
    'målbedömningsformuläret': 'form-assessment',
    'formuläret för händelser och förbättringsområden': 'form-review',
    'formuläret för nytt mål': 'form-new-goal',
    'formuläret för nytt mått': 'form-new-indicator',
    'statusformuläret för ett utvecklingsåtagande': 'form-commitment-status',
    '404-sidan': 'not-found',
    'sökningen med för lång fråga': 'search-too-long',
    'rapportsidan när rapporten är klar': 'report-job',
    'verksamhetsberättelsen som HTML': 'report-html',
  };

  for (const [label, open] of pages) {
    it(label, async (t) => {
      await open();
      if (shots[label]) await screenshot(page, shots[label]);
      await check(t, label);
    });
  }
});
