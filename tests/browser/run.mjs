// Browser tests of the tracking page against the real `wrangler dev` backend, in Debian's
// headless Chromium driven by playwright-core. Started by `cargo xtask test` (it sets
// QDN_BASE_URL, QDN_JWT_SECRET, CHROMIUM). Prints `browser result: N passed, M failed`.
import { mkdirSync } from "node:fs";
import { launch, runTests, finish } from "./runner.mjs";
import { sleep, until } from "./wait.mjs";
import { api, BASE, dispatch, now, sign, token } from "./stack.mjs";

const SHOTS = new URL("../../target/screenshots/", import.meta.url).pathname;



const DEST = { lat: 53.43, lon: -2.96, address: "1 Browser Lane" };
async function jobWithFixes(status = "en_route", n = 8) {
  const job = await api("POST", "/api/jobs", {
    customer_name: "Browser Test", customer_phone: "+15550108888", destination: DEST, trailer_ids: [], status,
  });
  const fixes = [];
  for (let i = 0; i < n; i++) {
    fixes.push({ lat: 53.39 + i * 0.002, lon: -2.96, heading_deg: 0, speed_mps: 9,
      recorded_at: new Date(Date.now() - (n - i) * 30_000).toISOString() });
  }
  if (n) await api("POST", `/api/jobs/${job.job_id}/location`, { fixes }, token("ingest", { job_id: job.job_id }));
  return job;
}

const text = (page, sel) => page.locator(sel).first().innerText({ timeout: 2000 });

