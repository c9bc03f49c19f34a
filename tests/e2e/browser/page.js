'use strict';
// One side of a browser call through ngmediad.  The Chromium driver
// (chromium.js) calls window.ngm over the DevTools protocol; Firefox loads
// the page with ?auto=1 and the page runs the whole call itself against the
// signalling routes of firefox.js.
const PROBES = [300, 440, 550, 660, 800, 1000, 1200, 1500, 2000, 2500, 3000];
const log = (s) => {
  document.getElementById('log').textContent += s + '\n';
  // The Firefox run has no console to read: its page reports to the server.
  if (new URLSearchParams(location.search).get('auto')) fetch('/log', { method: 'POST', body: s }).catch(() => {});
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ngm = {
  pc: null, ctx: null, remote: null,

  // A peer connection with default settings sending an oscillator at `freq` Hz.
  async init(freq) {
    // getUserMedia's permission (fake device, fake UI) lets the browser
    // enumerate every interface, loopback included; the track itself is not used.
    const gum = await navigator.mediaDevices.getUserMedia({ audio: true });
    gum.getTracks().forEach((t) => t.stop());
    log('media permission');
    this.ctx = new AudioContext();
    await this.ctx.resume();
    log(`audio context ${this.ctx.state}`);
    const osc = this.ctx.createOscillator();
    osc.frequency.value = freq;
    const gain = this.ctx.createGain();
    gain.gain.value = 0.5;
    const dest = this.ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    this.pc = new RTCPeerConnection();
    this.pc.addTrack(dest.stream.getAudioTracks()[0], dest.stream);
    this.pc.ontrack = (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      document.getElementById('remote').srcObject = stream;
      this.remote = stream;
      log('remote track');
    };
    this.pc.oniceconnectionstatechange = () => log('ice ' + this.pc.iceConnectionState);
    return true;
  },

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

  // The strongest probe frequency in `ms` of the received audio and how far
  // it stands above the median probe (power ratio), from an AnalyserNode.
  async tone(ms) {
    if (!this.remote) return { freq: 0, ratio: 0, error: 'no remote track' };
    const src = this.ctx.createMediaStreamSource(this.remote);
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
    return { freq: p[0][0], ratio: Math.round(p[0][1] / median), level: Math.round(10 * Math.log10(p[0][1] / rounds + 1e-30)) };
  },

  async stats() {
    const out = { packetsReceived: 0, packetsSent: 0, codec: '', pair: '' };
    const r = await this.pc.getStats();
    const byId = new Map();
    r.forEach((s) => byId.set(s.id, s));
    r.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.packetsReceived = s.packetsReceived;
        out.totalAudioEnergy = s.totalAudioEnergy;
        const c = byId.get(s.codecId);
        if (c) out.codec = c.mimeType;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent = s.packetsSent;
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

// Firefox: the page runs the call itself (?auto=1&freq=1000).
async function autoCall() {
  const q = new URLSearchParams(location.search);
  const post = async (path, body) => {
    const r = await fetch(path, { method: 'POST', body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(`${path}: ${j.error || r.status}`);
    return j;
  };
  try {
    log('auto call');
    await ngm.init(Number(q.get('freq') || 1000));
    log('initialised');
    const offer = await ngm.offer(false);
    const { sdp } = await post('/call', { sdp: offer });
    await ngm.accept(sdp);
    const deadline = Date.now() + 20000;
    while (!['connected', 'completed'].includes(ngm.pc.iceConnectionState) || !ngm.remote) {
      if (Date.now() > deadline) throw new Error('ICE did not connect: ' + JSON.stringify(ngm.state()));
      await sleep(200);
    }
    // Three seconds of audio in (the jitter buffer has settled), at most 15 s.
    for (let i = 0; i < 75 && (await ngm.stats()).packetsReceived < 150; i++) await sleep(200);
    const tone = await ngm.tone(2000);
    await post('/verdict', { tone, stats: await ngm.stats(), state: ngm.state() });
  } catch (e) {
    log(String(e));
    await post('/verdict', { error: String(e && e.stack || e), state: ngm.pc ? ngm.state() : null });
  }
}
if (new URLSearchParams(location.search).get('auto')) autoCall();
