// Single sign-on against a real OpenID provider run locally (npm `oidc-provider`): the
// whole authorization code flow in the browser, an account matched by its subject, a
// sign-in carried to another browser refused (the state is bound to the browser that
// began it), and a person with no account in uppsikt refused with a clear message.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { axeResults, formatViolations, freePort, serverBinary, startHarness, submit, visit } from '../lib/harness.mjs';
import { CLIENT_ID, CLIENT_SECRET, startProvider } from '../lib/oidc-provider.mjs';
import { steps } from '../lib/journey.mjs';

/** Signs in at uppsikt through the provider's own sign-in and consent pages. */
async function signInWithProvider(page, subject) {
  await visit(page, '/login');
  await Promise.all([
    page.waitForURL(/\/interaction\//),
    page.getByRole('link', { name: 'Logga in med organisationens konto' }).click(),
  ]);
  await page.locator('input[name="login"]').fill(subject);
  await page.locator('input[name="password"]').fill('vad-som-helst');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign-in' }).click()]);
  // First time: the provider asks the person to allow uppsikt.
  if (await page.getByRole('button', { name: 'Continue' }).count()) {
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Continue' }).click()]);
  }
  await page.waitForLoadState('load');
}

describe('inloggning via organisationens konto (OpenID Connect)', () => {
  let h;
  let idp;
  const step = steps();

  before(async () => {
    const appPort = await freePort();
    const idpPort = await freePort();
    const redirect = `http://127.0.0.1:${appPort}/login/oidc/callback`;
    idp = await startProvider({ port: idpPort, redirectUri: redirect });
    h = await startHarness({
      port: appPort,
      env: {
        UPPSIKT_OIDC_ISSUER: idp.issuer,
        UPPSIKT_OIDC_CLIENT_ID: CLIENT_ID,
        UPPSIKT_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        UPPSIKT_OIDC_REDIRECT_URL: redirect,
      },
    });
    // An editor of KS who signs in through the organisation: no password in uppsikt.
    execFileSync(serverBinary(), [
      '--database-url', `sqlite://${h.server.db}`, 'user', 'add', 'anna-sso',
      '--name', 'Anna Åström', '--role', 'editor', '--unit', 'KS', '--oidc-subject', 'anna.astrom@huddinge.se',
    ], { env: { ...process.env, RUST_LOG: 'warn' } });
  });
  after(async () => {
    await h?.close();
    await idp?.close();
  });

  it('inloggningssidan erbjuder organisationens konto och är tillgänglig', step('sidan', async (t) => {
    const page = await h.newPage();
    await visit(page, '/login');
    assert.equal(await page.getByRole('link', { name: 'Logga in med organisationens konto' }).count(), 1);
    const { violations } = await axeResults(page);
    if (violations.length) {
      const report = formatViolations('inloggningssidan med SSO', violations);
      t.diagnostic(report);
      assert.fail(report);
    }
  }));

  it('ett konto med rätt subject loggas in och kan arbeta', step('inloggning', async () => {
    const page = await h.newPage();
    await signInWithProvider(page, 'anna.astrom@huddinge.se');
    assert.equal(new URL(page.url()).origin, h.base, 'tillbaka i uppsikt');
    assert.match(await page.locator('header form.user').innerText(), /Inloggad som Anna Åström \(redaktör\)/);
    // The session works like any other: a KS page with edit links.
    await visit(page, '/');
    await page.getByRole('link', { name: 'Kommunstyrelsen', exact: true }).click();
    await page.waitForLoadState('load');
    assert.equal(await page.getByRole('link', { name: /Bedöm sammanvägd/ }).count(), 1);
  }));

  it('en inloggning som påbörjats i en annan webbläsare avvisas', step('annan webbläsare', async () => {
    // The attacker signs in at the provider but stops where the provider sends the browser
    // back to uppsikt, and gets a victim to open that address (login CSRF). The browser
    // follows redirects on its own, so the provider's forms are sent from the attacker's
    // browser context (same cookies) with redirects followed one at a time.
    const attacker = await h.newPage();
    const callback = /\/login\/oidc\/callback\?/;
    await visit(attacker, '/login');
    await Promise.all([
      attacker.waitForURL(/\/interaction\//),
      attacker.getByRole('link', { name: 'Logga in med organisationens konto' }).click(),
    ]);
    const request = attacker.context().request;
    const action = new URL(await attacker.locator('form').first().getAttribute('action'), attacker.url()).href;
    let res = await request.post(action, {
      form: { prompt: 'login', login: 'anna.astrom@huddinge.se', password: 'vad-som-helst' },
      maxRedirects: 0,
    });
    let callbackUrl = null;
    for (let hop = 0; hop < 10 && !callbackUrl; hop++) {
      const location = res.headers().location;
      if (location) {
        const next = new URL(location, res.url()).href;
        if (callback.test(next)) callbackUrl = next;
        else res = await request.get(next, { maxRedirects: 0 });
      } else {
        // The provider's consent page: allow.
        const form = (await res.text()).match(/<form[^>]*action="([^"]+)"/);
        assert.ok(form, `ett formulär hos inloggningstjänsten (${res.url()})`);
        res = await request.post(new URL(form[1], res.url()).href, { form: { prompt: 'consent' }, maxRedirects: 0 });
      }
    }
    assert.ok(callbackUrl, 'inloggningstjänsten skickade tillbaka till uppsikt');

    const victim = await h.newPage();
    const refused = await victim.goto(callbackUrl, { waitUntil: 'load' });
    assert.equal(refused.status(), 403);
    assert.match(await victim.locator('main').innerText(), /startades inte i den här webbläsaren/);
    assert.equal(await victim.locator('header form.user').count(), 0, 'offret är inte inloggat');
    await visit(victim, '/');
    assert.equal(await victim.locator('header form.user').count(), 0, 'offret är inte inloggat');

    // The same (unused) answer in the browser that began the sign-in signs in.
    await attacker.goto(callbackUrl, { waitUntil: 'load' });
    assert.match(await attacker.locator('header form.user').innerText(), /Inloggad som Anna Åström/);
  }));

  it('den som saknar konto i uppsikt får ett tydligt nej', step('okänd', async () => {
    const page = await h.newPage();
    await signInWithProvider(page, 'okand@huddinge.se');
    assert.match(await page.locator('main').innerText(), /har inget aktivt konto i uppsikt/);
    assert.equal(await page.locator('header form.user').count(), 0, 'inte inloggad');
  }));
});
