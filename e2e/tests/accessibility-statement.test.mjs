// Keeps the accessibility statement (/tillganglighet) true: it renders the known gaps from
// crates/web/accessibility.json and the date they were reviewed. That the gaps are the
// ones axe-core finds, no more and no fewer, is checked by every-page.test.mjs, which runs
// axe on every page a visitor and the admin reach, at 390 and 768 px (and the other
// browser tests at 1280 px).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { REPO_ROOT, startHarness, visit } from '../lib/harness.mjs';
import { readJson } from '../lib/lighthouse.mjs';

const GAPS_FILE = join(REPO_ROOT, 'crates', 'web', 'accessibility.json');

describe('tillgänglighetsredogörelsen', () => {
  const statement = readJson(GAPS_FILE);
  let h;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('sidan /tillganglighet visar filens brister och datum', async () => {
    const page = await h.newPage();
    await visit(page, '/tillganglighet');
    const main = await page.locator('main').innerText();
    for (const g of statement.gaps) assert.ok(main.includes(g.title), g.title);
    assert.ok(main.includes(statement.reviewed));
    assert.match(main, /Kontaktuppgift saknas/, 'demon anger ingen kontakt: den sägs saknas');
  });
});
