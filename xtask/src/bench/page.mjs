// The tracking page in headless Chromium, for `cargo xtask bench` (xtask/src/bench/live.rs).
// Prints one JSON line. QDN_MODE:
//   push — an open page; a fix is POSTed, timed until the page shows it (its map moved).
//   cold — cold loads on an emulated slow phone, timed until the ETA is visible, with the
//          breakdown (HTML, wasm download, compile and start, first data, the page's own ETA).
import { chromium } from "playwright-core";

const { QDN_BASE_URL: BASE, QDN_TRACK_URL: TRACK, QDN_JOB_ID: JOB, QDN_INGEST: INGEST, QDN_MODE: MODE } = process.env;
const ROUNDS = Number(process.env.QDN_ROUNDS || 20);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function postFix(i) {
  const r = await fetch(`${BASE}/api/jobs/${JOB}/location`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${INGEST}` },
    body: JSON.stringify({ lat: 53.405 + i * 0.0007, lon: -2.96 + (i % 2) * 0.0004, heading_deg: 0, speed_mps: 9, recorded_at: new Date().toISOString() }),
  });
  if (r.status !== 202) throw new Error(`fix: ${r.status} ${await r.text()}`);
}

async function push() {
  const page = await browser.newPage();
  await page.goto(TRACK);
  await page.waitForSelector("main[data-live=true]", { timeout: 20_000 });
  await page.waitForSelector("svg.map-svg .pos", { timeout: 20_000 });
  const ms = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = await page.evaluate(() => document.querySelector("svg.map-svg .pos").getAttribute("transform") + "|" + document.querySelector(".eta-detail")?.textContent);
    const t0 = performance.now();
    await postFix(i);
    await page.waitForFunction((b) => {
      const p = document.querySelector("svg.map-svg .pos");
      return p && p.getAttribute("transform") + "|" + document.querySelector(".eta-detail")?.textContent !== b;
    }, before, { polling: "raf", timeout: 15_000 });
    ms.push(performance.now() - t0);
    await sleep(300);
  }
  return { push_ms: ms };
}

async function cold() {
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await page.addInitScript(() => {
      // The first ETA on screen (the Worker's first paint, or the page's), and the page's own.
      new MutationObserver((_, obs) => {
        const e = document.querySelector(".eta-big");
        if (!window.__eta && e && /Arriving/.test(e.textContent)) window.__eta = performance.now();
        const app = document.querySelector("main.page:not(#qdn-first) .eta-big");
        if (app && /Arriving/.test(app.textContent)) { window.__app = performance.now(); obs.disconnect(); }
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
    await page.goto(TRACK);
    await page.waitForFunction(() => window.__eta && window.__app, null, { timeout: 60_000 });
    runs.push(await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const res = performance.getEntriesByType("resource");
      const wasm = res.find((r) => r.name.endsWith(".wasm"));
      const data = res.filter((r) => /\/api\/jobs\//.test(r.name)).map((r) => r.responseEnd);
      const ready = performance.getEntriesByName("qdn-wasm-ready")[0];
      return {
        total: window.__eta,
        app: window.__app,
        html: nav.responseEnd,
        wasm_start: wasm ? wasm.startTime : null,
        wasm_end: wasm ? wasm.responseEnd : null,
        wasm_bytes: wasm ? wasm.encodedBodySize : null,
        ready: ready ? ready.startTime : null,
        data_end: data.length ? Math.min(...data) : null,
        embedded: !!document.getElementById("qdn-view"),
      };
    }));
    await context.close();
  }
  return { cold: runs };
}

try {
  const out = MODE === "cold" ? await cold() : await push();
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
