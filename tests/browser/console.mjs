// Browser tests of the dispatcher console (/dispatch) against the real `wrangler dev` backend
// and the Twilio stand-in, in Debian's headless Chromium driven by playwright-core. The
// dispatcher signs in through the real flow (the code is read from the stand-in's recorded
// texts); each view must show the stack's real data, pass axe-core with no serious or critical
// violation, and fit a 375 px screen. Started by `cargo xtask test`; prints
// `browser result: N passed, M failed`.
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, runTests, finish } from "./runner.mjs";
import { sleep, until } from "./wait.mjs";
import { api, BASE, dispatch, now, sign, token } from "./stack.mjs";

const STANDIN = process.env.QDN_TWILIO_BASE;
const AUTH_TOKEN = process.env.QDN_TWILIO_AUTH_TOKEN;
const COMPANY = process.env.QDN_COMPANY_NUMBER;
const SHOTS = new URL("../../target/screenshots/", import.meta.url).pathname;
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");



/// A text to the company number, signed as Twilio signs its webhooks.
async function inboundSms(from, body) {
  const sid = "SM" + randomBytes(16).toString("hex");
  const params = { MessageSid: sid, SmsSid: sid, AccountSid: "AC0", From: from, To: COMPANY, Body: body, NumMedia: "0" };
  const url = `${BASE}/sms/inbound`;
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  const signature = createHmac("sha1", AUTH_TOKEN).update(data).digest("base64");
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature },
    body: new URLSearchParams(params).toString(),
  });
  if (r.status !== 200) throw new Error(`inbound SMS: ${r.status} ${await r.text()}`);
  return sid;
}


const uid = randomBytes(3).toString("hex").toUpperCase();
const DISPATCHER = { dispatcher_id: "casey", name: "Casey Console", phone: "+15550100131" };
const CUSTOMER = "+1555013" + String(Math.floor(Math.random() * 10000)).padStart(4, "0");
const TRAILER = `TR-C${uid}`;
const DEVICE = `console-unknown-${uid}`;
// The console's own client address (as Cloudflare would set it), so its sign-in limits are
// its own and not those of whatever else ran from this machine.
const CLIENT = { "CF-Connecting-IP": "192.0.2.77" };

/// The data every view must show: a job with a trailer and a fix, an unknown device, a roster
/// whose first tier is the console's dispatcher (with a long ACK wait, so the relay stays open),
/// and a relayed text from the job's customer.
async function seed() {
  const job = await api("POST", "/api/jobs", {
    customer_name: `Console Customer ${uid}`, customer_phone: CUSTOMER,
    destination: { lat: 41.8781, lon: -87.6298, address: "233 S Wacker Dr" }, trailer_ids: [TRAILER], status: "en_route",
  });
  await api("POST", `/api/jobs/${job.job_id}/location`,
    { lat: 41.86, lon: -87.64, speed_mps: 9, recorded_at: new Date(Date.now() - 20_000).toISOString(), trailer_id: TRAILER },
    token("ingest", { job_id: job.job_id }));
  const r = await fetch(`${BASE}/ingest/osmand?id=${DEVICE}&lat=41.9&lon=-87.7&timestamp=${now()}`);
  if (r.status !== 200) throw new Error(`osmand: ${r.status}`);
  await api("PUT", "/api/relay/roster", {
    tiers: [DISPATCHER, { dispatcher_id: "night", name: "Nik Night", phone: "+15550100132", on_call: { tz: "America/Chicago", from: "22:00", to: "06:00" } }],
    ack_timeout_s: 600, backoff_s: [1],
  });
  const sid = await inboundSms(CUSTOMER, `Where is my trailer ${uid}?`);
  return { job, sid };
}

/// The newest sign-in code the stand-in texted to `phone`.
async function codeFor(phone, after) {
  return until("the sign-in code's text", async () => {
    const sent = await (await fetch(`${STANDIN}/_standin/sent`)).json();
    const codes = sent.filter((m) => m.to === phone && /QDN console code/.test(m.body));
    return codes.length > after && codes[codes.length - 1].body.slice(0, 6);
  });
}
async function codesSent(phone) {
  const sent = await (await fetch(`${STANDIN}/_standin/sent`)).json();
  return sent.filter((m) => m.to === phone && /QDN console code/.test(m.body)).length;
}

