// Scores the public pages with Lighthouse (mobile preset, Debian's Chromium) and prints the
// four scores per page and the failed audits. Usage: node e2e/lighthouse.mjs BASE_URL
// (bench/lighthouse.sh starts the demo server and calls this).

import { formatFailing, formatScores, lighthouseAvailable, publicPages, runLighthouse } from './lib/lighthouse.mjs';

const base = process.argv[2];
if (!base) {
  console.error('Användning: node e2e/lighthouse.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
if (!lighthouseAvailable()) {
  console.error('lighthouse saknas i e2e/node_modules (npm ci i e2e/)');
  process.exit(77);
}
let below = 0;
for (const [label, path] of await publicPages(base)) {
  const result = await runLighthouse(new URL(path, base).toString());
  console.log(`${formatScores(label, result)}  ${path}`);
  const failing = formatFailing(result);
  if (failing) console.log(failing);
  for (const c of ['accessibility', 'best-practices', 'seo']) {
    if (result.scores[c] !== 100) below++;
  }
}
if (below) {
  console.log(`${below} poäng under 100 i tillgänglighet, god praxis eller SEO`);
  process.exit(1);
}
