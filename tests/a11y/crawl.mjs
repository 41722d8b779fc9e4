#!/usr/bin/env node
// Accessibility crawl of a running Udrul: logs in as several demo users,
// follows every same-origin GET link (a[href]) and runs axe-core (WCAG 2.0/2.1
// A and AA) on every HTML page, in Danish (the default) and in English (via
// the language switch link). On pages with a POST form it also submits the
// form once empty, so the server's error summary is checked too.
//
//   BASE_URL=http://127.0.0.1:8080 node tests/a11y/crawl.mjs
//
// After the crawl it checks by hand what axe cannot see (A11Y_HAND=0 skips):
// after a status form is sent with an error, the focus is on the error
// summary and the title says so; the keyboard focus ring has 3:1 against the
// blue header and the white page; at a phone's width (375 px) the cells of
// tables shown as cards name their column.
//
// Exit status: 0 clean; 1 violations, unexpected 4xx/5xx, a failed login or
// too few pages; 2 the crawler itself broke. A JSON report goes to
// target/a11y-report.json (A11Y_REPORT overrides).
//
// Knobs (environment), all optional but BASE_URL:
//   A11Y_USERS        comma-separated logins (default admin,konsulent,bruger-101,admin-101,
//                     revisor: central administrator, project staff, member user, the
//                     member administrator of the demo's robot, auditor; empty: anonymous
//                     pages only)
//   A11Y_PASSWORD     their password (default udrul-demo)
//   A11Y_READ_ONLY    logins that may only read (default revisor): their pages are
//                     checked, but no form is submitted (the server refuses with 403)
//   A11Y_MAX_PAGES    cap on pages checked in all (default 400)
//   A11Y_SESSION_MAX  cap per user and language (default 70 Danish; English gets half)
//   A11Y_PER_PATTERN  visits per URL pattern in Danish (default 3; English 1)
//   A11Y_TIME_LIMIT_S stop crawling after this many seconds (default 1200)
//   A11Y_MIN_PAGES    fewer pages than this fails the run (default 10)
//   A11Y_START        the anonymous start page (default /login)
//   A11Y_EXTRA_PAGES  more anonymous start pages, comma-separated (default /api/v1/docs)
//   CHROMIUM          the browser (default /usr/bin/chromium)

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------- settings
const env = (k, d) => (process.env[k] === undefined ? d : process.env[k]);
const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
if (!BASE) {
  console.error('crawl.mjs: set BASE_URL, e.g. BASE_URL=http://127.0.0.1:8080');
  process.exit(2);
}
const ORIGIN = new URL(BASE).origin;
const USERS = env('A11Y_USERS', 'admin,konsulent,bruger-101,admin-101,revisor')
  .split(',').map((s) => s.trim()).filter(Boolean);
const PASSWORD = env('A11Y_PASSWORD', 'udrul-demo');
const READ_ONLY = new Set(env('A11Y_READ_ONLY', 'revisor').split(',').map((s) => s.trim()).filter(Boolean));
const MAX_PAGES = Number(env('A11Y_MAX_PAGES', '400'));
const SESSION_MAX = Number(env('A11Y_SESSION_MAX', '70'));
const PER_PATTERN = Number(env('A11Y_PER_PATTERN', '3'));
const PER_PATH = 10; // visits per path pattern, whatever its query keys
const TIME_LIMIT_MS = Number(env('A11Y_TIME_LIMIT_S', '1200')) * 1000;
const MIN_PAGES = Number(env('A11Y_MIN_PAGES', '10'));
const START = env('A11Y_START', '/login');
const EXTRA = env('A11Y_EXTRA_PAGES', '/api/v1/docs').split(',').map((s) => s.trim()).filter(Boolean);
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const REPORT = resolve(env('A11Y_REPORT', resolve(here, '../../target/a11y-report.json')));
const NAV_TIMEOUT = 30_000;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_VERSION = JSON.parse(readFileSync(require.resolve('axe-core/package.json'), 'utf8')).version;

