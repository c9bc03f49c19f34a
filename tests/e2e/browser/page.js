'use strict';
// One side of a browser call through ngmediad.  The Chromium driver
// (chromium.js) calls window.ngm over the DevTools protocol; Firefox loads
// the page with ?rpc=NAME and the page takes the same calls from the
// test's HTTP server (firefox.js, lib.js RpcPages).
const PROBES = [300, 440, 550, 660, 800, 1000, 1200, 1500, 2000, 2500, 3000];
const log = (s) => {
  document.getElementById('log').textContent += s + '\n';
  // The Firefox run has no console to read: its page reports to the server.
  if (new URLSearchParams(location.search).get('rpc')) fetch('/log', { method: 'POST', body: s }).catch(() => {});
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ngm = {
  pc: null, ctx: null, remote: null, remotes: {}, elements: [],

  // A peer connection sending an oscillator at `freq` Hz (a number, or an
  // array: one track, each in a stream of its own, per frequency) with
  // default settings, or `config` (e.g. {bundlePolicy: 'max-bundle'}).
  // Closes the connection of an earlier call of this page.
  async init(freq, config) {
    this.close();
    // getUserMedia's permission (fake device, fake UI) lets the browser
    // enumerate every interface, loopback included; the track itself is not used.
    const gum = await navigator.mediaDevices.getUserMedia({ audio: true });
    gum.getTracks().forEach((t) => t.stop());
    log('media permission');
    this.ctx = new AudioContext();
    await this.ctx.resume();
    log(`audio context ${this.ctx.state}`);
    this.pc = new RTCPeerConnection(config || {});
    for (const f of Array.isArray(freq) ? freq : [freq]) {
      const osc = this.ctx.createOscillator();
      osc.frequency.value = f;
      const gain = this.ctx.createGain();
      gain.gain.value = 0.5;
      const dest = this.ctx.createMediaStreamDestination();
      osc.connect(gain).connect(dest);
      osc.start();
      this.pc.addTrack(dest.stream.getAudioTracks()[0], dest.stream);
    }
    this.remotes = {};
    this.pc.ontrack = (e) => {
      // One stream per received track, by its section's mid (an answer
      // without a=msid puts every track in one default stream).
      const stream = new MediaStream([e.track]);
      const mid = e.transceiver && e.transceiver.mid;
      // Chromium plays a remote WebRTC track into Web Audio only while a
      // media element also holds it.
      const el = document.createElement('audio');
      el.autoplay = true;
      el.muted = true;
      el.srcObject = stream;
      document.body.appendChild(el);
      this.elements.push(el);
      if (!this.remote) this.remote = stream;
      this.remotes[mid] = stream;
      log(`remote track mid ${mid}`);
    };
    this.pc.oniceconnectionstatechange = () => log('ice ' + this.pc.iceConnectionState);
    return true;
  },

  close() {
    if (this.pc) this.pc.close();
    if (this.ctx) this.ctx.close();
    for (const el of this.elements) el.remove();
    this.pc = null; this.ctx = null; this.remote = null; this.remotes = {}; this.elements = [];
    this.lastUfrag = undefined; this.restarting = false;
    return true;
  },

  iceState() { return this.pc ? this.pc.iceConnectionState : 'none'; },

  // Non-trickle signalling: the description once gathering is complete. After
  // restartIce() the state is still "complete" from the last round for a
  // moment, so wait for candidates of the current ufrag too.
  async gathered() {
    const pc = this.pc;
    const ready = () => {
      const sdp = pc.localDescription.sdp;
      const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp);
      return pc.iceGatheringState === 'complete' && /a=candidate:/.test(sdp) && ufrag &&
        (!this.lastUfrag || ufrag[1] !== this.lastUfrag || !this.restarting);
    };
    for (let i = 0; i < 100 && !ready(); i++) await sleep(50);
    this.lastUfrag = (/a=ice-ufrag:(\S+)/.exec(pc.localDescription.sdp) || [])[1];
    this.restarting = false;
    return pc.localDescription.sdp;
  },

  async offer(restart) {
    if (restart) { this.pc.restartIce(); this.restarting = true; }
    await this.pc.setLocalDescription();
    return this.gathered();
  },
  async accept(sdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    return true;
  },
  async answer(sdp) {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription();
    return this.gathered();
  },

  state() {
    return { ice: this.pc.iceConnectionState, connection: this.pc.connectionState, signaling: this.pc.signalingState };
  },

  // The strongest probe frequency in `ms` of the received audio (of the
  // section `mid`, or the first track) and how far it stands above the
  // median probe (power ratio), from an AnalyserNode.
  async tone(ms, mid) {
    const remote = mid === undefined ? this.remote : this.remotes[mid];
    if (!remote) return { freq: 0, ratio: 0, error: `no remote track${mid === undefined ? '' : ' for mid ' + mid}` };
    const src = this.ctx.createMediaStreamSource(remote);
    const an = this.ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    src.connect(an);
    const bins = new Float32Array(an.frequencyBinCount);
    const power = new Float64Array(an.frequencyBinCount);
    const rounds = Math.max(1, Math.round(ms / 100));
    for (let i = 0; i < rounds; i++) {
      await sleep(100);
      an.getFloatFrequencyData(bins);
      for (let b = 0; b < bins.length; b++) power[b] += Math.pow(10, bins[b] / 10);
    }
    src.disconnect();
    const hz = this.ctx.sampleRate / an.fftSize;
    const at = (f) => {
      const c = Math.round(f / hz);
      let m = 0;
      for (let b = c - 2; b <= c + 2; b++) m = Math.max(m, power[b] || 0);
      return m;
    };
    const p = PROBES.map((f) => [f, at(f)]).sort((a, b) => b[1] - a[1]);
    const rest = p.slice(1).map((x) => x[1]).sort((a, b) => a - b);
    const median = Math.max(rest[rest.length >> 1], 1e-12);
    // clean: over the next strongest probe (a second tone mixed in keeps it low).
    return { freq: p[0][0], ratio: Math.round(p[0][1] / median), clean: Math.round(p[0][1] / Math.max(p[1][1], 1e-12)),
      level: Math.round(10 * Math.log10(p[0][1] / rounds + 1e-30)) };
  },

  async stats() {
    // packetsReceived/packetsSent/codec: the first audio stream's (or the
    // section `mid`'s, where the browser names it); inbound: every one.
    const out = { packetsReceived: 0, packetsSent: 0, codec: '', pair: '', inbound: [] };
    const r = await this.pc.getStats();
    const byId = new Map();
    r.forEach((s) => byId.set(s.id, s));
    r.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        const c = byId.get(s.codecId);
        out.inbound.push({ mid: s.mid, packetsReceived: s.packetsReceived, codec: c ? c.mimeType : '' });
        if (out.inbound.length === 1) {
          out.packetsReceived = s.packetsReceived;
          out.totalAudioEnergy = s.totalAudioEnergy;
          if (c) out.codec = c.mimeType;
        }
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio' && !out.packetsSent) out.packetsSent = s.packetsSent;
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = byId.get(s.selectedCandidatePairId);
        const l = pair && byId.get(pair.localCandidateId);
        const rc = pair && byId.get(pair.remoteCandidateId);
        if (l && rc) out.pair = `${l.address}:${l.port} -> ${rc.address}:${rc.port} (${rc.candidateType})`;
        out.dtls = s.dtlsState;
        out.dtlsRole = s.dtlsRole;
        out.srtpCipher = s.srtpCipher;
      }
    });
    return out;
  },
};
window.ngm = ngm;

// Firefox (no DevTools driver for Debian's build): ?rpc=NAME makes the page
// fetch calls of window.ngm from the test's HTTP server (lib.js RpcPages)
// and post back each result, the way chromium.js calls page.evaluate().
async function rpcLoop(name) {
  const post = async (path, body) => {
    const r = await fetch(path, { method: 'POST', body: JSON.stringify(body) });
    return r.json();
  };
  log(`rpc ${name}`);
  for (;;) {
    let cmd;
    try {
      cmd = await post('/rpc/next', { page: name });
    } catch (e) {
      await sleep(500); // the server is gone or restarting
      continue;
    }
    if (!cmd || !cmd.method) continue;
    try {
      const result = await ngm[cmd.method](...(cmd.args || []));
      await post('/rpc/result', { id: cmd.id, result: result === undefined ? null : result });
    } catch (e) {
      log(`${cmd.method}: ${e}`);
      await post('/rpc/result', { id: cmd.id, error: String(e && e.stack || e) }).catch(() => {});
    }
  }
}
const rpcName = new URLSearchParams(location.search).get('rpc');
if (rpcName) rpcLoop(rpcName);
