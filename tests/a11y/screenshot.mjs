#!/usr/bin/env node
// Takes the README's screenshot of a running Udrul (scripts/screenshot starts one).
//
//   BASE_URL=http://127.0.0.1:8080 node tests/a11y/screenshot.mjs [page] [out.png]
//
// Logs in as SHOT_USER (default konsulent). Without a page: the follow-up page
// of the first task listed under /tasks that links to one. SHOT_LANG=en takes it
// in English (default: Danish, the app's default).

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
if (!BASE) { console.error('screenshot.mjs: set BASE_URL'); process.exit(2); }
const USER = process.env.SHOT_USER || 'konsulent';
const PASSWORD = process.env.SHOT_PASSWORD || 'udrul-demo';
const LANG = process.env.SHOT_LANG || 'da';
const target = process.argv[2] || '';
const out = resolve(process.argv[3] || resolve(here, '../../docs/screenshot.png'));
const FOLLOW_UP = /follow-?up|opf(o|ø|%C3%B8)lgning/i;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let code = 0;
try {
  const ctx = await browser.newContext({ locale: 'da-DK', viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);

  await page.goto(`${BASE}/login`);
  await page.fill('input[name=username]', USER);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([
    page.waitForNavigation(),
    page.locator('form:has(input[name=password])').locator('button[type=submit], button:not([type]), input[type=submit]').first().click(),
  ]);
  if (new URL(page.url()).pathname === '/login') throw new Error(`login as ${USER} failed`);
  if (LANG !== 'da') await page.goto(`${BASE}/language?lang=${encodeURIComponent(LANG)}&next=/`);

  let url = target ? new URL(target, BASE).href : null;
  if (!url) {
    // The first task on /tasks whose own page (or the list itself) links to a follow-up page.
    await page.goto(`${BASE}/tasks`);
    const links = async () => page.$$eval('main a[href]', (as) => as.map((a) => a.href));
    const listed = await links();
    url = listed.find((h) => FOLLOW_UP.test(h)) || null;
    const taskPages = [...new Set(listed.filter((h) => /\/tasks\/\d+\/?$/.test(new URL(h).pathname)))];
    for (const t of taskPages.slice(0, 30)) {
      if (url) break;
      await page.goto(t);
      url = (await links()).find((h) => FOLLOW_UP.test(h)) || null;
    }
    if (!url) throw new Error('no task under /tasks links to a follow-up page; pass the page to show as an argument');
  }
  const resp = await page.goto(url, { waitUntil: 'load' });
  if (!resp || resp.status() >= 400) throw new Error(`${url} answered ${resp && resp.status()}`);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: false });
  console.log(`screenshot of ${url} as ${USER} (${LANG}) -> ${out}`);
} catch (e) {
  console.error(`screenshot.mjs: ${e.message}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