// Links never followed. Downloads are also caught by content type below.
const DOWNLOAD_EXT = /\.(csv|xlsx?|ods|pdf|zip|gz|json|ics|xml|txt|png|jpe?g|gif|svg|ico|css|js|map|woff2?)$/i;
const DOWNLOAD_QUERY = /(^|&)(format|download)=(csv|xlsx?|json|ics|pdf|1|true)(&|$)/i;
// Forms never submitted by the empty-form check (action, formaction or button value).
const DANGEROUS = /logout|log-out|withdraw|close|publish|delete|remove|revoke|archive|slet|luk|udgiv|publicer|tilbagetr|tilbagekald|arkiv/i;
// Answers to an empty form that mean "the server said no, politely".
const FORM_OK_STATUS = new Set([400, 409, 422, 429]);

const t0 = Date.now();
const deadline = t0 + TIME_LIMIT_MS;
const pages = []; // every page checked
const problems = []; // failures that are not axe violations
const warnings = [];
const skipped = {}; // reason -> count
let stopReason = null;
const cspSeen = new Set();

const problem = (p) => { problems.push(p); console.log(`  !! ${p.type}: ${p.message}${p.url ? ` (${p.url})` : ''}`); };
const warn = (w) => { warnings.push(w); console.log(`  ?? ${w}`); };
const skip = (reason) => { skipped[reason] = (skipped[reason] || 0) + 1; };
const rel = (u) => { try { const x = new URL(u); return x.origin === ORIGIN ? x.pathname + x.search : u; } catch { return u; } };

// ---------------------------------------------------------------- URLs
/** Absolute URL without fragment, or null if not a same-origin http(s) page. */
function normalise(href, base) {
  let u;
  try { u = new URL(href, base); } catch { return null; }
  if (u.origin !== ORIGIN) return null;
  u.hash = '';
  return u.href;
}

/** `/tasks/31/follow-up?region=Hovedstaden` -> `/tasks/:id/follow-up?region` */
function pathPattern(u) {
  return u.pathname.split('/').map((seg) => {
    if (/^[0-9a-f-]{16,}$/i.test(seg) || /^[A-Za-z0-9_-]{24,}$/.test(seg)) return ':key';
    return seg.replace(/\d+/g, ':id');
  }).join('/');
}
function pattern(href) {
  const u = new URL(href);
  const keys = [...new Set([...u.searchParams.keys()])].sort();
  return pathPattern(u) + (keys.length ? `?${keys.join('&')}` : '');
}

/** Why a link is not crawled, or null. */
function skipReason(href) {
  const u = new URL(href);
  const p = u.pathname;
  if (/^\/logout(\/|$)/i.test(p)) return 'logout';
  if (/^\/language(\/|$)/i.test(p)) return 'language switch (checked separately)';
  if (DOWNLOAD_EXT.test(p) || DOWNLOAD_QUERY.test(u.search.slice(1))) return 'download';
  if (/^\/api\//i.test(p) && !/\/docs\/?$/i.test(p)) return 'API (JSON)';
  if (/^\/static\//i.test(p)) return 'static file';
  return null;
}

// ---------------------------------------------------------------- axe
// The pages are checked as served, under their own Content-Security-Policy
// (no bypassCSP: inline styles the policy blocks stay blocked, as for users).
// That policy forbids inline scripts, so page.addScriptTag({content}) is
// refused; evaluating the source through the DevTools protocol is not subject
// to it. addScriptTag stays as the fallback.
async function runAxe(page) {
  const loaded = () => page.evaluate(() => typeof window.axe !== 'undefined');
  if (!(await loaded())) {
    try { await page.evaluate(AXE_SOURCE); } catch (e) { /* falls back below */ }
  }
  if (!(await loaded())) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))),
        html: (n.html || '').slice(0, 300),
        summary: (n.failureSummary || '').slice(0, 500),
      })),
    }));
  }, AXE_TAGS);
}

