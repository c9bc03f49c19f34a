'use strict';
// The browser cases (docs/webrtc.md), the same for every browser.  The
// driver (chromium.js over the DevTools protocol, firefox.js over HTTP)
// gives newPage(freq, config): a page object whose ngm(method, ...args)
// calls window.ngm in the browser (page.js), and close().  The test does the
// signalling: the browser's SDP goes to ngmediad's ng port with the flags
// Kamailio would pass, a plain RTP/AVP endpoint (lib.js PlainPeer) or a
// second page answers.  Audio is checked both ways by tone.
const { ng, PlainPeer, plainAnswer, waitFor, sleep } = require('./lib');

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
// A max-bundle browser (docs/bundle.md): the same flags and the bundle key.
const BUNDLE = { bundle: ['accept'] };

const has = (sdp, re) => re.test(sdp);
const attr = (sdp, name) => { const m = new RegExp(`a=${name}:(\\S+)`).exec(sdp); return m ? m[1] : ''; };
const mlines = (sdp) => sdp.split('\r\n').filter((l) => l.startsWith('m='));
const sections = (sdp) => sdp.split(/\r\nm=/).slice(1).map((s) => `m=${s}`);

// makeCases(env): env = { NG, PEER, report, newPage, hz: {browser, browser2,
// second, plain, plain2} }.  PEER and the next 3 ports are the plain
// endpoints'.
function makeCases(env) {
  const { NG, PEER, report, newPage, hz } = env;
  const name0 = env.browserName;
  const connected = (page, what) => waitFor(async () => ['connected', 'completed'].includes(await page.ngm('iceState')), 20, what);
  const remove = (call, fromTag) => ng(NG, { command: 'delete', 'call-id': call, 'from-tag': fromTag })
    .catch((e) => console.log(`  delete: ${e.message}`));
  const verbose = (sdps) => { if (process.env.E2E_VERBOSE) for (const [k, v] of Object.entries(sdps)) console.log(`  [sdp ${k}]\n${v}`); };

  // A browser offers, ngmediad takes it to the plain side and brings the
  // plain answer back.  Returns {offer, toPlain, toBrowser} SDPs.
  async function browserCallsPlain(page, peer, callId, answerFlags, restart = false) {
    const offer = await page.ngm('offer', restart);
    const r1 = await ng(NG, { command: 'offer', 'call-id': callId, 'from-tag': 'browser', sdp: offer, ...OFFER_TO_SIP });
    peer.play(r1.sdp);
    const r2 = await ng(NG, { command: 'answer', 'call-id': callId, 'from-tag': 'browser', 'to-tag': 'plain',
      sdp: peer.sdp(restart ? 2 : 1), ...answerFlags });
    await page.ngm('accept', r2.sdp);
    verbose({ offer, toPlain: r1.sdp, toBrowser: r2.sdp });
    return { offer, toPlain: r1.sdp, toBrowser: r2.sdp };
  }

  function checkSdps(name, s, setup) {
    report.check(`${name}: offer to the plain side is RTP/AVP without ICE, DTLS or rtcp-mux`,
      has(s.toPlain, /m=audio \d+ RTP\/AVP /) && !has(s.toPlain, /a=(ice-ufrag|candidate|fingerprint|setup|rtcp-mux)/),
      mlines(s.toPlain).join());
    report.check(`${name}: answer to the browser has ICE, DTLS (setup:${setup}) and rtcp-mux`,
      has(s.toBrowser, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF /) && has(s.toBrowser, /a=ice-ufrag:/) && has(s.toBrowser, /a=candidate:/) &&
      has(s.toBrowser, /a=fingerprint:/) && attr(s.toBrowser, 'setup') === setup && has(s.toBrowser, /a=rtcp-mux/),
      `setup:${attr(s.toBrowser, 'setup')}`);
  }

  // The browser's DTLS role: from its transport stats where it has them
  // (Chromium); Firefox has no RTCTransportStats, so there the role the
  // SDP gave it, and the audio (SRTP keyed by that handshake) shows that the
  // handshake completed.
  function checkDtlsRole(name, st, want, answerSetup) {
    if (st.dtlsRole) {
      report.check(`${name}: the browser is the DTLS ${want}`, st.dtlsRole === want, `dtlsRole ${st.dtlsRole}`);
    } else {
      const bySdp = answerSetup === 'active' || answerSetup === 'passive' ? (answerSetup === 'active' ? 'server' : 'client') : '';
      report.check(`${name}: the browser is the DTLS ${want} (by the SDP: no dtlsRole stat in ${name0})`, bySdp === want,
        `ngmediad's setup:${answerSetup}`);
    }
  }

  // Audio both ways: the plain endpoint hears the browser's tone in the
  // last two seconds, the browser hears the plain endpoint's.
  async function checkAudio(name, page, peer, browserHz, plainHz, sinceSample = 0) {
    await waitFor(() => peer.received.length - sinceSample >= 8000 * 3, 15, 'three seconds of audio at the plain endpoint').catch(() => {});
    await waitFor(async () => (await page.ngm('stats')).packetsReceived >= 150, 15,
      'three seconds of audio at the browser').catch(() => {});
    const heard = peer.tone(2);
    report.check(`${name}: plain endpoint hears the browser's ${browserHz} Hz`, heard.freq === browserHz && heard.ratio >= 20,
      `${JSON.stringify(heard)}, ${peer.packetsIn} packets from ${[...peer.sources].join(' ')}`);
    const t = await page.ngm('tone', 2000);
    const st = await page.ngm('stats');
    report.check(`${name}: browser hears the plain endpoint's ${plainHz} Hz`, t.freq === plainHz && t.ratio >= 10,
      `${JSON.stringify(t)}, ${JSON.stringify(st)}`);
    return st;
  }

  return {
    // Default settings on both sides of ngmediad: it answers the browser's
    // actpass as DTLS client (setup:active).
    async default() {
      const peer = await new PlainPeer(PEER, hz.plain).open();
      const page = await newPage(hz.browser);
      const call = `${name0}-default`;
      try {
        const s = await browserCallsPlain(page, peer, call, ANSWER_TO_WEBRTC);
        checkSdps('default', s, 'active');
        await connected(page, 'ICE connected (default)');
        const st = await checkAudio('default', page, peer, hz.browser, hz.plain);
        checkDtlsRole('default', st, 'server', attr(s.toBrowser, 'setup'));
      } finally { peer.close(); await page.close(); await remove(call, 'browser'); }
    },

    // DTLS=passive in the answer: ngmediad is the DTLS server towards the browser.
    async passive() {
      const peer = await new PlainPeer(PEER + 2, hz.plain).open();
      const page = await newPage(hz.browser);
      const call = `${name0}-passive`;
      try {
        const s = await browserCallsPlain(page, peer, call, { ...ANSWER_TO_WEBRTC, DTLS: 'passive' });
        checkSdps('passive', s, 'passive');
        await connected(page, 'ICE connected (passive)');
        const st = await checkAudio('passive', page, peer, hz.browser, hz.plain);
        checkDtlsRole('passive', st, 'client', attr(s.toBrowser, 'setup'));
      } finally { peer.close(); await page.close(); await remove(call, 'browser'); }
    },

    // pc.restartIce(): new credentials in a re-offer through ngmediad; the
    // audio goes on both ways afterwards.
    async restart() {
      const peer = await new PlainPeer(PEER, hz.plain).open();
      const page = await newPage(hz.browser);
      const call = `${name0}-restart`;
      try {
        const s1 = await browserCallsPlain(page, peer, call, ANSWER_TO_WEBRTC);
        await connected(page, 'ICE connected before the restart');
        await checkAudio('restart: before', page, peer, hz.browser, hz.plain);
        const mark = peer.received.length;
        const s2 = await browserCallsPlain(page, peer, call, ANSWER_TO_WEBRTC, true);
        report.check('restart: the browser offers new ICE credentials', attr(s1.offer, 'ice-ufrag') !== attr(s2.offer, 'ice-ufrag'),
          `${attr(s1.offer, 'ice-ufrag')} -> ${attr(s2.offer, 'ice-ufrag')}`);
        report.check('restart: ngmediad answers with new ICE credentials', attr(s1.toBrowser, 'ice-ufrag') !== attr(s2.toBrowser, 'ice-ufrag'),
          `${attr(s1.toBrowser, 'ice-ufrag')} -> ${attr(s2.toBrowser, 'ice-ufrag')}`);
        await sleep(1000);
        await connected(page, 'ICE connected after the restart');
        await checkAudio('restart: after', page, peer, hz.browser, hz.plain, mark);
      } finally { peer.close(); await page.close(); await remove(call, 'browser'); }
    },

    // The plain endpoint calls the browser: ngmediad offers ICE, DTLS
    // (actpass) and rtcp-mux to it; the browser answers as DTLS client.
    async sip2browser() {
      const peer = await new PlainPeer(PEER + 2, hz.plain).open();
      const page = await newPage(hz.browser);
      const call = `${name0}-sip2browser`;
      try {
        const r1 = await ng(NG, { command: 'offer', 'call-id': call, 'from-tag': 'plain', sdp: peer.sdp(1), ...OFFER_TO_WEBRTC });
        const answer = await page.ngm('answer', r1.sdp);
        const r2 = await ng(NG, { command: 'answer', 'call-id': call, 'from-tag': 'plain', 'to-tag': 'browser', sdp: answer, ...ANSWER_TO_SIP });
        peer.play(r2.sdp);
        verbose({ toBrowser: r1.sdp, answer, toPlain: r2.sdp });
        report.check('sip2browser: offer to the browser has ICE, DTLS (setup:actpass), rtcp-mux and no SDES',
          has(r1.sdp, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF /) && has(r1.sdp, /a=candidate:/) && has(r1.sdp, /a=fingerprint:/) &&
          attr(r1.sdp, 'setup') === 'actpass' && has(r1.sdp, /a=rtcp-mux/) && !has(r1.sdp, /a=crypto:/),
          mlines(r1.sdp).join());
        report.check('sip2browser: answer to the plain side is RTP/AVP without ICE or DTLS',
          has(r2.sdp, /m=audio \d+ RTP\/AVP /) && !has(r2.sdp, /a=(ice-ufrag|candidate|fingerprint|setup)/),
          mlines(r2.sdp).join());
        await connected(page, 'ICE connected (sip2browser)');
        const st = await checkAudio('sip2browser', page, peer, hz.browser, hz.plain);
        // The browser's answer says its role itself (setup:active = client).
        checkDtlsRole('sip2browser', st, 'client', attr(answer, 'setup') === 'active' ? 'passive' : attr(answer, 'setup'));
      } finally { peer.close(); await page.close(); await remove(call, 'plain'); }
    },

    // Browser <-> ngmediad <-> browser, WebRTC flags on both legs.
    async b2b() {
      const a = await newPage(hz.browser);
      const b = await newPage(hz.second);
      const call = `${name0}-b2b`;
      try {
        const offer = await a.ngm('offer', false);
        const r1 = await ng(NG, { command: 'offer', 'call-id': call, 'from-tag': 'a', sdp: offer, ...WEBRTC_BOTH });
        const answer = await b.ngm('answer', r1.sdp);
        const r2 = await ng(NG, { command: 'answer', 'call-id': call, 'from-tag': 'a', 'to-tag': 'b', sdp: answer, ...WEBRTC_BOTH });
        await a.ngm('accept', r2.sdp);
        verbose({ offer, toCallee: r1.sdp, answer, toCaller: r2.sdp });
        report.check('b2b: both legs have ngmediad ICE candidates and its fingerprint',
          [r1.sdp, r2.sdp].every((s) => has(s, /a=candidate:.* 127\.0\.0\.1 /) && has(s, /a=fingerprint:/) && has(s, /UDP\/TLS\/RTP\/SAVPF/)));
        await connected(a, 'ICE connected (b2b caller)');
        await connected(b, 'ICE connected (b2b callee)');
        await waitFor(async () => (await b.ngm('stats')).packetsReceived > 150 &&
          (await a.ngm('stats')).packetsReceived > 150, 15, 'media both ways (b2b)').catch(() => {});
        for (const [who, page, want] of [['caller', a, hz.second], ['callee', b, hz.browser]]) {
          const t = await page.ngm('tone', 2000);
          const st = await page.ngm('stats');
          report.check(`b2b: the ${who} hears ${want} Hz`, t.freq === want && t.ratio >= 10, `${JSON.stringify(t)}, ${JSON.stringify(st)}`);
        }
      } finally { await a.close(); await b.close(); await remove(call, 'a'); }
    },

    // bundlePolicy max-bundle with two audio tracks and `bundle: [accept]`:
    // ngmediad de-bundles it into two plain RTP legs, one per section.  Each
    // plain endpoint answers one section, with a codec of its own (PCMU,
    // PCMA), here with an a=ssrc line (passed on to the browser, which can
    // sort by it).  Each track's tone must arrive, alone, at its own
    // endpoint and each endpoint's tone on its own track.
    async bundle() { await bundleCall('bundle', true); },
    // The same with plain endpoints that signal no SSRC, as most SIP phones:
    // a browser's payload-type demux goes by its own offer (the same list in
    // every section), so only the MID header extension ngmediad writes into
    // what it sends the browser tells it the sections apart.
    async bundle_mid() { await bundleCall('bundle_mid', false); },
  };

  async function bundleCall(label, ssrc) {
      const peers = [await new PlainPeer(PEER, hz.plain, 0).open(), await new PlainPeer(PEER + 2, hz.plain2, 8).open()];
      const page = await newPage([hz.browser, hz.browser2], { bundlePolicy: 'max-bundle' });
      const call = `${name0}-${label}`;
      try {
        const offer = await page.ngm('offer', false);
        const os = sections(offer);
        const mids = os.map((s) => attr(s, 'mid'));
        // Firefox marks the second section bundle-only with port 0 (RFC
        // 9143 §7.3.3); Chromium gives it the placeholder port 9 with
        // c=0.0.0.0 and no candidates.
        const bundleOnly = /^m=audio 0 /.test(os[1] || '') && has(os[1] || '', /a=bundle-only/);
        const placeholder = /^m=audio 9 /.test(os[1] || '') && has(os[1] || '', /c=IN IP4 0\.0\.0\.0/) && !has(os[1] || '', /a=candidate:/);
        report.check(`${label}: the browser offers two bundled audio sections, the second without a transport of its own`,
          os.length === 2 && os.every((s) => s.startsWith('m=audio ')) && (bundleOnly || placeholder) &&
          has(offer, new RegExp(`a=group:BUNDLE ${mids.join(' ')}`)),
          `${mlines(offer).join()} mids ${mids.join(',')}, ${bundleOnly ? 'bundle-only with port 0' : placeholder ? 'port 9 placeholder' : 'neither'}`);
        const r1 = await ng(NG, { command: 'offer', 'call-id': call, 'from-tag': 'browser', sdp: offer, ...OFFER_TO_SIP, ...BUNDLE });
        const ps = sections(r1.sdp);
        const ports = ps.map((s) => Number(/^m=audio (\d+) /.exec(s)?.[1]));
        report.check(`${label}: the offer to the plain side has two RTP/AVP sections on ports of their own, no group, no bundle-only`,
          ps.length === 2 && ps.every((s) => /^m=audio \d+ RTP\/AVP /.test(s)) && ports.every((p) => p > 0) && ports[0] !== ports[1] &&
          !has(r1.sdp, /a=(group|bundle-only|ice-ufrag|candidate|fingerprint|rtcp-mux)/), mlines(r1.sdp).join());
        peers.forEach((p, i) => p.play(r1.sdp, i));
        const r2 = await ng(NG, { command: 'answer', 'call-id': call, 'from-tag': 'browser', 'to-tag': 'plain',
          sdp: plainAnswer(peers, { ssrc }), ...ANSWER_TO_WEBRTC, ...BUNDLE });
        verbose({ offer, toPlain: r1.sdp, toBrowser: r2.sdp });
        await page.ngm('accept', r2.sdp);
        const bs = sections(r2.sdp);
        const bports = bs.map((s) => /^m=audio (\d+) /.exec(s)?.[1]);
        report.check(`${label}: the answer to the browser is bundled (group, one port, rtcp-mux in each, ICE in the first only, its fingerprint in each)`,
          bs.length === 2 && has(r2.sdp, new RegExp(`a=group:BUNDLE ${mids.join(' ')}`)) && bports[0] === bports[1] &&
          bs.every((s) => has(s, /a=rtcp-mux/)) && has(bs[0], /a=candidate:/) && has(bs[0], /a=fingerprint:/) &&
          !has(bs[1], /a=(candidate|ice-ufrag)/) && attr(bs[1], 'fingerprint') === attr(bs[0], 'fingerprint') &&
          bs.map((s) => attr(s, 'mid')).join() === mids.join(),
          `${mlines(r2.sdp).join()} ${(/a=group:\S+[^\r]*/.exec(r2.sdp) || [''])[0]}`);
        await connected(page, 'ICE connected (bundle)');
        await waitFor(() => peers.every((p) => p.received.length >= 8000 * 3), 15, 'three seconds of audio at both plain endpoints').catch(() => {});
        await waitFor(async () => { const st = await page.ngm('stats'); return st.inbound.length === 2 && st.inbound.every((i) => i.packetsReceived >= 150); },
          15, 'three seconds of audio on both tracks of the browser').catch(() => {});
        const sent = [hz.browser, hz.browser2];
        peers.forEach((p, i) => {
          const heard = p.tone(2);
          report.check(`${label}: plain endpoint ${i + 1} (section ${mids[i]}) hears track ${i + 1}'s ${sent[i]} Hz alone`,
            heard.freq === sent[i] && heard.ratio >= 20 && heard.clean >= 10,
            `${JSON.stringify(heard)}, ${p.packetsIn} packets from ${[...p.sources].join(' ')}`);
        });
        const st = await page.ngm('stats');
        for (const [i, want] of [[0, hz.plain], [1, hz.plain2]]) {
          const t = await page.ngm('tone', 2000, mids[i]);
          report.check(`${label}: the browser's track of section ${mids[i]} has plain endpoint ${i + 1}'s ${want} Hz alone`,
            t.freq === want && t.ratio >= 10 && t.clean >= 5, `${JSON.stringify(t)}, ${JSON.stringify(st.inbound)}`);
        }
      } finally {
        if (process.env.E2E_VERBOSE) console.log(`  [query] ${JSON.stringify(await ng(NG, { command: 'query', 'call-id': call }).catch((e) => e.message))}`);
        peers.forEach((p) => p.close()); await page.close(); await remove(call, 'browser');
      }
  }
}

// Runs the cases named in `wanted` (all when empty), each to its end.
async function runCases(cases, wanted, report) {
  for (const name of wanted.length ? wanted : Object.keys(cases)) {
    console.log(`--- case ${name}`);
    const before = report.fail;
    const t0 = Date.now();
    try {
      if (!cases[name]) throw new Error(`no case ${name} (cases: ${Object.keys(cases).join(' ')})`);
      await cases[name]();
    } catch (e) {
      report.check(`${name}: runs`, false, String(e && e.stack || e));
    }
    console.log(`(case ${name} ${report.fail !== before ? 'failed' : 'passed'}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

module.exports = { makeCases, runCases };
