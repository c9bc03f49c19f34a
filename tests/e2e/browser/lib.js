'use strict';
// Shared pieces of the browser end-to-end tests (chromium.js, firefox.js):
// an ng client over UDP, a plain RTP/AVP endpoint that plays a G.711 tone
// and records what it hears, a tone detector (Goertzel) and the HTTP server
// that serves page.html.  Node's standard library only.
const dgram = require('dgram');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

// --- bencode -----------------------------------------------------------------
function benc(v) {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    const b = Buffer.from(v);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(benc), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [benc(k), benc(v[k])]), Buffer.from('e')]);
}

function bdec(b, i = 0) {
  const c = String.fromCharCode(b[i]);
  if (c === 'i') {
    const j = b.indexOf('e', i);
    return [Number(b.toString('latin1', i + 1, j)), j + 1];
  }
  if (c === 'l' || c === 'd') {
    const out = c === 'l' ? [] : {};
    i++;
    while (b[i] !== 0x65) {
      let k, x;
      if (c === 'l') { [x, i] = bdec(b, i); out.push(x); } else { [k, i] = bdec(b, i); [x, i] = bdec(b, i); out[k] = x; }
    }
    return [out, i + 1];
  }
  const j = b.indexOf(':', i);
  const n = Number(b.toString('latin1', i, j));
  return [b.toString('utf8', j + 1, j + 1 + n), j + 1 + n];
}

// ng(port, {command: 'offer', ...}) resolves to the reply dictionary; a
// reply with result != ok rejects.
function ng(port, msg, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const cookie = crypto.randomBytes(6).toString('hex');
    const packet = Buffer.concat([Buffer.from(cookie + ' '), benc(msg)]);
    let tries = 0;
    const send = () => {
      if (tries++ === 3) { s.close(); reject(new Error(`ng ${msg.command}: no reply on port ${port}`)); return; }
      s.send(packet, port, '127.0.0.1');
      timer = setTimeout(send, timeoutMs);
    };
    let timer;
    s.on('message', (data) => {
      if (!data.toString('latin1', 0, cookie.length + 1).startsWith(cookie + ' ')) return;
      clearTimeout(timer);
      s.close();
      const reply = bdec(data, cookie.length + 1)[0];
      if (reply.result !== 'ok' && msg.command !== 'ping') reject(new Error(`ng ${msg.command}: ${JSON.stringify(reply)}`));
      else resolve(reply);
    });
    s.bind(0, '127.0.0.1', send);
  });
}