// ---------------------------------------------------------------- a session
// One user (or anonymous) in one language: a breadth-first crawl with a budget.
class Session {
  constructor(ctx, page, user, lang, budget, perPattern) {
    Object.assign(this, { ctx, page, user, lang, budget, perPattern });
    this.label = `${user || 'anonymous'}/${lang}`;
    this.seen = new Set();
    this.queue = []; // {url, from}
    this.visits = new Map(); // pattern -> visits
    this.pathVisits = new Map();
    this.formTried = new Set(); // patterns whose empty form was submitted
    this.checked = new Set(); // final URLs checked
    this.count = 0;
  }

  enqueue(url, from) {
    if (!url || this.seen.has(url) || this.checked.has(url)) return;
    this.seen.add(url);
    const why = skipReason(url);
    if (why) { skip(why); return; }
    this.queue.push({ url, from, pat: pattern(url), path: pathPattern(new URL(url)) });
  }

  /** The next link: a pattern not seen yet first, else the oldest one still under its cap. */
  next() {
    const open = (q) => (this.visits.get(q.pat) || 0) < this.perPattern && (this.pathVisits.get(q.path) || 0) < PER_PATH;
    let i = this.queue.findIndex((q) => !this.visits.has(q.pat) && open(q));
    if (i < 0) i = this.queue.findIndex(open);
    if (i < 0) {
      for (let k = 0; k < this.queue.length; k++) skip('URL pattern already checked often enough');
      this.queue = [];
      return null;
    }
    return this.queue.splice(i, 1)[0];
  }

  full() {
    if (pages.length >= MAX_PAGES) { stopReason ??= `page cap ${MAX_PAGES} reached`; return true; }
    if (Date.now() > deadline) { stopReason ??= `time limit ${TIME_LIMIT_MS / 1000} s reached`; return true; }
    return this.count >= this.budget;
  }

  async crawl(starts) {
    starts = [...new Set(starts.map((s) => normalise(s, BASE)))];
    for (const s of starts) this.enqueue(s, null);
    console.log(`\n== ${this.label}: crawling from ${starts.map(rel).join(', ')}`);
    let item;
    while (!this.full() && (item = this.next())) {
      this.visits.set(item.pat, (this.visits.get(item.pat) || 0) + 1);
      this.pathVisits.set(item.path, (this.pathVisits.get(item.path) || 0) + 1);
      await this.visit(item);
    }
    const left = this.queue.length;
    if (left && this.full()) warn(`${this.label}: stopped with ${left} links not visited (${stopReason || `session budget ${this.budget}`})`);
  }

