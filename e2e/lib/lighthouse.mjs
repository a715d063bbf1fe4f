// Lighthouse (npm `lighthouse` 12.2.3, in e2e/node_modules) run against Debian's Chromium in
// its default mobile preset: the four category scores of a page and the audits that failed.
// Used by e2e/lighthouse.mjs (bench/lighthouse.sh) and e2e/tests/lighthouse.test.mjs.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CHROMIUM, E2E_DIR } from './harness.mjs';

export const LIGHTHOUSE_CLI = join(E2E_DIR, 'node_modules', 'lighthouse', 'cli', 'index.js');
export const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

/** Whether lighthouse is installed in e2e/node_modules. */
export function lighthouseAvailable() {
  return existsSync(LIGHTHOUSE_CLI);
}

/**
 * Runs Lighthouse on `url` (mobile preset, Debian's Chromium, headless, no sandbox) and
 * returns `{ url, scores: { performance, accessibility, 'best-practices', seo } (0–100),
 * failing: [{ id, category, title, score, items }] }`.
 */
export async function runLighthouse(url) {
  const dir = mkdtempSync(join(tmpdir(), 'uppsikt-lighthouse-'));
  const out = join(dir, 'report.json');
  const args = [
    LIGHTHOUSE_CLI,
    url,
    '--quiet',
    '--output=json',
    `--output-path=${out}`,
    `--only-categories=${CATEGORIES.join(',')}`,
    '--no-enable-error-reporting',
    '--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync',
  ];
  try {
    await new Promise((ok, fail) => {
      const child = spawn(process.execPath, args, {
        env: { ...process.env, CHROME_PATH: CHROMIUM, CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`lighthouse ${url}: kod ${code}\n${stderr}`))));
    });
    const report = JSON.parse(readFileSync(out, 'utf8'));
    if (report.runtimeError) throw new Error(`lighthouse ${url}: ${report.runtimeError.code} ${report.runtimeError.message}`);
    const scores = {};
    const failing = [];
    for (const id of CATEGORIES) {
      const cat = report.categories[id];
      scores[id] = cat.score === null ? null : Math.round(cat.score * 100);
      for (const ref of cat.auditRefs) {
        const a = report.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative') {
          const items = (a.details?.items ?? []).slice(0, 5).map((i) => i.node?.snippet ?? i.url ?? i.source?.url ?? i.description ?? JSON.stringify(i).slice(0, 160));
          failing.push({ id: a.id, category: id, title: a.title, score: a.score, displayValue: a.displayValue ?? '', items });
        }
      }
    }
    return { url, scores, failing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per page: the four scores. */
export function formatScores(label, { scores }) {
  return `${label.padEnd(14)} ${CATEGORIES.map((c) => `${c}=${scores[c] ?? '–'}`).join(' ')}`;
}

/** The failed audits, indented, for the report. */
export function formatFailing({ failing }) {
  return failing
    .map((f) => `    ${f.category}/${f.id} (${f.score}) ${f.title} ${f.displayValue}${f.items.length ? `\n      ${f.items.join('\n      ')}` : ''}`)
    .join('\n');
}

/**
 * The public pages to score, found by following links as a visitor would: the start page,
 * KS's board page, a KF goal, a board goal, an indicator, the search, the areas and the
 * accessibility statement. `base` is the server's origin.
 */
export async function publicPages(base) {
  const html = async (path) => {
    const res = await fetch(new URL(path, base));
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.text();
  };
  const link = (page, text) => {
    const re = new RegExp(`<a href="([^"]+)">${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</a>`);
    const m = page.match(re);
    if (!m) throw new Error(`Ingen länk ”${text}”`);
    return m[1].replace(/&amp;/g, '&');
  };
  const start = await html('/');
  const board = link(start, 'Kommunstyrelsen');
  const kfGoal = link(start, 'Bra att leva och bo');
  const boardPage = await html(board);
  const goal = link(boardPage, 'Ökad trivsel och trygghet i Huddinges områden');
  const goalPage = await html(goal);
  const indicator = link(goalPage, 'Betygsindex för trygghet');
  return [
    ['start', '/'],
    ['nämnd (KS)', board],
    ['KF-mål', kfGoal],
    ['nämndmål', goal],
    ['indikator', indicator],
    ['sök', '/sok?q=trygghet'],
    ['områden', '/areas'],
    ['tillgänglighet', '/tillganglighet'],
    ['öppna data', '/oppna-data'],
    ['ekonomi', '/economy'],
  ];
}

/** Reads a JSON file (the accessibility statement's gaps). */
export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
