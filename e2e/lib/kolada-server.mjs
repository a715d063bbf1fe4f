// A stand-in for Kolada's API v3 on localhost, for browser tests (these machines have no
// internet): serves the demo's saved responses (demo/kolada/*.json) in the documented
// shapes, filtered by the ids in the path, paged with per_page and next_url. Every request
// is recorded so that a test can see what was asked for.

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT } from './harness.mjs';

function load(name) {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'demo', 'kolada', name), 'utf8')).values;
}

/** The ids of `segment` in a path like /v3/data/kpi/A,B/municipality/C: a set or null. */
function ids(parts, segment) {
  const i = parts.indexOf(segment);
  return i >= 0 && parts[i + 1] ? new Set(parts[i + 1].split(',')) : null;
}

export async function startKoladaServer({ perPage = 50 } = {}) {
  const data = load('data.json');
  const municipalities = load('municipality.json');
  const groups = load('municipality_groups.json');
  const kpis = load('kpi.json');
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    requests.push(url.pathname + url.search);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'v3') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    let values;
    if (parts[1] === 'data') {
      const k = ids(parts, 'kpi');
      const m = ids(parts, 'municipality');
      const y = ids(parts, 'year');
      values = data.filter((d) => (!k || k.has(d.kpi)) && (!m || m.has(d.municipality)) && (!y || y.has(String(d.period))));
    } else if (parts[1] === 'municipality') {
      const m = parts[2] ? new Set(parts[2].split(',')) : null;
      values = municipalities.filter((x) => !m || m.has(x.id));
    } else if (parts[1] === 'municipality_groups') {
      const g = parts[2] ? new Set(parts[2].split(',')) : null;
      values = groups.filter((x) => !g || g.has(x.id));
    } else if (parts[1] === 'kpi') {
      const k = parts[2] ? new Set(parts[2].split(',')) : null;
      values = kpis.filter((x) => !k || k.has(x.id));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    const per = Math.min(Number(url.searchParams.get('per_page')) || perPage, perPage);
    const page = Number(url.searchParams.get('page')) || 1;
    const slice = values.slice((page - 1) * per, page * per);
    let next = null;
    if (page * per < values.length) {
      const n = new URL(url);
      n.host = req.headers.host;
      n.searchParams.set('page', String(page + 1));
      n.searchParams.set('per_page', String(per));
      next = `http://${req.headers.host}${n.pathname}${n.search}`;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ values: slice, count: slice.length, next_url: next }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v3`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