  async visit({ url, from }) {
    const { page, ctx } = this;
    if (this.checked.has(url)) { skip('redirect to a page checked already'); return; }
    // A cheap look first, so that downloads and JSON are not opened in the browser.
    let head;
    try {
      head = await ctx.request.fetch(url, { method: 'HEAD', maxRedirects: 10, failOnStatusCode: false, timeout: NAV_TIMEOUT });
      if (head.status() === 405 || head.status() === 501) {
        head = await ctx.request.fetch(url, { method: 'GET', maxRedirects: 10, failOnStatusCode: false, timeout: NAV_TIMEOUT });
      }
    } catch (e) {
      problem({ type: 'network', session: this.label, url: rel(url), from: from && rel(from), message: `request failed: ${e.message.split('\n')[0]}` });
      return;
    }
    const hh = head.headers();
    if (head.status() < 400 && (/attachment/i.test(hh['content-disposition'] || '') || !/text\/html/i.test(hh['content-type'] || ''))) {
      skip('download or not HTML (by content type)');
      return;
    }
    let resp;
    try {
      resp = await page.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT });
    } catch (e) {
      if (/Download is starting|ERR_ABORTED/i.test(e.message)) { skip('download or not HTML (by content type)'); return; }
      problem({ type: 'navigation', session: this.label, url: rel(url), from: from && rel(from), message: e.message.split('\n')[0] });
      return;
    }
    if ((await this.check(url, from, resp, 'page')) && resp && resp.status() < 400) await this.tryEmptyForm(url);
  }

  /** Checks the page now in the browser: status, language, axe; collects its links. */
  async check(url, from, resp, kind) {
    const { page } = this;
    const started = Date.now();
    const status = resp ? resp.status() : 0;
    const finalUrl = page.url();
    const ctype = resp ? (resp.headers()['content-type'] || '') : 'text/html';
    const rec = { session: this.label, user: this.user, lang: this.lang, kind, url: rel(url), finalUrl: rel(finalUrl), from: from && rel(from), status, violations: [], ms: 0 };
    const unexpected = kind === 'page' ? status >= 400 : (status >= 400 && !FORM_OK_STATUS.has(status));
    if (unexpected) {
      problem({ type: 'http', session: this.label, url: rel(url), from: from && rel(from), status,
        message: kind === 'page' ? `HTTP ${status} for a page reached by a link` : `HTTP ${status} after submitting an empty form` });
    }
    if (new URL(finalUrl).origin !== ORIGIN) { skip('redirected off-site'); return; }
    if (!/text\/html/i.test(ctype)) { skip('download or not HTML (by content type)'); return; }
    // A link that only redirects to a page checked already (say / -> /login) adds nothing.
    if (kind === 'page' && !unexpected && normalise(finalUrl, BASE) !== url && this.checked.has(normalise(finalUrl, BASE))) {
      skip('redirect to a page checked already');
      return;
    }
    this.checked.add(normalise(finalUrl, BASE));
    this.count++;
    pages.push(rec);
    if (this.user && new URL(finalUrl).pathname === '/login' && new URL(url).pathname !== '/login') {
      problem({ type: 'session', session: this.label, url: rel(url), from: from && rel(from), message: 'sent to the login page while logged in' });
    }
    const htmlLang = (await page.evaluate(() => document.documentElement.getAttribute('lang') || '').catch(() => '')).toLowerCase();
    if (!htmlLang.startsWith(this.lang)) {
      problem({ type: 'language', session: this.label, url: rel(url), message: `<html lang="${htmlLang}"> but the session chose ${this.lang}` });
    }
    try {
      rec.violations = await runAxe(page);
    } catch (e) {
      problem({ type: 'axe', session: this.label, url: rel(url), message: `axe-core did not run: ${e.message.split('\n')[0]}` });
    }
    rec.ms = Date.now() - started;
    const n = rec.violations.reduce((a, v) => a + v.nodes.length, 0);
    console.log(`  ${String(status).padStart(3)} ${n ? `${String(n).padStart(3)} violation(s)` : '  ok'.padEnd(16)} ${kind === 'page' ? '' : '[empty form] '}${rel(url)}${rel(finalUrl) !== rel(url) ? ` -> ${rel(finalUrl)}` : ''}`);
    if (kind === 'page') {
      const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href'))).catch(() => []);
      for (const h of hrefs) this.enqueue(normalise(h, finalUrl), finalUrl);
      // GET forms (filters such as ?region=) lead to pages too: their default
      // submission, and the first two choices of each <select>.
      const variants = await page.$$eval('form', (forms) => {
        const out = [];
        for (const f of forms) {
          if ((f.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
          const action = new URL(f.getAttribute('action') || location.href, location.href);
          const build = () => { const u = new URL(action); u.search = new URLSearchParams(new FormData(f)).toString(); return u.href; };
          out.push(build());
          const selects = [...f.querySelectorAll('select:not([multiple])')];
          for (const round of [0, 1]) { // one choice of every select before the second of any
            for (const sel of selects) {
              const o = [...sel.options].filter((x) => x.value !== '' && !x.disabled && !x.selected)[round];
              if (!o) continue;
              const before = sel.selectedIndex;
              sel.value = o.value;
              out.push(build());
              sel.selectedIndex = before;
            }
          }
        }
        return out;
      }).catch(() => []);
      for (const v of variants) this.enqueue(normalise(v, finalUrl), finalUrl);
    }
    return true;
  }

  /** Submits the page's first harmless POST form once per URL pattern, empty. */
  async tryEmptyForm(url) {
    const pat = pathPattern(new URL(this.page.url())); // query variants share their form
    if (this.formTried.has(pat) || this.full()) return;
    if (READ_ONLY.has(this.user)) { skip('form of a read-only user (not submitted)'); return; }
    const { page } = this;
    const picked = await page.evaluate((dangerous) => {
      const bad = new RegExp(dangerous, 'i');
      const forms = [...document.forms];
      for (const f of forms) {
        if ((f.getAttribute('method') || 'get').toLowerCase() !== 'post') continue;
        if (bad.test(f.getAttribute('action') || '')) continue;
        if (!f.querySelector('[required], input[type=text], input:not([type]), textarea')) continue;
        const btn = f.querySelector('button[type=submit], button:not([type]), input[type=submit]');
        if (!btn) continue;
        if (bad.test(btn.getAttribute('formaction') || '') || bad.test(btn.getAttribute('value') || '')) continue;
        // Empty it and let the browser send it as it is.
        f.noValidate = true;
        for (const el of f.querySelectorAll('input, textarea, select')) {
          for (const a of ['required', 'pattern', 'min', 'max', 'minlength', 'maxlength']) el.removeAttribute(a);
          const type = (el.getAttribute('type') || 'text').toLowerCase();
          if (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && !['hidden', 'checkbox', 'radio', 'submit', 'button', 'reset', 'file', 'image'].includes(type))) el.value = '';
        }
        btn.setAttribute('data-a11y-crawl-submit', '1');
        return f.getAttribute('action') || location.pathname;
      }
      return null;
    }, DANGEROUS.source).catch(() => null);
    if (!picked) return;
    this.formTried.add(pat);
    try {
      const nav = page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT });
      await page.locator('[data-a11y-crawl-submit]').first().click({ timeout: 10_000 });
      const resp = await nav;
      await this.check(url, url, resp, 'form');
    } catch (e) {
      warn(`${this.label}: empty form to ${picked} on ${rel(url)} did not load a page: ${e.message.split('\n')[0]}`);
    }
  }
}

