'use strict';
// Headless Chromium (Debian's, driven over the DevTools protocol by
// playwright-core) calls through ngmediad.  The driver does the signalling:
// the browser's offer goes to ngmediad with the WebRTC -> SIP flags, a plain
// RTP/AVP endpoint (lib.js PlainPeer) answers, ngmediad's answer goes back
// to the browser.  Audio is checked both ways by tone.
//
//   node chromium.js NG_PORT HTTP_PORT PEER_PORT [case...]
//
// Cases: default, passive, restart, sip2browser, b2b (see CASES).  Ports: PEER_PORT and
// the next 3 for the plain endpoints.  CHROMIUM overrides /usr/bin/chromium.
const { chromium } = require('playwright-core');
const { ng, PlainPeer, pageServer, waitFor, sleep, Report } = require('./lib');

const [NG, HTTP, PEER] = process.argv.slice(2, 5).map(Number);
const wanted = process.argv.slice(5);
const BROWSER_HZ = 1000, PLAIN_HZ = 440, SECOND_BROWSER_HZ = 660;
const report = new Report();

// The flags Kamailio's rtpengine_offer()/rtpengine_answer() pass for a
// WebRTC caller and a SIP callee (docs/webrtc.md).
const OFFER_TO_SIP = { ICE: 'remove', 'transport-protocol': 'RTP/AVP', 'rtcp-mux': ['demux'], SDES: ['off'],
  replace: ['origin', 'session-connection'] };
const ANSWER_TO_WEBRTC = { ICE: 'force', 'rtcp-mux': ['require'], replace: ['origin', 'session-connection'] };
// A SIP caller and a WebRTC callee: the offer towards the browser, the
// browser's answer towards the SIP side.
const OFFER_TO_WEBRTC = { ICE: 'force', 'transport-protocol': 'UDP/TLS/RTP/SAVPF', 'rtcp-mux': ['offer', 'require'],
  SDES: ['off'], replace: ['origin', 'session-connection'] };
const ANSWER_TO_SIP = { ICE: 'remove', replace: ['origin', 'session-connection'] };
// Both sides WebRTC.
const WEBRTC_BOTH = { ICE: 'force', 'transport-protocol': 'UDP/TLS/RTP/SAVPF', 'rtcp-mux': ['require'],
  replace: ['origin', 'session-connection'] };

const has = (sdp, re) => re.test(sdp);
const attr = (sdp, name) => { const m = new RegExp(`a=${name}:(\\S+)`).exec(sdp); return m ? m[1] : ''; };

async function newPage(browser, freq) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`  [page] ${m.text()}`); });
  await page.goto(`http://127.0.0.1:${HTTP}/page.html`);
  await page.evaluate((f) => window.ngm.init(f), freq);
  return page;
}
const connected = (page, what) => waitFor(() => page.evaluate(() => ['connected', 'completed'].includes(window.ngm.pc.iceConnectionState)), 20, what);

// A browser offers, ngmediad takes it to the plain side and brings the plain
// answer back.  Returns {offer, toPlain, toBrowser} SDPs.
async function browserCallsPlain(page, peer, callId, answerFlags, restart = false) {
  const offer = await page.evaluate((r) => window.ngm.offer(r), restart);
  const r1 = await ng(NG, { command: 'offer', 'call-id': callId, 'from-tag': 'browser', sdp: offer, ...OFFER_TO_SIP });
  peer.play(r1.sdp);
  const r2 = await ng(NG, { command: 'answer', 'call-id': callId, 'from-tag': 'browser', 'to-tag': 'plain',
    sdp: peer.sdp(restart ? 2 : 1), ...answerFlags });
  await page.evaluate((sdp) => window.ngm.accept(sdp), r2.sdp);
  if (process.env.E2E_VERBOSE) for (const [k, v] of Object.entries({ offer, toPlain: r1.sdp, toBrowser: r2.sdp })) console.log(`  [sdp ${k}]\n${v}`);
  return { offer, toPlain: r1.sdp, toBrowser: r2.sdp };
}

function checkSdps(name, s, setup) {
  report.check(`${name}: offer to the plain side is RTP/AVP without ICE, DTLS or rtcp-mux`,
    has(s.toPlain, /m=audio \d+ RTP\/AVP /) && !has(s.toPlain, /a=(ice-ufrag|candidate|fingerprint|setup|rtcp-mux)/),
    s.toPlain.split('\r\n').filter((l) => l.startsWith('m=')).join());
  report.check(`${name}: answer to the browser has ICE, DTLS (setup:${setup}) and rtcp-mux`,
    has(s.toBrowser, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF /) && has(s.toBrowser, /a=ice-ufrag:/) && has(s.toBrowser, /a=candidate:/) &&
    has(s.toBrowser, /a=fingerprint:/) && attr(s.toBrowser, 'setup') === setup && has(s.toBrowser, /a=rtcp-mux/),
    `setup:${attr(s.toBrowser, 'setup')}`);
}

