// Keeps the accessibility statement (/tillganglighet) true: it renders the known gaps from
// crates/web/accessibility.json, and this test reads the same file. axe-core (WCAG 2.1 A and
// AA) runs on the pages a visitor and a signed-in controller reach by links, at 390 px,
// 768 px and 1280 px; the test fails when axe finds a violation on a page the file does not
// list for that rule, and when a gap the file lists (with its axe rule) no longer occurs,
// so the statement neither hides a gap that exists nor claims one that is fixed.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { REPO_ROOT, axeResults, signIn, startHarness, visit } from '../lib/harness.mjs';
import { readJson } from '../lib/lighthouse.mjs';

const GAPS_FILE = join(REPO_ROOT, 'crates', 'web', 'accessibility.json');
const WIDTHS = [['mobil', { width: 390, height: 844 }], ['surfplatta', { width: 768, height: 1024 }], ['dator', { width: 1280, height: 900 }]];
/** The most kinds of page (paths with their numbers as {id}) crawled per viewer. */
const MAX_KINDS = 45;
/** Links not followed: sign-out, downloads, and pages that start work. */
const SKIP = /^\/(logout|login)|\.(xlsx|pdf|csv|json|xml|txt)(\?|$)|\/download|\/api\/|\/files\//;

/** A path with its numbers as {id}: one kind of page. */
const kindOf = (path) => path.replace(/[?#].*$/, '').replace(/\/\d+(?=\/|$)/g, '/{id}');

/** The pages reachable by links from `/`, one per kind, breadth first. */
async function crawl(page) {
  const seen = new Map();
  const queue = ['/'];
  while (queue.length && seen.size < MAX_KINDS) {
    const path = queue.shift();
    const kind = kindOf(path);
    if (seen.has(kind)) continue;
    const res = await page.goto(path, { waitUntil: 'load' });
    if (!res || res.status() !== 200 || !(res.headers()['content-type'] ?? '').startsWith('text/html')) continue;
    seen.set(kind, path);
    const hrefs = await page.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')));
    for (const href of hrefs) {
      const clean = href.split('#')[0];
      if (!clean || SKIP.test(clean) || seen.has(kindOf(clean))) continue;
      queue.push(clean);
    }
  }
  return seen;
}

describe('tillgänglighetsredogörelsen stämmer med axe', () => {
  const statement = readJson(GAPS_FILE);
  let h;
  const found = new Map(); // "rule kind" -> [where]
  const visited = new Set();

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  for (const [who, account] of [['besökare', null], ['controller', 'controller']]) {
    it(`axe på ${who}ns sidor i tre bredder`, { timeout: 900_000 }, async (t) => {
      const crawler = await h.newPage();
      if (account) await signIn(crawler, account);
      const pages = await crawl(crawler);
      t.diagnostic(`${pages.size} sorters sidor: ${[...pages.keys()].join(' ')}`);
      for (const [name, viewport] of WIDTHS) {
        const context = await h.newContext({ viewport });
        const page = await context.newPage();
        if (account) await signIn(page, account);
        for (const [kind, path] of pages) {
          await visit(page, path);
          visited.add(kind);
          const { violations } = await axeResults(page);
          for (const v of violations) {
            const key = `${v.id} ${kind}`;
            if (!found.has(key)) found.set(key, []);
            found.get(key).push(`${who} ${name} ${path}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
          }
        }
        await context.close();
      }
      await crawler.context().close();
    });
  }

  it('varje brist som axe hittar står i redogörelsen', () => {
    const listed = new Set(statement.gaps.filter((g) => g.axe_rule).flatMap((g) => g.pages.map((p) => `${g.axe_rule} ${p}`)));
    const unlisted = [...found.entries()].filter(([key]) => !listed.has(key));
    assert.deepEqual(
      unlisted.map(([key, where]) => `${key}\n    ${where.join('\n    ')}`),
      [],
      'axe hittar brister som inte står i crates/web/accessibility.json: rätta dem eller för in dem där',
    );
  });

  it('varje brist i redogörelsen finns fortfarande', () => {
    const gone = [];
    for (const g of statement.gaps.filter((g) => g.axe_rule)) {
      for (const p of g.pages) {
        if (!visited.has(p)) gone.push(`${g.axe_rule} ${p}: sidan besöktes inte, så bristen kan inte hållas sann`);
        else if (!found.has(`${g.axe_rule} ${p}`)) gone.push(`${g.axe_rule} ${p}: finns inte längre (”${g.title}”)`);
      }
    }
    assert.deepEqual(gone, [], 'crates/web/accessibility.json listar brister som inte längre finns: ta bort dem');
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
