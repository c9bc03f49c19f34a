'use strict';
// Headless Firefox ESR calls through ngmediad in the cases of cases.js.
// playwright cannot drive Debian's Firefox (it needs its own patched build),
// so Firefox opens two tabs of page.html?rpc=a / ?rpc=b that take their
// window.ngm calls from this script's HTTP server (lib.js RpcPages) and post
// back the results; the cases are the ones Chromium runs.
//
//   node firefox.js NG_PORT HTTP_PORT PEER_PORT PROFILE_DIR [case...]
//
// Cases: default, passive, restart, sip2browser, b2b (the two tabs call
// each other through ngmediad), bundle, bundle_mid.  FIREFOX overrides
// /usr/bin/firefox-esr.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { RpcPages, pageServer, waitFor, Report } = require('./lib');
const { makeCases, runCases } = require('./cases');

const [NG, HTTP, PEER] = process.argv.slice(2, 5).map(Number);
const PROFILE = process.argv[5];
const wanted = process.argv.slice(6);
const report = new Report();

// Fake media and permissions, host candidates in the clear (no mDNS), Web
// Audio allowed without a gesture, no timer throttling in the tab that is
// not in front, nothing that phones home.
const PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
  'media.autoplay.block-webaudio': false,
  // No sound card: Web Audio runs on cubeb's mock backend (on the null
  // backend, or none, AudioContext.resume() never settles).
  'media.cubeb.force_mock_context': true,
  // The second tab is in the background: its timers (the page's polling
  // and tone measurement) would run at most once a second.
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.tabs.warnOnOpen': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.auto': false,
  'network.proxy.type': 0,
  'browser.aboutwelcome.enabled': false,
};
const TABS = ['a', 'b'];

(async () => {
  fs.mkdirSync(PROFILE, { recursive: true });
  fs.writeFileSync(path.join(PROFILE, 'user.js'),
    Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const rpc = new RpcPages();
  const server = await pageServer(HTTP, rpc.routes());
  // Its own process group: the clean-up ends the content processes too.
  const firefoxLog = fs.openSync(path.join(PROFILE, '..', 'firefox.log'), 'w');
  const firefox = spawn(process.env.FIREFOX || '/usr/bin/firefox-esr',
    ['--headless', '--no-remote', '--profile', PROFILE, ...TABS.map((t) => `http://127.0.0.1:${HTTP}/page.html?rpc=${t}`)],
    { stdio: ['ignore', firefoxLog, firefoxLog], detached: true });
  let exited = null;
  firefox.on('exit', (code, sig) => { exited = `exit ${code} ${sig || ''}`; });
  // The runner's time limit or ctest's timeout: take the browser along.
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      try { process.kill(-firefox.pid, 'SIGKILL'); } catch (e) { /* gone */ }
      process.exit(1);
    });
  }
  const busy = new Set();
  const newPage = async (freq, config) => {
    const tab = TABS.find((t) => !busy.has(t));
    if (!tab) throw new Error('both Firefox tabs are in use');
    busy.add(tab);
    const ngm = (method, ...args) => {
      if (exited) return Promise.reject(new Error(`firefox ended (${exited})`));
      return rpc.call(tab, method, ...args);
    };
    await ngm('init', freq, config);
    return { ngm, close: async () => { await ngm('close').catch(() => {}); busy.delete(tab); } };
  };
  try {
    await waitFor(() => TABS.every((t) => rpc.seen.has(t)) || exited, 60, 'both Firefox tabs to load page.html');
    if (exited) throw new Error(`firefox ended before its pages loaded (${exited})`);
    const cases = makeCases({ NG, PEER, report, newPage, browserName: 'firefox',
      // Not 1000 Hz: Firefox's fake microphone plays 1 kHz, and the tone
      // heard must be the page's oscillator.
      hz: { browser: 1200, browser2: 1500, second: 660, plain: 440, plain2: 800 } });
    await runCases(cases, wanted, report);
  } catch (e) {
    report.check('firefox: runs', false, String(e && e.stack || e));
  } finally {
    rpc.close();
    server.close();
    if (!exited) { try { process.kill(-firefox.pid, 'SIGTERM'); } catch (e) { /* gone */ } }
    const ok = report.summary();
    if (!exited) await waitFor(() => exited, 5, 'firefox to exit').catch(() => { try { process.kill(-firefox.pid, 'SIGKILL'); } catch (e) { /* gone */ } });
    process.exit(ok ? 0 : 1);
  }
})().catch((e) => { console.log(`FAIL: ${e && e.stack || e}`); console.log('0 passed, 1 failed'); process.exit(1); });