// Audio both ways: the plain endpoint hears the browser's tone in the last
// two seconds, the browser hears the plain endpoint's.
async function checkAudio(name, page, peer, browserHz, plainHz, sinceSample = 0) {
  try {
    await waitFor(() => peer.received.length - sinceSample >= 8000 * 3, 15, 'three seconds of audio at the plain endpoint');
  } catch (e) { /* reported below */ }
  await waitFor(async () => (await page.evaluate(() => window.ngm.stats())).packetsReceived >= 150, 15,
    'three seconds of audio at the browser').catch(() => {});
  const heard = peer.tone(2);
  report.check(`${name}: plain endpoint hears the browser's ${browserHz} Hz`, heard.freq === browserHz && heard.ratio >= 20,
    `${JSON.stringify(heard)}, ${peer.packetsIn} packets from ${[...peer.sources].join(' ')}`);
  const t = await page.evaluate(() => window.ngm.tone(2000));
  const st = await page.evaluate(() => window.ngm.stats());
  report.check(`${name}: browser hears the plain endpoint's ${plainHz} Hz`, t.freq === plainHz && t.ratio >= 10,
    `${JSON.stringify(t)}, ${JSON.stringify(st)}`);
  return st;
}

const CASES = {
  // Default settings on both sides of ngmediad: it answers the browser's
  // actpass as DTLS client (setup:active).
  async default(browser) {
    const peer = await new PlainPeer(PEER, PLAIN_HZ).open();
    const page = await newPage(browser, BROWSER_HZ);
    try {
      const s = await browserCallsPlain(page, peer, 'chromium-default', ANSWER_TO_WEBRTC);
      checkSdps('default', s, 'active');
      await connected(page, 'ICE connected (default)');
      const st = await checkAudio('default', page, peer, BROWSER_HZ, PLAIN_HZ);
      report.check('default: the browser is the DTLS server', st.dtlsRole === 'server', `dtlsRole ${st.dtlsRole}`);
    } finally { peer.close(); await page.context().close(); await ng(NG, { command: 'delete', 'call-id': 'chromium-default', 'from-tag': 'browser' }).catch((e) => console.log(`  delete: ${e.message}`)); }
  },

  // DTLS=passive in the answer: ngmediad is the DTLS server towards the browser.
  async passive(browser) {
    const peer = await new PlainPeer(PEER + 2, PLAIN_HZ).open();
    const page = await newPage(browser, BROWSER_HZ);
    try {
      const s = await browserCallsPlain(page, peer, 'chromium-passive', { ...ANSWER_TO_WEBRTC, DTLS: 'passive' });
      checkSdps('passive', s, 'passive');
      await connected(page, 'ICE connected (passive)');
      const st = await checkAudio('passive', page, peer, BROWSER_HZ, PLAIN_HZ);
      report.check('passive: the browser is the DTLS client', st.dtlsRole === 'client', `dtlsRole ${st.dtlsRole}`);
    } finally { peer.close(); await page.context().close(); await ng(NG, { command: 'delete', 'call-id': 'chromium-passive', 'from-tag': 'browser' }).catch((e) => console.log(`  delete: ${e.message}`)); }
  },

  // pc.restartIce(): new credentials in a re-offer through ngmediad; the
  // audio goes on both ways afterwards.
  async restart(browser) {
    const peer = await new PlainPeer(PEER, PLAIN_HZ).open();
    const page = await newPage(browser, BROWSER_HZ);
    try {
      const s1 = await browserCallsPlain(page, peer, 'chromium-restart', ANSWER_TO_WEBRTC);
      await connected(page, 'ICE connected before the restart');
      await checkAudio('restart: before', page, peer, BROWSER_HZ, PLAIN_HZ);
      const mark = peer.received.length;
      const s2 = await browserCallsPlain(page, peer, 'chromium-restart', ANSWER_TO_WEBRTC, true);
      report.check('restart: the browser offers new ICE credentials', attr(s1.offer, 'ice-ufrag') !== attr(s2.offer, 'ice-ufrag'),
        `${attr(s1.offer, 'ice-ufrag')} -> ${attr(s2.offer, 'ice-ufrag')}`);
      report.check('restart: ngmediad answers with new ICE credentials', attr(s1.toBrowser, 'ice-ufrag') !== attr(s2.toBrowser, 'ice-ufrag'),
        `${attr(s1.toBrowser, 'ice-ufrag')} -> ${attr(s2.toBrowser, 'ice-ufrag')}`);
      await sleep(1000);
      await connected(page, 'ICE connected after the restart');
      await checkAudio('restart: after', page, peer, BROWSER_HZ, PLAIN_HZ, mark);
    } finally { peer.close(); await page.context().close(); await ng(NG, { command: 'delete', 'call-id': 'chromium-restart', 'from-tag': 'browser' }).catch((e) => console.log(`  delete: ${e.message}`)); }
  },

  // The plain endpoint calls the browser: ngmediad offers ICE, DTLS
  // (actpass) and rtcp-mux to it; the browser answers as DTLS client.
  async sip2browser(browser) {
    const peer = await new PlainPeer(PEER + 2, PLAIN_HZ).open();
    const page = await newPage(browser, BROWSER_HZ);
    const call = 'chromium-sip2browser';
    try {
      const r1 = await ng(NG, { command: 'offer', 'call-id': call, 'from-tag': 'plain', sdp: peer.sdp(1), ...OFFER_TO_WEBRTC });
      const answer = await page.evaluate((sdp) => window.ngm.answer(sdp), r1.sdp);
      const r2 = await ng(NG, { command: 'answer', 'call-id': call, 'from-tag': 'plain', 'to-tag': 'browser', sdp: answer, ...ANSWER_TO_SIP });
      peer.play(r2.sdp);
      if (process.env.E2E_VERBOSE) console.log(`  [sdp toBrowser]\n${r1.sdp}\n  [sdp answer]\n${answer}\n  [sdp toPlain]\n${r2.sdp}`);
      report.check('sip2browser: offer to the browser has ICE, DTLS (setup:actpass), rtcp-mux and no SDES',
        has(r1.sdp, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF /) && has(r1.sdp, /a=candidate:/) && has(r1.sdp, /a=fingerprint:/) &&
        attr(r1.sdp, 'setup') === 'actpass' && has(r1.sdp, /a=rtcp-mux/) && !has(r1.sdp, /a=crypto:/),
        r1.sdp.split('\r\n').filter((l) => l.startsWith('m=')).join());
      report.check('sip2browser: answer to the plain side is RTP/AVP without ICE or DTLS',
        has(r2.sdp, /m=audio \d+ RTP\/AVP /) && !has(r2.sdp, /a=(ice-ufrag|candidate|fingerprint|setup)/),
        r2.sdp.split('\r\n').filter((l) => l.startsWith('m=')).join());
      await connected(page, 'ICE connected (sip2browser)');
      const st = await checkAudio('sip2browser', page, peer, BROWSER_HZ, PLAIN_HZ);
      report.check('sip2browser: the browser is the DTLS client', st.dtlsRole === 'client', `dtlsRole ${st.dtlsRole}`);
    } finally {
      peer.close();
      await page.context().close();
      await ng(NG, { command: 'delete', 'call-id': call, 'from-tag': 'plain' }).catch((e) => console.log(`  delete: ${e.message}`));
    }
  },

  // Browser <-> ngmediad <-> browser, WebRTC flags on both legs.
  async b2b(browser) {
    const a = await newPage(browser, BROWSER_HZ);
    const b = await newPage(browser, SECOND_BROWSER_HZ);
    try {
      const offer = await a.evaluate(() => window.ngm.offer(false));
      const r1 = await ng(NG, { command: 'offer', 'call-id': 'chromium-b2b', 'from-tag': 'a', sdp: offer, ...WEBRTC_BOTH });
      const answer = await b.evaluate((sdp) => window.ngm.answer(sdp), r1.sdp);
      const r2 = await ng(NG, { command: 'answer', 'call-id': 'chromium-b2b', 'from-tag': 'a', 'to-tag': 'b', sdp: answer, ...WEBRTC_BOTH });
      await a.evaluate((sdp) => window.ngm.accept(sdp), r2.sdp);
      report.check('b2b: both legs have ngmediad ICE candidates and its fingerprint',
        [r1.sdp, r2.sdp].every((s) => has(s, /a=candidate:.* 127\.0\.0\.1 /) && has(s, /a=fingerprint:/) && has(s, /UDP\/TLS\/RTP\/SAVPF/)));
      await connected(a, 'ICE connected (b2b caller)');
      await connected(b, 'ICE connected (b2b callee)');
      await waitFor(async () => (await b.evaluate(() => window.ngm.stats())).packetsReceived > 100 &&
        (await a.evaluate(() => window.ngm.stats())).packetsReceived > 100, 15, 'media both ways (b2b)').catch(() => {});
      await sleep(1000);
      for (const [name, page, hz] of [['caller', a, SECOND_BROWSER_HZ], ['callee', b, BROWSER_HZ]]) {
        const t = await page.evaluate(() => window.ngm.tone(2000));
        const st = await page.evaluate(() => window.ngm.stats());
        report.check(`b2b: the ${name} hears ${hz} Hz`, t.freq === hz && t.ratio >= 10, `${JSON.stringify(t)}, ${JSON.stringify(st)}`);
      }
    } finally { await a.context().close(); await b.context().close(); await ng(NG, { command: 'delete', 'call-id': 'chromium-b2b', 'from-tag': 'a' }).catch((e) => console.log(`  delete: ${e.message}`)); }
  },
};

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
  let ok = false;
  try {
    for (const name of wanted.length ? wanted : Object.keys(CASES)) {
      console.log(`--- case ${name}`);
      const before = report.fail;
      try {
        await CASES[name](browser);
      } catch (e) {
        report.check(`${name}: runs`, false, String(e && e.stack || e));
      }
      if (report.fail !== before) console.log(`(case ${name} failed)`);
    }
  } finally {
    ok = report.summary();
    await browser.close().catch(() => {});
    server.close();
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.log(`FAIL: ${e && e.stack || e}`); console.log(`0 passed, 1 failed`); process.exit(1); });