// --- G.711 -------------------------------------------------------------------
function linearToUlaw(x) {
  const BIAS = 0x84;
  let sign = 0;
  if (x < 0) { x = -x; sign = 0x80; }
  x = Math.min(x, 32635) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (x & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (x >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}
function ulawToLinear(u) {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}
// ITU-T G.711 A-law, from 16-bit linear.
function linearToAlaw(x) {
  const SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  let v = x >> 3, mask = 0xd5;
  if (v < 0) { mask = 0x55; v = -v - 1; }
  let seg = 0;
  while (seg < 8 && v > SEG_END[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const mant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mant) ^ mask;
}
function alawToLinear(a) {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8; else if (seg === 1) t += 0x108; else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

// --- tone detection ------------------------------------------------------------
function goertzel(samples, rate, freq) {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0, s2 = 0;
  for (const x of samples) { const s = x + k * s1 - s2; s2 = s1; s1 = s; }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / samples.length;
}
// The strongest of a set of probe frequencies, how much it stands out over
// the median of the others (ratio) and over the next strongest (clean: a
// second tone mixed in, e.g. another section's audio, keeps it low).
const PROBES = [300, 440, 550, 660, 800, 1000, 1200, 1500, 2000, 2500, 3000];
function dominantTone(samples, rate) {
  if (samples.length < rate / 4) return { freq: 0, ratio: 0, clean: 0, samples: samples.length };
  const powers = PROBES.map((f) => [f, goertzel(samples, rate, f)]).sort((a, b) => b[1] - a[1]);
  const rest = powers.slice(1).map((p) => p[1]).sort((a, b) => a - b);
  const median = rest[rest.length >> 1] || 1e-9;
  return { freq: powers[0][0], ratio: Math.round(powers[0][1] / Math.max(median, 1e-9)),
    clean: Math.round(powers[0][1] / Math.max(powers[1][1], 1e-9)), samples: samples.length };
}

// --- plain RTP endpoint --------------------------------------------------------
// Plays `freq` Hz as 20 ms packets of PCMU (pt 0) or PCMA (pt 8) to
// `remote` once told, and keeps the decoded audio of every PCMU/PCMA packet
// it receives.
class PlainPeer {
  constructor(port, freq, pt = 0) {
    this.port = port;
    this.freq = freq;
    this.pt = pt;
    this.received = [];
    this.packetsIn = 0;
    this.packetsOut = 0;
    this.sources = new Set();
    this.ssrc = crypto.randomBytes(4).readUInt32BE(0);
    this.seq = 1000;
    this.ts = 0;
    this.phase = 0;
    this.rtp = dgram.createSocket('udp4');
    this.rtcp = dgram.createSocket('udp4');
    this.rtp.on('message', (m, rinfo) => this.onPacket(m, rinfo));
    this.rtcp.on('message', () => {});
  }
  async open() {
    await new Promise((r) => this.rtp.bind(this.port, '127.0.0.1', r));
    await new Promise((r) => this.rtcp.bind(this.port + 1, '127.0.0.1', r));
    return this;
  }
  sdp(sessionId) {
    return ['v=0', `o=plain ${sessionId} 1 IN IP4 127.0.0.1`, 's=plain', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.port} RTP/AVP 0 8 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=sendrecv', ''].join('\r\n');
  }
  // This peer as one media section with only its own codec, for an SDP of
  // several peers (plainAnswer()); with `ssrc`, an a=ssrc line (RFC 5576)
  // naming what it sends.
  section(ssrc = false) {
    const name = this.pt === 8 ? 'PCMA' : 'PCMU';
    return [`m=audio ${this.port} RTP/AVP ${this.pt}`, 'c=IN IP4 127.0.0.1', `a=rtpmap:${this.pt} ${name}/8000`,
      ...(ssrc ? [`a=ssrc:${this.ssrc} cname:plain${this.port}`] : []), 'a=sendrecv', ''].join('\r\n');
  }
  onPacket(m, rinfo) {
    if (m.length < 12 || m[0] >> 6 !== 2) return;
    const pt = m[1] & 0x7f;
    if (pt !== 0 && pt !== 8) return;
    this.packetsIn++;
    this.sources.add(`${rinfo.address}:${rinfo.port}`);
    const cc = m[0] & 0x0f;
    let off = 12 + 4 * cc;
    if (m[0] & 0x10) off += 4 + 4 * m.readUInt16BE(off + 2);
    const dec = pt === 0 ? ulawToLinear : alawToLinear;
    for (let i = off; i < m.length; i++) this.received.push(dec(m[i]));
  }
  // Sends to the address and port of ngmediad's SDP towards this peer (its
  // media section `index`).
  play(remoteSdp, index = 0) {
    const parts = remoteSdp.split(/\r?\nm=/);
    const media = parts[1 + index] || '';
    const c = /c=IN IP4 (\S+)/.exec(media) || /c=IN IP4 (\S+)/.exec(parts[0]);
    const mline = /^audio (\d+) /.exec(media);
    if (!c || !mline) throw new Error(`no audio address for section ${index} in: ${remoteSdp}`);
    // c=0.0.0.0 is a hold (RFC 2543): keep sending where we did.
    if (c[1] !== '0.0.0.0' || !this.remote) this.remote = { address: c[1], port: Number(mline[1]) };
    this.stop();
    this.timer = setInterval(() => this.sendFrame(), 20);
  }
  sendFrame() {
    const p = Buffer.alloc(12 + 160);
    p[0] = 0x80; p[1] = this.pt;
    p.writeUInt16BE(this.seq++ & 0xffff, 2);
    p.writeUInt32BE(this.ts >>> 0, 4);
    p.writeUInt32BE(this.ssrc, 8);
    this.ts += 160;
    for (let i = 0; i < 160; i++) {
      const x = Math.round(8000 * Math.sin(this.phase));
      p[12 + i] = this.pt === 8 ? linearToAlaw(x) : linearToUlaw(x);
      this.phase += (2 * Math.PI * this.freq) / 8000;
    }
    this.phase %= 2 * Math.PI;
    this.rtp.send(p, this.remote.port, this.remote.address);
    this.packetsOut++;
  }
  // The last `seconds` of what was received.
  tone(seconds = 2) {
    return dominantTone(this.received.slice(-8000 * seconds), 8000);
  }
  stop() { if (this.timer) clearInterval(this.timer); this.timer = null; }
  close() { this.stop(); this.rtp.close(); this.rtcp.close(); }
}

// An answer of several plain peers, one media section each (a SIP phone
// that answers two audio sections on two ports).
function plainAnswer(peers, { sessionId = 1, ssrc = false } = {}) {
  return ['v=0', `o=plain ${sessionId} 1 IN IP4 127.0.0.1`, 's=plain', 't=0 0', ''].join('\r\n') +
    peers.map((p) => p.section(ssrc)).join('');
}

// --- pages driven over HTTP ------------------------------------------------------
// Firefox has no DevTools driver here: its pages (page.html?rpc=NAME) ask
// POST /rpc/next for the next window.ngm call and post its result to POST
// /rpc/result.  call(name, method, ...args) resolves to that result.
class RpcPages {
  constructor() { this.queues = new Map(); this.waiters = new Map(); this.pending = new Map(); this.seq = 0; this.seen = new Set(); }
  routes() {
    return {
      'POST /rpc/next': ({ page }) => this.next(page),
      'POST /rpc/result': ({ id, result, error }) => {
        const p = this.pending.get(id);
        if (p) { this.pending.delete(id); if (error) p.reject(new Error(error)); else p.resolve(result); }
        return {};
      },
    };
  }
  next(page) {
    this.seen.add(page);
    const q = this.queues.get(page) || [];
    if (q.length) return q.shift();
    const old = this.waiters.get(page);
    if (old) old({});
    // Answer an idle page after 15 s: it asks again.
    return new Promise((resolve) => {
      const t = setTimeout(() => { if (this.waiters.get(page) === done) this.waiters.delete(page); resolve({}); }, 15000);
      const done = (cmd) => { clearTimeout(t); resolve(cmd); };
      this.waiters.set(page, done);
    });
  }
  call(page, method, ...args) {
    const id = ++this.seq;
    const cmd = { id, method, args };
    const result = new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(id); reject(new Error(`page ${page}: ${method} gave no result in 30 s`)); }, 30000);
      this.pending.set(id, { resolve: (v) => { clearTimeout(t); resolve(v); }, reject: (e) => { clearTimeout(t); reject(e); } });
    });
    const w = this.waiters.get(page);
    if (w) { this.waiters.delete(page); w(cmd); } else {
      if (!this.queues.has(page)) this.queues.set(page, []);
      this.queues.get(page).push(cmd);
    }
    return result;
  }
  close() { for (const w of this.waiters.values()) w({}); this.waiters.clear(); }
}