// ---------------------------------------------------------------- login, language
async function login(page, user) {
  await page.goto(`${BASE}/login`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', PASSWORD);
  const form = page.locator('form:has(input[name=password])');
  const nav = page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT });
  await form.locator('button[type=submit], button:not([type]), input[type=submit]').first().click();
  const resp = await nav;
  const path = new URL(page.url()).pathname;
  const loggedOut = await page.locator('form[action*="logout"]').count() === 0;
  if ((resp && resp.status() >= 400) || path === '/login' || loggedOut) {
    throw new Error(`login as ${user} failed: HTTP ${resp && resp.status()}, now at ${rel(page.url())}${loggedOut ? ', no logout button' : ''}`);
  }
}

/** Switches to English the way a person would: the language link on the page. */
async function switchToEnglish(page, label) {
  const link = page.locator('a[hreflang="en"], a[href*="lang=en"]').first();
  if (await link.count()) {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }), link.click()]);
  } else {
    problem({ type: 'language', session: label, url: rel(page.url()), message: 'no link to English on the page' });
    await page.goto(`${BASE}/language?lang=en&next=/`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
  }
  const lang = await page.evaluate(() => document.documentElement.getAttribute('lang') || '');
  if (!lang.toLowerCase().startsWith('en')) {
    problem({ type: 'language', session: label, url: rel(page.url()), message: `after the language switch <html lang="${lang}">` });
  }
}

// ---------------------------------------------------------------- by hand
// What axe cannot see. Each check that fails is a problem like any other.
const HAND = env('A11Y_HAND', '1') !== '0';
const HAND_USER = env('A11Y_HAND_USER', 'bruger-101');