const tests = {
  async "shows ETA, status and map for a job with fixes; fits 375 px"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    // Cumulative layout shift, as the browser measures it: data arriving must not move things.
    await page.addInitScript(() => {
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
      }).observe({ type: "layout-shift", buffered: true });
    });
    await page.goto(job.tracking_url.replace(/^https?:\/\/[^/]+/, BASE));
    // The headline is in the HTML before any script runs; the detail line only once the app has
    // loaded, which on a busy machine can take longer than one locator timeout.
    const detail = await until("the app's ETA detail", async () => { const t = await text(page, ".eta-detail"); return /away/.test(t) && t; });
    const big = await text(page, ".eta-big");
    if (!/Arriving/.test(big)) throw new Error(`headline: ${big}`);
    if (!/around .*km away|around .*m away/.test(detail)) throw new Error(`detail: ${detail}`);
    const current = await text(page, "[aria-current=step]");
    if (current !== "On the way") throw new Error(`current step: ${current}`);
    if (!(await page.locator(".eta-big[aria-live=polite]").count())) throw new Error("ETA not announced via aria-live");
    if (!(await page.locator("svg.map-svg .pos-dot").count()) || !(await page.locator("svg.map-svg .dest").count())) throw new Error("map lacks position or destination");
    // Tiles are configured but the tile server has none: drawn as a background, never a breakage.
    if (!(await page.locator("svg.map-svg image.tile").count())) throw new Error("no tile images with TRACK_TILE_URL set");
    if ((await page.locator("svg.map-svg .attribution").first().textContent()) !== "© test tiles") throw new Error("no tile attribution");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) throw new Error(`horizontal scroll of ${overflow}px at 375px`);
    if (!(await page.locator("a[href^='tel:+']").count())) throw new Error("no call button");
    const cls = await page.evaluate(() => window.__cls);
    if (!(cls < 0.1)) throw new Error(`layout shift ${cls} when the data arrived`);
    await page.close();
    return `${big}; layout shift ${cls.toFixed(3)}`;
  },

  async "updates after a new fix is ingested"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage();
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    const before = await until("the first ETA", async () => { const t = await text(page, ".eta-detail"); return /away/.test(t) && t; });
    await api("POST", `/api/jobs/${job.job_id}/location`,
      { lat: 53.428, lon: -2.96, recorded_at: new Date().toISOString() }, token("ingest", { job_id: job.job_id }));
    const after = await until("the new position", async () => { const t = await text(page, ".eta-detail"); return /\b2[0-9]0 m away/.test(t) && t; }, 25_000);
    await page.close();
    return `${before} → ${after}`;
  },

  async "a stale position says when it was last seen, not a live ETA"(browser) {
    const job = await api("POST", "/api/jobs", { customer_name: "S", customer_phone: "+15550108887", destination: DEST, status: "en_route" });
    const fixes = [0, 1, 2].map((i) => ({ lat: 53.40 + i * 0.002, lon: -2.96, recorded_at: new Date(Date.now() - (10 - i) * 60_000).toISOString() }));
    await api("POST", `/api/jobs/${job.job_id}/location`, { fixes }, token("ingest", { job_id: job.job_id }));
    const page = await browser.newPage();
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    const fresh = await until("the staleness note", async () => { const t = await text(page, ".fresh.stale"); return /last seen 8 min ago/.test(t) && t; });
    const big = await text(page, ".eta-big");
    if (/Arriving/.test(big)) throw new Error(`stale ETA shown as live: ${big}`);
    await page.close();
    return `${big} / ${fresh}`;
  },

  async "missing, malformed, unknown and expired links each get their message"(browser) {
    const page = await browser.newPage();
    const cases = [
      ["/track", /needs a tracking link/],
      ["/track?job_id=not-a-token", /isn't valid/],
      [`/track?job_id=${token("track", { job_id: "job_nobody" })}`, /couldn't find this job/],
      [`/track?job_id=${sign({ scope: "track", job_id: "job_x", exp: now() - 3600 })}`, /has expired/],
    ];
    for (const [path, want] of cases) {
      await page.goto(BASE + path);
      const t = await until(`the message for ${path}`, async () => { const t = await text(page, ".problem-title"); return want.test(t) && t; });
      const body = await page.locator(".problem").innerText();
      if (!/\+1555/.test(body)) throw new Error(`no contact number in: ${body}`);
      if (!t) throw new Error("blank");
    }
    await page.close();
  },

  async "a withdrawn link says so, with the number to call"(browser) {
    const job = await api("POST", "/api/jobs", { customer_name: "W", customer_phone: "+15550108886", destination: DEST, status: "en_route" });
    await api("POST", "/api/tokens/revoke", { job_id: job.job_id });
    const page = await browser.newPage();
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    const t = await until("the withdrawn message", async () => { const t = await text(page, ".problem-title"); return /withdrawn/.test(t) && t; });
    const body = await page.locator(".problem").innerText();
    if (!/\+1555/.test(body)) throw new Error(`no contact number in: ${body}`);
    await page.close();
    return t;
  },

  async "a completed job shows completed and stops polling"(browser) {
    const job = await jobWithFixes("at_site", 3);
    await api("PATCH", `/api/jobs/${job.job_id}`, { status: "completed" });
    const page = await browser.newPage();
    let polls = 0;
    page.on("request", (r) => { if (r.url().includes("/location")) polls++; });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("completed", async () => /complete/.test(await text(page, ".eta-big")));
    await until("the poller to stop", async () => (await page.locator("main[data-stopped=true]").count()) > 0);
    const current = await text(page, "[aria-current=step]");
    if (current !== "Completed") throw new Error(`current step: ${current}`);
    const seen = polls;
    await sleep(11_500);
    if (polls !== seen) throw new Error(`kept polling: ${polls - seen} more requests`);
    await page.close();
  },

  async "a network failure keeps the last data and recovers"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage();
    let offline = false;
    const streams = [];
    await page.routeWebSocket(/\/live$/, (ws) => {
      if (offline) return ws.close();
      ws.connectToServer();
      streams.push(ws);
    });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    // The app, not just the headline the HTML carries, must be running before the network goes.
    const shown = await until("the app's ETA", async () => { const t = await text(page, ".eta-detail"); return /away/.test(t) && t; });
    // The network goes: the live stream breaks and every request fails.
    offline = true;
    for (const ws of streams) ws.close();
    await page.route("**/api/jobs/**", (route) => route.abort("internetdisconnected"));
    await until("the reconnecting notice", async () => page.locator(".reconnecting").isVisible(), 25_000);
    const during = await text(page, ".eta-big");
    if (!/Arriving/.test(during)) throw new Error(`data lost while offline: ${during}`);
    offline = false;
    await page.unroute("**/api/jobs/**");
    await until("recovery", async () => !(await page.locator(".reconnecting").isVisible()), 45_000);
    await page.close();
    return shown;
  },

  async "polling pauses while the tab is hidden and resumes on return"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage();
    // No live stream here (it has a test of its own): the page polls.
    await page.routeWebSocket(/\/live$/, (ws) => ws.close({ code: 1011, reason: "test" }));
    let polls = 0;
    page.on("request", (r) => { if (r.url().includes("/location")) polls++; });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("the first poll", async () => polls >= 1 && /Arriving/.test(await text(page, ".eta-big")));
    const setVisibility = (state) => page.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      Object.defineProperty(document, "hidden", { value: state === "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
    await setVisibility("hidden");
    const hiddenAt = polls;
    await sleep(12_000);
    if (polls > hiddenAt + 1) throw new Error(`polled ${polls - hiddenAt} times while hidden`);
    const before = polls, t0 = Date.now();
    await setVisibility("visible");
    await until("a poll right after returning", async () => polls > before, 5_000);
    await page.close();
    return `resumed ${Date.now() - t0} ms after the tab came back`;
  },

  async "a new fix shows within 3 s through the live stream, without a poll"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage();
    let polls = 0;
    page.on("request", (r) => { if (r.url().includes("/location")) polls++; });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("the first ETA", async () => /away/.test(await text(page, ".eta-detail")));
    await until("the live stream", async () => (await page.locator("main[data-live=true]").count()) > 0);
    const seen = polls, t0 = Date.now();
    await api("POST", `/api/jobs/${job.job_id}/location`,
      { lat: 53.428, lon: -2.96, recorded_at: new Date().toISOString() }, token("ingest", { job_id: job.job_id }));
    const after = await until("the pushed position", async () => { const t = await text(page, ".eta-detail"); return /\b2[0-9]0 m away/.test(t) && t; }, 3_000);
    const ms = Date.now() - t0;
    if (polls !== seen) throw new Error(`the page polled (${polls - seen}) instead of using the stream`);
    // A status change is pushed too.
    await api("PATCH", `/api/jobs/${job.job_id}`, { status: "at_site" });
    await until("the pushed status", async () => (await text(page, "[aria-current=step]")) !== "On the way", 3_000);
    await page.close();
    return `${after} after ${ms} ms`;
  },

  async "a hidden tab drops the live stream and opens it again on return"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage();
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("the live stream", async () => (await page.locator("main[data-live=true]").count()) > 0);
    const setVisibility = (state) => page.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      Object.defineProperty(document, "hidden", { value: state === "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
    await setVisibility("hidden");
    await until("the stream to close", async () => (await page.locator("main[data-live=false]").count()) > 0, 3_000);
    await api("POST", `/api/jobs/${job.job_id}/location`,
      { lat: 53.428, lon: -2.96, recorded_at: new Date().toISOString() }, token("ingest", { job_id: job.job_id }));
    await sleep(1_500);
    if (/\b2[0-9]0 m away/.test(await text(page, ".eta-detail"))) throw new Error("updated while hidden");
    await setVisibility("visible");
    await until("the stream to reopen", async () => (await page.locator("main[data-live=true]").count()) > 0, 5_000);
    const after = await until("the position sent on return", async () => { const t = await text(page, ".eta-detail"); return /\b2[0-9]0 m away/.test(t) && t; }, 3_000);
    await page.close();
    return after;
  },

  async "a stream that fails falls back to polling and is retried"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage();
    let attempts = 0, refuse = true;
    await page.routeWebSocket(/\/live$/, (ws) => {
      attempts++;
      if (refuse) return ws.close({ code: 1011, reason: "test" });
      ws.connectToServer();
    });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("the first ETA", async () => /away/.test(await text(page, ".eta-detail")));
    await until("a retried stream", async () => attempts >= 2, 10_000);
    await api("POST", `/api/jobs/${job.job_id}/location`,
      { lat: 53.428, lon: -2.96, recorded_at: new Date().toISOString() }, token("ingest", { job_id: job.job_id }));
    await until("the polled position", async () => /\b2[0-9]0 m away/.test(await text(page, ".eta-detail")), 15_000);
    refuse = false;
    await until("the stream, once it works again", async () => (await page.locator("main[data-live=true]").count()) > 0, 40_000);
    await page.close();
    return `${attempts} attempts`;
  },

  async "the ETA is in the HTML itself, before any script runs"(browser) {
    const job = await jobWithFixes();
    await api("POST", `/api/jobs/${job.job_id}/location`,
      { lat: 53.40, lon: -2.96, recorded_at: new Date().toISOString() }, token("ingest", { job_id: job.job_id }));
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const resp = await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    if (!/<p class="eta-big">Arriving in about/.test(await resp.text())) throw new Error("no ETA in the HTML");
    const big = await until("the ETA drawn", async () => { const t = await text(page, ".eta-big"); return /Arriving in about/.test(t) && t; });
    await context.close();
    return big;
  },

  async "the map shows pin, trail, heading and scale, and keeps the person's pan and zoom"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("the live stream", async () => (await page.locator("main[data-live=true]").count()) > 0);
    for (const sel of [".dest path", "polyline.trail", ".pos .pos-heading", ".scale path"]) {
      if (!(await page.locator(`svg.map-svg ${sel}`).count())) throw new Error(`map lacks ${sel}`);
    }
    const scale = await page.locator("svg.map-svg .scale text").first().textContent();
    if (!/^\d+ (m|km)$/.test(scale)) throw new Error(`scale label: ${scale}`);
    const dest = () => page.locator("svg.map-svg .dest").getAttribute("transform");
    const pushes = () => page.evaluate(() => Number(document.querySelector("main").dataset.pushes));
    const fixAt = async (lat, lon) => {
      const n = await pushes();
      await api("POST", `/api/jobs/${job.job_id}/location`, { lat, lon, heading_deg: 90, recorded_at: new Date().toISOString() }, token("ingest", { job_id: job.job_id }));
      await until("the pushed fix", async () => (await pushes()) > n, 3_000);
    };
    // Fitted: a fix far off re-fits the map, so the pin moves on screen.
    const fitted = await dest();
    await fixAt(53.37, -3.02);
    if ((await dest()) === fitted) throw new Error("the unmoved map did not follow a new fix");
    // Zoomed: the frame is the person's until they re-centre.
    await page.getByRole("button", { name: "Zoom in" }).click();
    const zoomed = await dest();
    await fixAt(53.36, -3.05);
    if ((await dest()) !== zoomed) throw new Error("re-centred after a zoom");
    // Dragged: it moves with the pointer, and stays there.
    const box = await page.locator("svg.map-svg").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 30, { steps: 5 });
    await page.mouse.up();
    const dragged = await dest();
    if (dragged === zoomed) throw new Error("the drag did not pan");
    await fixAt(53.35, -3.08);
    if ((await dest()) !== dragged) throw new Error("re-centred after a pan");
    await page.getByRole("button", { name: "Re-centre" }).click();
    if ((await dest()) === dragged) throw new Error("Re-centre did not fit the map again");
    await page.close();
    return `scale ${scale}`;
  },

  async "screenshot at 414×896"(browser) {
    const job = await jobWithFixes();
    const page = await browser.newPage({ viewport: { width: 414, height: 896 }, deviceScaleFactor: 1 });
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    await until("the app's ETA", async () => /away/.test(await text(page, ".eta-detail")));
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}track-414x896.png` });
    await page.close();
    return `${SHOTS}track-414x896.png`;
  },
};

// The link lifecycle's tests live in their own file.
Object.assign(tests, (await import("./links.mjs")).default({ api, BASE, DEST, token, until, text }));
// So do the accessibility checks (axe-core).
Object.assign(tests, (await import("./track_axe.mjs")).default({ api, BASE, DEST, until, text, jobWithFixes }));

const browser = await launch();
await finish(browser, await runTests(browser, tests, 6));
