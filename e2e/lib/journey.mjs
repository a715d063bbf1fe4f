// The way a person reaches the indicator of the main journey: by following links only.

import assert from 'node:assert/strict';

import { followLink, idFromPath, visit } from './harness.mjs';

export const BOARD = 'Kommunstyrelsen';
export const GOAL = 'Ökad trivsel och trygghet i Huddinges områden';
export const INDICATOR = 'Betygsindex för trygghet';

/**
 * Start page → board → goal → indicator. `onPage(name, page)` runs on each page on the way
 * (for screenshots and axe). Returns the ids and URLs seen.
 */
export async function walkToIndicator(page, onPage = async () => {}) {
  await visit(page, '/');
  await onPage('start', page);

  await followLink(page, BOARD);
  const orgId = idFromPath(page.url(), 'org');
  assert.match(await page.locator('h1').innerText(), new RegExp(`^${BOARD}`));
  await onPage('board', page);

  await followLink(page, GOAL, page.locator('main'));
  const goalId = idFromPath(page.url(), 'goals');
  const goalUrl = page.url();
  assert.equal((await page.locator('h1').innerText()).trim(), GOAL);
  await onPage('goal', page);

  await followLink(page, INDICATOR, page.locator('main'));
  const indicatorId = idFromPath(page.url(), 'indicators');
  assert.equal((await page.locator('h1').innerText()).trim(), INDICATOR);
  await onPage('indicator', page);

  return { orgId, goalId, goalUrl, indicatorId, indicatorUrl: page.url() };
}

/** The trimmed text of the element with this id. */
export async function textOf(page, id) {
  return (await page.locator(`#${id}`).innerText()).trim();
}

/**
 * Steps of one journey that share state: once a step fails, the later ones are skipped
 * (with the reason) instead of failing with confusing follow-on errors.
 */
export function steps() {
  let failed = null;
  return (name, fn) => async (t) => {
    if (failed) {
      t.skip(`hoppas över: steget "${failed}" misslyckades`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      throw e;
    }
  };
}