// --- page server ----------------------------------------------------------------
// Serves page.html and page.js; `routes` maps "POST /path" to async
// (body) => reply object (sent as JSON).
function pageServer(port, routes = {}) {
  const files = { '/': 'page.html', '/page.html': 'page.html', '/page.js': 'page.js' };
  const server = http.createServer((req, res) => {
    const url = req.url.split('?')[0];
    if (process.env.E2E_VERBOSE) console.log(`  [http] ${req.method} ${req.url}`);
    if (req.method === 'GET' && files[url]) {
      res.setHeader('content-type', url.endsWith('.js') ? 'text/javascript' : 'text/html');
      res.end(fs.readFileSync(path.join(__dirname, files[url])));
      return;
    }
    const route = url === '/log' ? () => ({}) : routes[`${req.method} ${url}`];
    if (!route) { res.statusCode = 404; res.end(); return; }
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      try {
        if (url === '/log') { console.log(`  [page] ${body}`); res.end('{}'); return; }
        const reply = await route(body ? JSON.parse(body) : {});
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(reply || {}));
      } catch (e) {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: String(e && e.stack || e) }));
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor(fn, seconds): polls fn() every 200 ms until it returns truthy.
async function waitFor(fn, seconds, what) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(200);
  }
}

// A small test reporter: check(name, ok, detail); summary() prints the
// closing line ctest logs show.
class Report {
  constructor() { this.pass = 0; this.fail = 0; }
  check(name, ok, detail) {
    if (ok) { this.pass++; console.log(`PASS ${name}${detail ? ` (${detail})` : ''}`); } else { this.fail++; console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`); }
    return ok;
  }
  summary() { console.log(`${this.pass} passed, ${this.fail} failed`); return this.fail === 0 && this.pass > 0; }
}

module.exports = { ng, PlainPeer, plainAnswer, RpcPages, pageServer, dominantTone, goertzel, linearToAlaw, alawToLinear, waitFor, sleep, Report };