async function signIn(page) {
  const before = await codesSent(DISPATCHER.phone);
  await page.goto(`${BASE}/dispatch`);
  await page.getByLabel("Your phone number").fill(DISPATCHER.phone);
  await page.getByRole("button", { name: "Text me a code" }).click();
  const code = await codeFor(DISPATCHER.phone, before);
  await page.getByLabel("6-digit code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 10_000 });
}

async function axe(page, view) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    throw new Error(`${view}: axe found ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")}`).join(" | ")}`);
  }
  return result.violations.length;
}

async function noOverflow(page, view) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error(`${view}: ${overflow} px wider than the 375 px screen`);
}

const bodyText = (page) => page.locator("main").innerText();

let seeded;
const tests = {
  async "sign in through the texted code; every view shows the stack's data, passes axe and fits 375 px"(browser) {
    const { job } = seeded;
    // axe-core is injected as a script, which the console's CSP (rightly) forbids: bypassed here only.
    const ctx = await browser.newContext({ viewport: { width: 375, height: 800 }, extraHTTPHeaders: CLIENT, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signIn(page);
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === "qdn_session");
    if (!session || !session.httpOnly || !session.secure || session.sameSite !== "Strict") {
      throw new Error(`session cookie: ${JSON.stringify(session)}`);
    }
    if (await page.evaluate(() => document.cookie.includes("qdn_session"))) throw new Error("script can read the session cookie");
    const notes = [];
    const views = {
      Board: async () => until("the job on the board", async () => (await bodyText(page)).includes(`Console Customer ${uid}`)),
      Fleet: async () => until("the trailer on the map", async () =>
        (await page.locator("svg.fleet-map g.trailer.moving").count()) > 0 && (await bodyText(page)).includes(TRAILER)),
      Conversations: async () => {
        await page.getByRole("button", { name: new RegExp(`Console Customer ${uid}`) }).click();
        return until("the thread (or its notice) and the status history", async () => {
          const t = await bodyText(page);
          return /No texts yet|not available|Where is my trailer/.test(t) && /Status history \(\d+\)/.test(t);
        });
      },
      Relay: async () => until("the relayed text", async () => (await bodyText(page)).includes(CUSTOMER)),
      Roster: async () => until("the roster's preview", async () => {
        const t = await bodyText(page);
        return t.includes("Casey Console") && /On call now/.test(t) && /On call at|On call now/.test(t.split("Nik Night")[1] || "");
      }),
      Devices: async () => until("the unknown device", async () => (await bodyText(page)).includes(DEVICE)),
      Metrics: async () => until("the relay figures", async () => {
        const t = await bodyText(page);
        const m = t.match(/(\d+) messages relayed in 7 days/);
        // Relay charts, then the ETA's and the "arriving soon" texts' per-day charts.
        return m && Number(m[1]) >= 1 && /"Arriving soon" texts: \d+ sent/.test(t) &&
          (await page.locator("figure.chart svg").count()) >= 5;
      }),
    };
    for (const [name, shown] of Object.entries(views)) {
      await page.getByRole("button", { name, exact: true }).click();
      await shown();
      const minor = await axe(page, name);
      await noOverflow(page, name);
      notes.push(`${name}${minor ? ` (${minor} minor)` : ""}`);
    }
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    await ctx.close();
    return `views ${notes.join(", ")}; job ${job.job_id}`;
  },

  async "create a job from a pasted map link, move it on, ACK a relay, then sign out"(browser) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: CLIENT });
    const page = await ctx.newPage();
    await signIn(page);
    const name = `Pasted Link ${uid}`;
    await page.getByLabel("Customer name").fill(name);
    await page.getByLabel("Customer phone").fill("+15550139999");
    await page.getByLabel("Assigned dispatcher").selectOption("casey");
    await page.getByLabel("Destination: coordinates or a map link").fill("https://www.openstreetmap.org/?mlat=41.8827&mlon=-87.6233#map=17/41.8827/-87.6233");
    await until("the parsed place", async () => /Destination 41\.88270, -87\.62330/.test(await bodyText(page)));
    await page.getByRole("button", { name: "Create job" }).click();
    const card = page.locator("article.job", { hasText: name });
    await card.waitFor({ timeout: 10_000 });
    // Stored as parsed, by the real API.
    const listed = await api("GET", `/api/jobs?status=scheduled`);
    const stored = listed.jobs.find((j) => j.customer_name === name);
    if (!stored || stored.destination.lat !== 41.8827 || stored.destination.lon !== -87.6233 || stored.dispatcher_id !== "casey") {
      throw new Error(`stored: ${JSON.stringify(stored)}`);
    }
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}console-board-1280.png`, fullPage: true });
    await card.getByRole("button", { name: "→ On the way" }).click();
    await until("the job under On the way", async () =>
      (await page.locator("section.column[aria-label='On the way'] article.job", { hasText: name }).count()) === 1);
    const after = await api("GET", `/api/jobs/${stored.job_id}`);
    if (after.status !== "en_route") throw new Error(`status ${after.status}`);
    // "Text link": a fresh tracking link reaches the customer, and the job's thread shows it.
    await card.getByRole("button", { name: "Text link" }).click();
    await until("the link texted", async () => {
      const sent = await (await fetch(`${STANDIN}/_standin/sent`)).json();
      return sent.some((m) => m.to === "+15550139999" && m.body.includes("/track?job_id="));
    });
    const thread = (await api("GET", `/api/jobs/${stored.job_id}`)).messages;
    if (!thread.some((m) => m.direction === "out" && m.body.includes("/track?job_id="))) {
      throw new Error(`thread: ${JSON.stringify(thread)}`);
    }

    await page.getByRole("button", { name: "Relay", exact: true }).click();
    const relay = page.locator("article.relay.open", { hasText: CUSTOMER });
    await relay.waitFor({ timeout: 15_000 });
    await relay.getByRole("button", { name: /^ACK #/ }).click();
    await until("the relay acknowledged", async () => {
      const s = await api("GET", "/relay/status");
      const m = s.messages.find((m) => m.message_sid === seeded.sid);
      return m && m.state === "acked" && m.acked_by === DISPATCHER.dispatcher_id;
    });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Your phone number").waitFor({ timeout: 10_000 });
    const left = (await ctx.cookies()).find((c) => c.name === "qdn_session");
    if (left && left.value) throw new Error("the cookie outlived sign-out");
    await ctx.close();
    return `job ${stored.job_id} created, en route; relay acknowledged by ${DISPATCHER.dispatcher_id}`;
  },

  // Last: its new text opens another relay for the customer, which the ACK test must not see.
  async "unread markers: a new text shows without a reload, opening clears it, on every device of the dispatcher"(browser) {
    const { job } = seeded;
    const other = await api("POST", "/api/jobs", {
      customer_name: `Other Customer ${uid}`, customer_phone: "+15550138888",
      destination: { lat: 41.88, lon: -87.63, address: "1 N State St" }, status: "en_route",
    });
    const mine = `Console Customer ${uid}`;
    // A browser signed in as the dispatcher, on Conversations. (CSP bypassed for axe-core only.)
    // `cookies`: the session of a browser already signed in (a fourth code for the same phone
    // would pass the sign-in's rate limit), without its local storage.
    const open = async (cookies) => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: CLIENT, bypassCSP: true,
        ...(cookies ? { storageState: { cookies, origins: [] } } : {}) });
      const page = await ctx.newPage();
      if (cookies) await page.goto(`${BASE}/dispatch`);
      else await signIn(page);
      await page.getByRole("button", { name: "Conversations", exact: true }).click();
      const button = (name) => page.locator("ul.job-list button", { hasText: name });
      await button(mine).waitFor({ timeout: 10_000 });
      return { ctx, page, button, marker: (name) => button(name).locator("span.unread") };
    };
    const desk = await open();
    await inboundSms(CUSTOMER, `Are you close? ${uid}`);
    // No reload: the console's 10 s poll must show it.
    await until("the new text marked unread", async () => /^\d+ unread$/.test((await desk.marker(mine).textContent({ timeout: 1000 }))?.trim()), 15_000);
    if (await desk.marker(`Other Customer ${uid}`).count()) throw new Error("a job without texts is marked unread");
    await axe(desk.page, "Conversations with an unread marker");
    await desk.button(mine).click();
    await until("the thread open and its marker gone", async () =>
      (await bodyText(desk.page)).includes(`Are you close? ${uid}`) && (await desk.marker(mine).count()) === 0);
    await desk.button(`Other Customer ${uid}`).click();
    await until("the other job's thread", async () => /No texts yet/.test(await bodyText(desk.page)));
    if (await desk.marker(mine).count()) throw new Error("an opened thread is still unread");

    // The same dispatcher in another browser (nothing stored locally): already read there too.
    const phone = await open((await desk.ctx.storageState()).cookies);
    await sleep(3000);
    if (await phone.marker(mine).count()) throw new Error("read on one device, unread on another");
    await inboundSms(CUSTOMER, `Running late? ${uid}`);
    await until("the next text marked unread on both", async () =>
      (await phone.marker(mine).textContent({ timeout: 1000 }))?.trim() === "1 unread" &&
      (await desk.marker(mine).textContent({ timeout: 1000 }))?.trim() === "1 unread", 15_000);
    await phone.button(mine).click();
    await until("read on the phone, cleared on the desk", async () =>
      (await bodyText(phone.page)).includes(`Running late? ${uid}`) && (await desk.marker(mine).count()) === 0, 15_000);
    await phone.ctx.close();
    await desk.ctx.close();
    return `jobs ${job.job_id}, ${other.job_id}`;
  },
};

const browser = await launch();
let counts = { passed: 0, failed: 1 };
const roster = await api("GET", "/api/relay/roster");
try {
  seeded = await seed();
  // One after the other: both sign in as the same dispatcher, and a new code retires the last.
  counts = await runTests(browser, tests, 1);
} catch (e) {
  console.log(`FAIL setting up: ${e.message}`);
} finally {
  // The HTTP tests' shared roster goes back as it was.
  delete roster.source;
  await api("PUT", "/api/relay/roster", roster).catch((e) => console.log(`could not restore the roster: ${e.message}`));
}
await finish(browser, counts);
