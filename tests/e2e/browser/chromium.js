'use strict';
// Headless Chromium (Debian's, driven over the DevTools protocol by
// playwright-core) calls through ngmediad in the cases of cases.js: each
// page is a fresh browser context on page.html, window.ngm called with
// page.evaluate().
//
//   node chromium.js NG_PORT HTTP_PORT PEER_PORT [case...]
//
// Cases: default, passive, restart, sip2browser, b2b, bundle, bundle_mid.  Ports:
// PEER_PORT and the next 3 for the plain endpoints.  CHROMIUM overrides
// /usr/bin/chromium.
const { chromium } = require('playwright-core');
const { pageServer, Report } = require('./lib');
const { makeCases, runCases } = require('./cases');

const [NG, HTTP, PEER] = process.argv.slice(2, 5).map(Number);
const wanted = process.argv.slice(5);
const report = new Report();

(async () => {
  const server = await pageServer(HTTP);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns'],
    timeout: 30000,
  });
  console.log(`chromium ${browser.version()}`);
  const newPage = async (freq, config) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log(`  [page] ${m.text()}`); });
    await page.goto(`http://127.0.0.1:${HTTP}/page.html`);
    const ngm = (method, ...args) => page.evaluate(([m, a]) => window.ngm[m](...a), [method, args]);
    await ngm('init', freq, config);
    return { ngm, close: () => context.close() };
  };
  const cases = makeCases({ NG, PEER, report, newPage, browserName: 'chromium',
    hz: { browser: 1000, browser2: 1500, second: 660, plain: 440, plain2: 800 } });
  let ok = false;
  try {
    await runCases(cases, wanted, report);
  } finally {
    ok = report.summary();
    await browser.close().catch(() => {});
    server.close();
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.log(`FAIL: ${e && e.stack || e}`); console.log(`0 passed, 1 failed`); process.exit(1); });