/** [r, g, b, a] of a computed CSS colour ("rgb(1, 2, 3)", "rgba(1, 2, 3, 0.5)"). */
function parseColour(c) {
  const m = /rgba?\(([^)]+)\)/.exec(c || '');
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
/** WCAG 2.1 contrast ratio of two opaque colours. */
function contrast(a, b) {
  const lum = ([r, g, bl]) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(bl);
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** The focus ring of the element `selector` after reaching it with Tab. */
async function ringOf(page, selector) {
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement && document.activeElement.matches(sel), selector)) {
      return page.evaluate(() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        // The background the ring is drawn on: the nearest opaque one.
        let n = el.parentElement; let bg = 'rgb(255, 255, 255)';
        while (n) { const c = getComputedStyle(n).backgroundColor; if (c && !/rgba\(0, 0, 0, 0\)|transparent/.test(c)) { bg = c; break; } n = n.parentElement; }
        return { outline: cs.outlineColor, style: cs.outlineStyle, width: cs.outlineWidth, shadow: cs.boxShadow, bg, visible: el.matches(':focus-visible') };
      });
    }
  }
  return null;
}

async function handChecks(browser) {
  console.log(`\n== by hand (as ${HAND_USER}): focus after a form error, focus ring contrast, card labels`);
  const fail = (message, url) => problem({ type: 'by hand', session: HAND_USER, url: url && rel(url), message });
  const ctx = await browser.newContext({ locale: 'da-DK', viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(NAV_TIMEOUT);
  const page = await ctx.newPage();
  try {
    await login(page, HAND_USER);
    await page.goto(`${BASE}/`, { waitUntil: 'load' });
    // 1. A status form sent with an error: the summary has the focus.
    const links = await page.$$eval('a[href^="/instances/"]', (as) => as.map((a) => a.href));
    let tried = null;
    for (const href of links.slice(0, 15)) {
      await page.goto(href, { waitUntil: 'load' });
      if (!(await page.locator('#not_relevant_reason').count())) continue;
      tried = href;
      await page.check('#status-ikke_relevant');
      await page.fill('#not_relevant_reason', '');
      const nav = page.waitForNavigation({ waitUntil: 'load' });
      await page.locator('form[action^="/instances/"] button[type=submit]').click();
      const resp = await nav;
      await page.waitForTimeout(200);
      const got = await page.evaluate(() => ({
        active: document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : null,
        title: document.title,
        first: document.querySelector('main') && document.querySelector('main').firstElementChild && document.querySelector('main').firstElementChild.id,
      }));
      const ok = resp && resp.status() === 422 && got.active === 'error-summary' && got.title.startsWith('Fejl: ') && got.first === 'error-summary';
      console.log(`  ${ok ? 'ok' : '!!'} after a form error: HTTP ${resp && resp.status()}, focus on ${got.active}, first in <main>: ${got.first}, title "${got.title}"`);
      if (!ok) fail(`after a form error the focus is on ${got.active} (want error-summary, first in <main>: ${got.first}), title "${got.title}"`, href);
      break;
    }
    if (!tried) fail('no open task with a status form to send with an error', `${BASE}/`);

    // 2. The keyboard focus ring: 3:1 against the header and against the page.
    // (On the task page: its status form's button is a few Tabs away.)
    await page.goto(tried || `${BASE}/`, { waitUntil: 'load' });
    for (const [where, sel] of [['header', '.site-header a.brand'], ['page', 'main a'], ['button', 'main button[type=submit]']]) {
      const r = await ringOf(page, sel);
      if (!r) { fail(`could not reach ${sel} with Tab`, page.url()); continue; }
      const o = parseColour(r.outline); const bg = parseColour(r.bg);
      const ratio = o && bg ? contrast(o, bg) : 0;
      const ok = r.visible && r.style !== 'none' && parseFloat(r.width) >= 2 && ratio >= 3;
      console.log(`  ${ok ? 'ok' : '!!'} focus ring in the ${where}: outline ${r.outline} ${r.width} on ${r.bg}: ${ratio.toFixed(2)}:1`);
      if (!ok) fail(`focus ring in the ${where} (${sel}): outline ${r.style} ${r.width} ${r.outline} on ${r.bg} is ${ratio.toFixed(2)}:1 (needs 3:1)`, page.url());
    }
  } catch (e) {
    fail(`by-hand checks broke: ${e.message.split('\n')[0]}`, page.url());
  } finally {
    await ctx.close().catch(() => {});
  }

  // 3. A phone: rows are cards, and every cell names its column.
  const phone = await browser.newContext({ locale: 'da-DK', viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
  phone.setDefaultTimeout(NAV_TIMEOUT);
  const p2 = await phone.newPage();
  try {
    await login(p2, HAND_USER);
    await p2.goto(`${BASE}/`, { waitUntil: 'load' });
    const cells = await p2.$$eval('table.list tbody tr:first-child td', (tds) => tds.map((td) => ({
      label: td.getAttribute('data-label'),
      before: getComputedStyle(td, '::before').content,
      display: getComputedStyle(td).display,
      head: td.closest('table').querySelector('thead') && getComputedStyle(td.closest('table').querySelector('thead')).display,
    })));
    const bad = cells.filter((c) => c.label && !(c.before || '').includes(c.label));
    const ok = cells.length > 0 && bad.length === 0 && cells.every((c) => c.display === 'block') && cells[0].head === 'none' && cells.some((c) => c.label === 'Ansvarlig');
    console.log(`  ${ok ? 'ok' : '!!'} at 375 px: ${cells.length} cells, labels ${cells.map((c) => c.before).join(' | ')}`);
    if (!ok) fail(`at 375 px the card cells do not show their column: ${JSON.stringify(cells)}`, p2.url());
  } catch (e) {
    fail(`phone check broke: ${e.message.split('\n')[0]}`, p2.url());
  } finally {
    await phone.close().catch(() => {});
  }
}

// ---------------------------------------------------------------- report
function report() {
  const violations = [];
  for (const p of pages) for (const v of p.violations) for (const n of v.nodes) {
    violations.push({ rule: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, session: p.session, url: p.url, kind: p.kind, target: n.target.join(', '), html: n.html, summary: n.summary });
  }
  const byRule = new Map();
  for (const v of violations) {
    if (!byRule.has(v.rule)) byRule.set(v.rule, { rule: v.rule, impact: v.impact, help: v.help, helpUrl: v.helpUrl, items: [] });
    byRule.get(v.rule).items.push(v);
  }

  console.log(`\n== Pages checked: ${pages.length}`);
  console.log('status  viol  session                  page');
  for (const p of pages) {
    const n = p.violations.reduce((a, v) => a + v.nodes.length, 0);
    console.log(`${String(p.status).padEnd(7)} ${String(n).padStart(4)}  ${p.session.padEnd(24)} ${p.kind === 'form' ? '[empty form] ' : ''}${p.url}`);
  }
  if (Object.keys(skipped).length) {
    console.log('\n== Links not checked');
    for (const [k, v] of Object.entries(skipped)) console.log(`${String(v).padStart(6)}  ${k}`);
  }
  if (byRule.size) {
    console.log('\n== axe-core violations (WCAG 2.1 A/AA)');
    for (const r of byRule.values()) {
      console.log(`\n${r.rule} [${r.impact}] ${r.help}\n  ${r.helpUrl}`);
      const shown = r.items.slice(0, 15);
      for (const v of shown) console.log(`  - ${v.session} ${v.kind === 'form' ? '[empty form] ' : ''}${v.url}\n      ${v.target}\n      ${v.html.replace(/\s+/g, ' ').slice(0, 160)}`);
      if (r.items.length > shown.length) console.log(`  ... and ${r.items.length - shown.length} more (see the JSON report)`);
    }
  }
  if (problems.length) {
    console.log('\n== Other failures');
    for (const p of problems) console.log(`- ${p.type}${p.status ? ` ${p.status}` : ''}: ${p.message}: ${p.session || ''} ${p.url || ''}${p.from ? ` (linked from ${p.from})` : ''}`);
  }
  if (warnings.length) {
    console.log('\n== Warnings (not failures)');
    for (const w of warnings) console.log(`- ${w}`);
  }
  const tooFew = pages.length < MIN_PAGES;
  const ok = violations.length === 0 && problems.length === 0 && !tooFew;
  const summary = { pages: pages.length, violations: violations.length, rules: [...byRule.keys()], problems: problems.length, warnings: warnings.length, ok };
  try {
    mkdirSync(dirname(REPORT), { recursive: true });
    writeFileSync(REPORT, JSON.stringify({
      base: BASE, started: new Date(t0).toISOString(), seconds: Math.round((Date.now() - t0) / 1000),
      axeCore: AXE_VERSION, tags: AXE_TAGS, users: USERS, stopReason, summary,
      violationsByRule: [...byRule.values()].map((r) => ({ rule: r.rule, impact: r.impact, help: r.help, helpUrl: r.helpUrl, count: r.items.length })),
      violations, problems, warnings, skipped, pages,
    }, null, 2));
    console.log(`\nReport: ${REPORT}`);
  } catch (e) {
    console.log(`\ncould not write ${REPORT}: ${e.message}`);
  }
  console.log(`\na11y: ${pages.length} pages checked in ${Math.round((Date.now() - t0) / 1000)} s, ` +
    `${violations.length} axe violation(s) in ${byRule.size} rule(s), ${problems.length} other failure(s)` +
    `${stopReason ? `; stopped early: ${stopReason}` : ''}`);
  if (tooFew) console.log(`a11y: FAILED: only ${pages.length} pages checked (fewer than ${MIN_PAGES}): did the logins work?`);
  console.log(ok ? 'a11y: OK' : 'a11y: FAILED');
  return ok;
}

// ---------------------------------------------------------------- main
async function main() {
  // launch() gives the browser a fresh, temporary user-data-dir of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  console.log(`a11y: ${BASE} with Chromium ${browser.version()}, axe-core ${AXE_VERSION}, users: ${USERS.join(', ') || '(none)'}`);
  try {
    const who = [null, ...USERS];
    for (const user of who) {
      if (pages.length >= MAX_PAGES || Date.now() > deadline) break;
      // A fresh context per user: its own cookies. Danish is asked for, as a Danish browser would.
      const ctx = await browser.newContext({ locale: 'da-DK', viewport: { width: 1280, height: 900 } });
      ctx.setDefaultTimeout(NAV_TIMEOUT);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => warn(`${user || 'anonymous'}: script error on ${rel(page.url())}: ${e.message}`));
      // Something the page's own CSP blocked (an inline style, say): the page looks different from what was meant.
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
          const key = `${pathPattern(new URL(page.url()))} ${m.text().slice(0, 80)}`;
          if (!cspSeen.has(key)) { cspSeen.add(key); warn(`${user || 'anonymous'}: CSP blocked something on ${rel(page.url())}: ${m.text().slice(0, 300)}`); }
        }
      });
      const label = user || 'anonymous';
      try {
        if (user) {
          console.log(`\n== logging in as ${user}`);
          await login(page, user);
        }
        const start = user ? page.url() : `${BASE}${START}`;
        const da = new Session(ctx, page, user, 'da', user ? SESSION_MAX : 30, PER_PATTERN);
        await da.crawl(user ? [start, `${BASE}/`] : [start, ...EXTRA.map((p) => BASE + p)]);
        if (pages.length >= MAX_PAGES || Date.now() > deadline) break;
        await page.goto(user ? `${BASE}/` : `${BASE}${START}`, { waitUntil: 'load', timeout: NAV_TIMEOUT });
        await switchToEnglish(page, `${label}/en`);
        const en = new Session(ctx, page, user, 'en', user ? Math.ceil(SESSION_MAX / 2) : 15, 1);
        await en.crawl(user ? [page.url(), `${BASE}/`] : [page.url(), `${BASE}${START}`, ...EXTRA.map((p) => BASE + p)]);
      } catch (e) {
        problem({ type: user ? 'login' : 'crawl', session: label, message: e.message.split('\n')[0] });
      } finally {
        await ctx.close().catch(() => {});
      }
    }
    if (HAND && USERS.length) await handChecks(browser);
  } finally {
    await browser.close().catch(() => {});
  }
  return report();
}

main().then((ok) => process.exit(ok ? 0 : 1), (e) => {
  console.error(`a11y: the crawler broke: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
