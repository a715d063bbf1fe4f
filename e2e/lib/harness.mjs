// Shared set-up for the browser tests: a fresh demo server per test file and Debian's
// Chromium driven by playwright-core. See /work/shared/TESTING.md (or docs) for why the
// browser is launched exactly like this.
//
// Usage in a test file:
//   const h = await startHarness();   // in before()
//   after(() => h.close());
//   const page = await h.newPage();   // or h.newContext({ javaScriptEnabled: false })

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(E2E_DIR, '..');
export const SCREENSHOT_DIR = join(E2E_DIR, 'screenshots');

export const CHROMIUM = process.env.UPPSIKT_E2E_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const HEALTH_TIMEOUT_MS = 60_000;

/** The server binary: $UPPSIKT_BIN, else ${CARGO_TARGET_DIR:-target}/debug/uppsikt. */
export function serverBinary() {
  if (process.env.UPPSIKT_BIN) return resolve(process.env.UPPSIKT_BIN);
  const target = process.env.CARGO_TARGET_DIR ? resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR) : join(REPO_ROOT, 'target');
  return join(target, 'debug', 'uppsikt');
}

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every child server of this process, so that an exit or a signal never leaves one behind.
const children = new Set();
function killAll() {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[signal]);
  });
}

/**
 * Starts `uppsikt demo` on a free port with a new SQLite file in `dir` and waits for
 * GET /healthz. Rejects with the server's stderr if it exits or does not answer in 60 s.
 */
async function startServer(dir, { port: fixedPort, env: extraEnv = {} } = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(`Servern finns inte: ${bin}. Bygg den med \`cargo build -p uppsikt\` (e2e/run.sh gör det).`);
  }
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = fixedPort ?? await freePort();
    const db = join(dir, `demo-${attempt}.db`);
    const args = ['demo', '--database-url', `sqlite://${db}`, '--addr', `127.0.0.1:${port}`];
    // The demo data is read from ./demo, so the server runs in the repository root.
    const child = spawn(bin, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => { stdout += d; });
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      children.delete(child);
    });
    child.on('error', (e) => { exited = { code: null, signal: null, error: e }; });

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let healthy = false;
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) { healthy = true; break; }
      } catch { /* not yet listening */ }
      await sleep(200);
    }
    if (healthy) {
      return { child, base, port, db, output: () => ({ stdout, stderr }) };
    }
    const timedOut = !exited;
    if (timedOut) await stopChild(child);
    const how = !timedOut
      ? (exited.error ? `kunde inte starta: ${exited.error.message}` : `avslutades med kod ${exited.code}${exited.signal ? ` (signal ${exited.signal})` : ''}`)
      : `svarade inte på ${base}/healthz inom ${HEALTH_TIMEOUT_MS / 1000} s`;
    lastError = new Error(`Servern ${how}.\nKommando: ${bin} ${args.join(' ')}\n--- serverns stderr ---\n${stderr}\n--- serverns stdout ---\n${stdout}`);
    // Retry only when another process took the port between choosing and binding it.
    if (fixedPort || !/används redan|address already in use|AddrInUse/i.test(stderr)) break;
  }
  process.stderr.write(`${lastError.message}\n`);
  throw lastError;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
  await gone;
  clearTimeout(timer);
  children.delete(child);
}

/**
 * Launches Debian's Chromium. playwright-core refuses `--user-data-dir` in `args` and
 * always passes a new empty profile directory made with mkdtemp under os.tmpdir(); TMPDIR
 * points at this test file's own fresh temp dir while it does, so the profile is new,
 * empty and removed with that dir.
 */
async function launchBrowser(dir) {
  const profileParent = join(dir, 'browser');
  mkdirSync(profileParent, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = profileParent;
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
  }
}

/**
 * A server, a browser and clean-up for one test file. `options.port` fixes the server's
 * port and `options.env` adds environment variables (single sign-on settings).
 */
export async function startHarness(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'uppsikt-e2e-'));
  let server;
  let browser;
  const contexts = [];
  const close = async () => {
    for (const c of contexts) await c.close().catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (server) await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    server = await startServer(dir, options);
    browser = await launchBrowser(dir);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    base: server.base,
    url: (path) => new URL(path, server.base).toString(),
    browser,
    server,
    async newContext(options = {}) {
      const context = await browser.newContext({
        baseURL: server.base,
        locale: 'sv-SE',
        viewport: { width: 1280, height: 900 },
        ...options,
      });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      return context;
    },
    async newPage(options = {}) {
      const context = await this.newContext(options);
      return context.newPage();
    },
    close,
  };
}

/** The demo accounts' password (`uppsikt demo` creates them; see README). */
export const DEMO_PASSWORD = 'uppsikt-demo';

/**
 * Signs in through the sign-in form like a person: fills the user name and password and
 * submits. Fails unless the browser lands signed in (the user bar names the account).
 */
export async function signIn(page, username, password = DEMO_PASSWORD) {
  await visit(page, '/login');
  await page.getByLabel(/^Användarnamn/).fill(username);
  await page.getByLabel(/^Lösenord/).fill(password);
  const res = await submit(page, 'Logga in');
  if (!res || res.status() !== 200) throw new Error(`Inloggning som ${username}: status ${res && res.status()}`);
  const bar = await page.locator('header form.user').innerText().catch(() => '');
  if (!bar.includes('Inloggad som')) throw new Error(`Inte inloggad som ${username} efter inloggningen (${page.url()})`);
  return res;
}

