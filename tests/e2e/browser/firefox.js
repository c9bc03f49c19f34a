'use strict';
// Headless Firefox ESR calls a plain RTP endpoint through ngmediad.  Nothing
// drives the browser: it loads page.html?auto=1, which runs the call itself
// and talks to the two routes below; this script relays its offer to
// ngmediad (WebRTC -> SIP flags), answers with the plain endpoint, and
// judges the verdict the page posts together with what the plain endpoint
// heard.
//
//   node firefox.js NG_PORT HTTP_PORT PEER_PORT PROFILE_DIR
//
// FIREFOX overrides /usr/bin/firefox-esr.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { ng, PlainPeer, pageServer, waitFor, Report } = require('./lib');

const [NG, HTTP, PEER] = process.argv.slice(2, 5).map(Number);
const PROFILE = process.argv[5];
// Not 1000 Hz: Firefox's fake microphone plays 1 kHz, and the tone heard must
// be the page's oscillator.
const BROWSER_HZ = 1200, PLAIN_HZ = 440;
const CALL = 'firefox-default';
const report = new Report();

const OFFER_TO_SIP = { ICE: 'remove', 'transport-protocol': 'RTP/AVP', 'rtcp-mux': ['demux'], SDES: ['off'],
  replace: ['origin', 'session-connection'] };
const ANSWER_TO_WEBRTC = { ICE: 'force', 'rtcp-mux': ['require'], replace: ['origin', 'session-connection'] };

// Fake media and permissions, host candidates in the clear (no mDNS), Web
// Audio allowed without a gesture, nothing that phones home.
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
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.auto': false,
  'network.proxy.type': 0,
  'browser.aboutwelcome.enabled': false,
};

(async () => {
  fs.mkdirSync(PROFILE, { recursive: true });
  fs.writeFileSync(path.join(PROFILE, 'user.js'),
    Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const peer = await new PlainPeer(PEER, PLAIN_HZ).open();
  const sdps = {};
  let verdict = null;
  const server = await pageServer(HTTP, {
    'POST /call': async ({ sdp }) => {
      sdps.offer = sdp;
      const r1 = await ng(NG, { command: 'offer', 'call-id': CALL, 'from-tag': 'browser', sdp, ...OFFER_TO_SIP });
      sdps.toPlain = r1.sdp;
      peer.play(r1.sdp);
      const r2 = await ng(NG, { command: 'answer', 'call-id': CALL, 'from-tag': 'browser', 'to-tag': 'plain',
        sdp: peer.sdp(1), ...ANSWER_TO_WEBRTC });
      sdps.toBrowser = r2.sdp;
      return { sdp: r2.sdp };
    },
    'POST /verdict': async (v) => { verdict = v; return {}; },
  });
  // Its own process group: the clean-up ends the content processes too.
  const firefoxLog = fs.openSync(path.join(PROFILE, '..', 'firefox.log'), 'w');
  const firefox = spawn(process.env.FIREFOX || '/usr/bin/firefox-esr',
    ['--headless', '--no-remote', '--profile', PROFILE, `http://127.0.0.1:${HTTP}/page.html?auto=1&freq=${BROWSER_HZ}`],
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
  try {
    await waitFor(() => verdict || exited, 60, 'the page\'s verdict');
    if (!verdict) throw new Error(`firefox ended before the page posted a verdict (${exited})`);
    report.check('firefox: the page ran the call', !verdict.error, verdict.error || JSON.stringify(verdict.state));
    report.check('firefox: offer to the plain side is RTP/AVP without ICE or DTLS',
      /m=audio \d+ RTP\/AVP /.test(sdps.toPlain || '') && !/a=(ice-ufrag|candidate|fingerprint)/.test(sdps.toPlain || ''));
    report.check('firefox: answer to the browser has ICE, DTLS and rtcp-mux',
      /UDP\/TLS\/RTP\/SAVPF/.test(sdps.toBrowser || '') && /a=candidate:/.test(sdps.toBrowser || '') &&
      /a=fingerprint:/.test(sdps.toBrowser || '') && /a=rtcp-mux/.test(sdps.toBrowser || ''));
    const heard = peer.tone(2);
    report.check(`firefox: plain endpoint hears the browser's ${BROWSER_HZ} Hz`, heard.freq === BROWSER_HZ && heard.ratio >= 20,
      `${JSON.stringify(heard)}, ${peer.packetsIn} packets`);
    const t = verdict.tone || {};
    report.check(`firefox: browser hears the plain endpoint's ${PLAIN_HZ} Hz`, t.freq === PLAIN_HZ && t.ratio >= 10,
      `${JSON.stringify(t)}, ${JSON.stringify(verdict.stats || {})}`);
  } catch (e) {
    report.check('firefox: runs', false, String(e && e.stack || e));
  } finally {
    peer.close();
    server.close();
    if (!exited) { try { process.kill(-firefox.pid, 'SIGTERM'); } catch (e) { /* gone */ } }
    await ng(NG, { command: 'delete', 'call-id': CALL, 'from-tag': 'browser' }).catch(() => {});
    const ok = report.summary();
    if (!exited) await waitFor(() => exited, 5, 'firefox to exit').catch(() => { try { process.kill(-firefox.pid, 'SIGKILL'); } catch (e) { /* gone */ } });
    process.exit(ok ? 0 : 1);
  }
})().catch((e) => { console.log(`FAIL: ${e && e.stack || e}`); console.log('0 passed, 1 failed'); process.exit(1); });
