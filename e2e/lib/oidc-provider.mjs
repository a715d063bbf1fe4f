// A real OpenID Connect provider for the browser tests: the npm package `oidc-provider`
// (certified OpenID provider library) run in this process on 127.0.0.1, with one client,
// uppsikt. Its development sign-in pages accept any login name as the subject (`sub`).

import Provider from 'oidc-provider';

export const CLIENT_ID = 'uppsikt';
export const CLIENT_SECRET = 'testhemlighet-for-uppsikt-e2e';

/** Starts the provider on `port`; uppsikt must come back to `redirectUri`. */
export async function startProvider({ port, redirectUri }) {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, name: id }; } };
    },
    features: { devInteractions: { enabled: true } },
  });
  // The library warns that its development keys and interactions are not for production.
  provider.on('server_error', (ctx, err) => process.stderr.write(`oidc-provider: ${err.stack}\n`));
  const server = await new Promise((ok) => { const s = provider.listen(port, '127.0.0.1', () => ok(s)); });
  return {
    issuer,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