/** Goes to `path` and fails unless the response has the expected status. */
export async function visit(page, path, expectedStatus = 200) {
  const res = await page.goto(path, { waitUntil: 'load' });
  if (!res) throw new Error(`Inget svar för ${path}`);
  if (res.status() !== expectedStatus) {
    throw new Error(`${path}: väntade status ${expectedStatus}, fick ${res.status()}`);
  }
  return res;
}

/** Clicks a link (exact accessible name, or a RegExp) and waits until its page has loaded. */
export async function followLink(page, name, within = page) {
  const links = within.getByRole('link', { name, exact: typeof name === 'string' });
  const count = await links.count();
  if (count === 0) throw new Error(`Ingen länk ${JSON.stringify(String(name))} på ${page.url()}`);
  const link = links.first();
  const target = new URL(await link.getAttribute('href'), page.url());
  target.hash = '';
  await Promise.all([
    page.waitForURL((u) => { const v = new URL(u); v.hash = ''; return v.href === target.href; }, { waitUntil: 'load' }),
    link.click(),
  ]);
  return target;
}

/** Clicks a submit button and waits for the response page (after any redirect). */
export async function submit(page, buttonName) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  return response;
}

/** The number in a path like /goals/12: the id of the object the page shows. */
export function idFromPath(url, prefix) {
  const m = new URL(url).pathname.match(new RegExp(`^/${prefix}/(\\d+)`));
  if (!m) throw new Error(`Hittar inget id efter /${prefix}/ i ${url}`);
  return Number(m[1]);
}

/** A full-page PNG in e2e/screenshots/. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe on the page; returns the violations (empty when the page passes). */
export async function axe(page) {
  return (await axeResults(page)).violations;
}

/** The whole axe result: violations, passes, incomplete (needs a person to check). */
export async function axeResults(page) {
  return new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
}

/** Fails the test `t` (with the report as its diagnostic) unless axe finds no violations. */
export async function assertAxeClean(t, page, label) {
  const { violations, passes } = await axeResults(page);
  assert.ok(passes.length > 0, 'axe körde reglerna på sidan');
  if (violations.length) {
    const report = formatViolations(`${label} (${page.url()})`, violations);
    t.diagnostic(report);
    assert.fail(report);
  }
}

/** A readable report of axe violations: id, impact, help and the target of each node. */
export function formatViolations(label, violations) {
  const lines = [`${label}: ${violations.length} axe-överträdelse(r)`];
  for (const v of violations) {
    lines.push(`  - ${v.id} [${v.impact}] ${v.help} (${v.helpUrl})`);
    for (const n of v.nodes) {
      lines.push(`      target: ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ')}`);
      if (n.failureSummary) lines.push(`        ${n.failureSummary.replace(/\n/g, '\n        ')}`);
      if (n.html) lines.push(`        html: ${n.html.slice(0, 200)}`);
    }
  }
  return lines.join('\n');
}

/**
 * What does not fit on the page as it is now laid out, as readable sentences (empty when
 * everything fits): the page wider than the window (it would scroll sideways), two visible
 * cells of one table drawn over each other (by more than 1 px both ways), or a cell whose
 * content is wider than the cell. Each sentence names the table (caption, region label or
 * position) and the cells (row, column and the start of their text).
 */
export async function fitProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const { scrollWidth } = document.documentElement;
    if (scrollWidth > window.innerWidth) {
      problems.push(`sidan är ${scrollWidth} px bred i ett ${window.innerWidth} px brett fönster`);
    }
    const text = (el) => el.textContent.replace(/\s+/g, ' ').trim().slice(0, 40);
    // Visually hidden (clipped to nothing, like a stacked table's header row): not seen.
    const clipped = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.clip !== 'auto' || (s.clipPath && s.clipPath !== 'none')) return true;
      }
      return false;
    };
    const tables = [...document.querySelectorAll('table')];
    tables.forEach((table, ti) => {
      const region = table.closest('[role=region]');
      const regionLabel = region && (region.getAttribute('aria-label')
        || (region.getAttribute('aria-labelledby') && document.getElementById(region.getAttribute('aria-labelledby'))?.textContent));
      const label = `tabell ${ti + 1} «${text(table.caption || { textContent: regionLabel || table.id || '' })}»`;
      const cells = [...table.querySelectorAll('th, td')]
        .filter((c) => c.closest('table') === table)
        .map((c) => ({ c, r: c.getBoundingClientRect() }))
        .filter(({ c, r }) => r.width > 1 && r.height > 1 && c.checkVisibility({ visibilityProperty: true }) && !clipped(c));
      const name = (c) => `rad ${c.parentElement.rowIndex + 1} kolumn ${c.cellIndex + 1} «${text(c)}»`;
      cells.sort((a, b) => a.r.top - b.r.top);
      for (let i = 0; i < cells.length; i++) {
        const a = cells[i];
        for (let j = i + 1; j < cells.length && cells[j].r.top < a.r.bottom - 1; j++) {
          const b = cells[j];
          const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
          const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
          if (x > 1 && y > 1) {
            problems.push(`${label}: ${name(a.c)} och ${name(b.c)} överlappar (${Math.round(x)}×${Math.round(y)} px)`);
          }
        }
        if (a.c.scrollWidth > a.c.clientWidth + 1) {
          problems.push(`${label}: innehållet i ${name(a.c)} är ${a.c.scrollWidth} px brett i en ${a.c.clientWidth} px bred cell`);
        }
      }
    });
    return problems;
  });
}

/** Fails unless the page fits its window and its tables are readable (see fitProblems). */
export async function assertFits(page, label) {
  const problems = await fitProblems(page);
  assert.deepEqual(problems, [], `${label} (${page.url()}):\n  ${problems.join('\n  ')}`);
}
